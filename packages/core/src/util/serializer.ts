import { AbortedError } from "../errors/lifecycle-errors.js";
import { isPromiseLike, type MaybePromise } from "./maybe-promise.js";

/**
 * Runs tasks one at a time, in arrival order. An idle serializer runs a synchronous
 * task synchronously (no promise, no microtask); only contention allocates.
 */
export class Serializer {
  private busy = false;
  private queue: Array<() => void> = [];
  private abortReason: string | null = null;
  private readonly releaseOnSettle = (): void => this.release();

  get isBusy(): boolean {
    return this.busy;
  }

  run<T>(task: () => MaybePromise<T>): MaybePromise<T> {
    if (this.busy) return this.enqueue(task);
    this.busy = true;
    let result: MaybePromise<T>;
    try {
      result = task();
    } catch (error) {
      this.release();
      throw error;
    }
    if (!isPromiseLike(result)) {
      this.release();
      return result;
    }
    // Release on a side branch and hand back the task's own promise: the caller's
    // continuation then runs in the same microtask round as the release (just after it)
    // instead of one round later. The branch settles fine, so it never goes unhandled.
    result.then(this.releaseOnSettle, this.releaseOnSettle);
    return result;
  }

  /** Rejects every queued task (not the running one) with an AbortedError. */
  abortQueued(reason: string): void {
    this.abortReason = reason;
    const queue = this.queue;
    this.queue = [];
    for (const start of queue) start();
    this.abortReason = null;
  }

  private enqueue<T>(task: () => MaybePromise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        if (this.abortReason !== null) {
          reject(new AbortedError(this.abortReason));
          return;
        }
        this.busy = true;
        try {
          const result = task();
          if (isPromiseLike(result)) {
            result.then(
              (value) => {
                this.release();
                resolve(value);
              },
              (error: unknown) => {
                this.release();
                reject(error);
              },
            );
          } else {
            this.release();
            resolve(result);
          }
        } catch (error) {
          this.release();
          reject(error);
        }
      });
    });
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.busy = false;
  }
}
