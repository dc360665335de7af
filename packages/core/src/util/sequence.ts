import { isPromiseLike, type MaybePromise } from "./maybe-promise.js";

/** Runs `step` for each item in order, staying synchronous until a step returns a promise. */
export function forEachInOrder<T>(items: readonly T[], step: (item: T) => MaybePromise<void>, from = 0): MaybePromise<void> {
  for (let i = from; i < items.length; i++) {
    const done = step(items[i]!);
    if (isPromiseLike(done)) return done.then(() => forEachInOrder(items, step, i + 1));
  }
}

/**
 * Starts every task at once and waits for all of them, so one failing task never leaves
 * the others half-run; then throws the first failure (in task order). Synchronous when
 * every task is.
 */
export function settleAll(tasks: ReadonlyArray<() => MaybePromise<void>>): MaybePromise<void> {
  let pending: Promise<void>[] | null = null;
  let firstError: { error: unknown } | null = null;
  for (let i = 0; i < tasks.length; i++) {
    try {
      const done = tasks[i]!();
      if (isPromiseLike(done)) (pending ??= []).push(done);
    } catch (error) {
      if (pending === null && firstError === null) firstError = { error };
      else (pending ??= []).push(Promise.reject(error));
    }
  }
  if (pending === null) {
    if (firstError !== null) throw firstError.error;
    return;
  }
  const syncFailure = firstError;
  return Promise.allSettled(pending).then((results) => {
    if (syncFailure !== null) throw syncFailure.error;
    for (const r of results) if (r.status === "rejected") throw r.reason;
  });
}
