import { AbortedError } from "../errors/lifecycle-errors.js";
import { isPromiseLike, type MaybePromise } from "./maybe-promise.js";

/**
 * Starts every task at once and waits for all of them, so one failing task never leaves
 * the others half-run; then throws the first failure (in task order). Synchronous when
 * every task is.
 */
export function settleAll(tasks: ReadonlyArray<() => MaybePromise<unknown>>): MaybePromise<void> {
  let pending: Promise<unknown>[] | null = null;
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

/**
 * Calls `pull` for each item in order, each after the previous settled, and carries on
 * after a failure: every item is pulled once whatever happens to the others, which keeps
 * each of their connections in step. Returns every value, or throws the first failure
 * once all were pulled. An `AbortedError` (undeploy or reset) stops at once: nothing
 * should start a new pull then. Synchronous while every pull is.
 */
export function pullEach<T, V>(items: readonly T[], pull: (item: T) => MaybePromise<V>): MaybePromise<V[]> {
  const values: V[] = new Array<V>(items.length);
  let failure: { error: unknown } | null = null;
  const from = (start: number): MaybePromise<V[]> => {
    for (let i = start; i < items.length; i++) {
      let value: MaybePromise<V>;
      try {
        value = pull(items[i]!);
      } catch (error) {
        if (error instanceof AbortedError) throw error;
        failure ??= { error };
        continue;
      }
      if (isPromiseLike(value)) {
        return value.then(
          (v) => {
            values[i] = v;
            return from(i + 1);
          },
          (error: unknown) => {
            if (error instanceof AbortedError) throw error;
            failure ??= { error };
            return from(i + 1);
          },
        );
      }
      values[i] = value;
    }
    if (failure !== null) throw failure.error;
    return values;
  };
  return from(0);
}
