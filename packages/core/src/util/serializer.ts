import { AbortedError } from "../errors/lifecycle-errors.js";
import { isPromiseLike, type MaybePromise } from "./maybe-promise.js";

/**
 * Runs tasks one at a time, in arrival order. An idle serializer runs a synchronous
 * task synchronously (no promise, no microtask); only contention allocates.
 *
 * Every cell pull runs under one of these, so it is on the hot path. async-mutex's
 * `Mutex.runExclusive` would do the same job; measured with `pnpm bench overhead`
 * (2-core AMD EPYC, Node 20, see docs/benchmarks.md) it costs far more:
 * - uncontended, async task: Serializer 5.1M runs/s, Mutex 0.40–0.48M/s (~0.08–0.10×);
 * - 8 callers at once:        Serializer 3.5–5.1M runs/s, Mutex 0.21–0.49M/s (~0.08–0.10×);
 * - as the pull lock of the 3-cell pipeline: 0.68M pulls/s with Serializer, 0.09M/s with
 *   Mutex (0.13×).
 * A mutex always answers with a promise and settles through several more microtasks per
 * acquire/release; the Serializer runs synchronous tasks synchronously and adds no
 * microtask to the caller's path (a side-branch release, or `finishWith`). So the engine
 * keeps this class and async-mutex stays out of its dependencies.
 */
export class Serializer {
  private busy = false;
  private queue: Array<() => void> = [];
  private abortReason: string | null = null;
  /** True while a task's synchronous part runs, so `finishWith` knows it is called from one. */
  private inTask = false;
  /** What the running task handed over with `finishWith`, until `run` accepts it. */
  private handedOver: Promise<unknown> | null = null;
  /** The accepted hand-over: its own reaction releases the serializer. */
  private releasesWith: Promise<unknown> | null = null;
  private readonly releaseOnSettle = (): void => this.release();

  get isBusy(): boolean {
    return this.busy;
  }

  run<T>(task: () => MaybePromise<T>): MaybePromise<T> {
    if (this.busy) return this.enqueue(task);
    this.busy = true;
    const result = this.start(task);
    if (!isPromiseLike(result)) {
      this.release();
      return result;
    }
    // Release on a side branch and hand back the task's own promise: the caller's
    // continuation then runs in the same microtask round as the release (just after it)
    // instead of one round later. The branch settles fine, so it never goes unhandled.
    if (!this.accept(result)) result.then(this.releaseOnSettle, this.releaseOnSettle);
    return result;
  }

  /**
   * For the running task that reacts to its own promise anyway (a cell wrapping the
   * errors of its `onPull`): returns `promise` with failures passed through `mapError`,
   * in one reaction that also releases the serializer once the task returns what this
   * returned. `run` then adds no reaction of its own: one promise and one microtask less
   * per task. Called outside a task, it only maps failures.
   */
  finishWith<T>(promise: Promise<T>, mapError: (error: unknown) => unknown): Promise<T> {
    if (!this.inTask) {
      return promise.then(undefined, (error: unknown) => {
        throw mapError(error);
      });
    }
    const finished: Promise<T> = promise.then(
      (value) => {
        this.releaseIfOwnedBy(finished);
        return value;
      },
      (error: unknown) => {
        this.releaseIfOwnedBy(finished);
        throw mapError(error);
      },
    );
    this.handedOver = finished;
    return finished;
  }

  /** Rejects every queued task (not the running one) with an AbortedError. */
  abortQueued(reason: string): void {
    this.abortReason = reason;
    const queue = this.queue;
    this.queue = [];
    for (const start of queue) start();
    this.abortReason = null;
  }

  /** Calls `task` with the serializer held; if it throws, releases and rethrows. */
  private start<T>(task: () => MaybePromise<T>): MaybePromise<T> {
    this.inTask = true;
    let result: MaybePromise<T>;
    try {
      result = task();
    } catch (error) {
      this.inTask = false;
      this.handedOver = null;
      this.release();
      throw error;
    }
    this.inTask = false;
    return result;
  }

  /** Whether `result` is what the task handed over with `finishWith` (which then releases). */
  private accept(result: Promise<unknown>): boolean {
    const handed = this.handedOver;
    this.handedOver = null;
    if (handed !== result) return false;
    this.releasesWith = result;
    return true;
  }

  private releaseIfOwnedBy(finished: Promise<unknown>): void {
    if (this.releasesWith !== finished) return;
    this.releasesWith = null;
    this.release();
  }

  private enqueue<T>(task: () => MaybePromise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        if (this.abortReason !== null) {
          reject(new AbortedError(this.abortReason));
          return;
        }
        this.busy = true;
        let result: MaybePromise<T>;
        try {
          result = this.start(task);
        } catch (error) {
          reject(error);
          return;
        }
        if (!isPromiseLike(result)) {
          this.release();
          resolve(result);
        } else if (this.accept(result)) {
          result.then(resolve, reject);
        } else {
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
