import { AbortedError } from "../errors/lifecycle-errors.js";
import { isPromiseLike, type MaybePromise } from "./maybe-promise.js";
import type { Handover } from "../io/producer.js";

/**
 * Runs tasks one at a time, in arrival order. An idle serializer runs a synchronous
 * task synchronously (no promise, no microtask); only contention allocates.
 *
 * Every cell pull runs under one of these, so it is on the hot path. async-mutex's
 * `Mutex.runExclusive` could do the same job; `pnpm bench overhead` measures both side by
 * side (2-core AMD EPYC, Node 20; docs/benchmarks.md has the runs):
 * - uncontended, async task: Serializer 4.3–6.1M runs/s, Mutex 0.34–0.50M/s (0.075–0.10×);
 * - 8 callers at once:        Serializer 3.3–4.4M runs/s, Mutex 0.39–0.50M/s (0.10–0.13×);
 * - as the pull lock of every cell of the 3-cell pipeline: 0.80–1.37M pulls/s with
 *   Serializer, 0.07–0.11M/s with Mutex (0.075–0.095×).
 * `runExclusive` always answers with a promise and, in the build Node loads, is a
 * down-levelled async function (`__awaiter` over a generator), so each acquire/release
 * costs several promises and microtasks. The Serializer runs a synchronous task
 * synchronously and adds no microtask to the caller's path (a side-branch release, or the
 * task's own reaction via `finishWith`). So the engine keeps this class, and async-mutex
 * is only a dev dependency of the benchmark.
 */
export class Serializer {
  private busy = false;
  private queue: Array<() => void> = [];
  private abortReason: string | null = null;
  private idleWaiters: Array<() => void> | null = null;
  /** True while a task's synchronous part runs, so `finishWith` knows it is called from one. */
  private inTask = false;
  /** The running task declared its end with `finishWith`: that promise's reaction releases. */
  private finishDeclared = false;
  /** How the declared finish maps a failure (read before releasing; only one finish is pending). */
  private mapError: ((this: unknown, error: unknown) => unknown) | null = null;
  private mapErrorThis: unknown = undefined;
  /** The declared finish also ends a refresh (see `finishWith`): its handover and promise. */
  private handover: Handover | null = null;
  /** The promise the declared finish returned (pending until its reaction has run). */
  private finishPromise: Promise<unknown> | null = null;
  /**
   * Told when the running task ends (its release), once: a cell run being recorded for the
   * engine's events (observe/cell-runs.ts), so recording adds no promise of its own.
   */
  releaseListener: { released(): void } | null = null;
  private readonly releaseOnSettle = (): void => this.release();
  private readonly finishFulfilled = (value: unknown): unknown => {
    if (this.handover === null) {
      this.finishPromise = null;
      this.release();
      return value;
    }
    return this.finishHandover(true, value);
  };
  private readonly finishRejected = (error: unknown): unknown => {
    // Mapped before the release: the failure belongs to the task that ends (the cell records
    // it, and a timed run ends with the release), and the release may start the next task.
    const failure = this.mapError!.call(this.mapErrorThis, error);
    if (this.handover === null) {
      // The pull's promise may reach a caller that attaches its handler later (a pull
      // started before an undeploy, awaited after it): with this handler its failure does
      // not surface as an unhandled rejection meanwhile, as with `run`'s side branch.
      this.finishPromise!.then(undefined, ignore);
      this.finishPromise = null;
      this.release();
      throw failure;
    }
    return this.finishHandover(false, failure);
  };

  get isBusy(): boolean {
    return this.busy;
  }

  /** Resolves once no task runs or waits (at once when idle). */
  whenIdle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise<void>((resolve) => (this.idleWaiters ??= []).push(resolve));
  }

  /** Runs `task` (called with `thisArg`, so callers need not allocate a closure per run). */
  run<T, This = undefined>(task: (this: This) => MaybePromise<T>, thisArg?: This): MaybePromise<T> {
    if (this.busy) return this.enqueue(task, thisArg);
    this.busy = true;
    const result = this.start(task, thisArg);
    // A declared finish releases when its promise settles.
    if (this.finishDeclared) {
      this.finishDeclared = false;
      return result;
    }
    if (!isPromiseLike(result)) {
      this.release();
      return result;
    }
    // Release on a side branch and hand back the task's own promise: the caller's
    // continuation then runs in the same microtask round as the release (just after it)
    // instead of one round later. The branch handles a failure, so a failing pull whose
    // caller attaches its handler late is not reported as an unhandled rejection.
    result.then(this.releaseOnSettle, this.releaseOnSettle);
    return result;
  }

  /**
   * For the running task that reacts to its own promise anyway (a cell wrapping the
   * errors of its `onPull`): returns `promise` with failures passed through `mapError`,
   * in one reaction that also releases the serializer. The task ends when that promise
   * settles (it returns it), so `run` adds no reaction of its own: one promise and one
   * microtask less per task. Called outside a task (or a second time), it only maps.
   * With `handover` (the connection a fanout's refresh offered, see Producer.handoverOffer),
   * that same reaction also ends the refresh and resolves to the connection's value.
   */
  finishWith<T, This>(
    promise: Promise<T>,
    mapError: (this: This, error: unknown) => unknown,
    thisArg: This,
    handover: Handover | null = null,
  ): Promise<T> {
    if (!this.inTask || this.finishDeclared) {
      const mapped = promise.then(undefined, (error: unknown) => {
        throw mapError.call(thisArg, error);
      });
      if (handover === null) return mapped;
      // Not reached from a cell's pull (always in a task); kept correct all the same.
      const settled: Promise<T> = mapped.then(
        (value) => handover.settle(true, value, settled) as T,
        (error: unknown) => handover.settle(false, error, settled) as T,
      );
      return settled;
    }
    this.finishDeclared = true;
    this.mapError = mapError as (this: unknown, error: unknown) => unknown;
    this.mapErrorThis = thisArg;
    this.handover = handover;
    const finished = promise.then(this.finishFulfilled as (value: T) => T, this.finishRejected as (error: unknown) => T);
    this.finishPromise = finished;
    return finished;
  }

  /**
   * The finishing reaction of a pull that ends a refresh (the handover of a fanout's
   * refresh for one connection): it ends the refresh and takes the connection's value, so
   * the promise `finishWith` returned resolves to that value (or rejects with its failure)
   * and the fanout adds no reaction of its own. That runs before the release, which may
   * start the next task.
   */
  private finishHandover(ok: boolean, outcome: unknown): unknown {
    const handover = this.handover!;
    const promise = this.finishPromise!;
    this.handover = null;
    this.finishPromise = null;
    try {
      return handover.settle(ok, outcome, promise);
    } finally {
      this.release();
    }
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
  private start<T, This>(task: (this: This) => MaybePromise<T>, thisArg: This | undefined): MaybePromise<T> {
    this.inTask = true;
    let result: MaybePromise<T>;
    try {
      result = task.call(thisArg as This);
    } catch (error) {
      this.inTask = false;
      // A declared finish still releases when its promise settles; else release now.
      if (!this.takeFinishDeclared()) this.release();
      throw error;
    }
    this.inTask = false;
    return result;
  }

  private takeFinishDeclared(): boolean {
    if (!this.finishDeclared) return false;
    this.finishDeclared = false;
    return true;
  }

  private enqueue<T, This>(task: (this: This) => MaybePromise<T>, thisArg: This | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push(() => {
        if (this.abortReason !== null) {
          reject(new AbortedError(this.abortReason));
          return;
        }
        this.busy = true;
        let result: MaybePromise<T>;
        try {
          result = this.start(task, thisArg);
        } catch (error) {
          reject(error);
          return;
        }
        if (!isPromiseLike(result)) {
          if (!this.takeFinishDeclared()) this.release();
          resolve(result);
        } else if (this.takeFinishDeclared()) {
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
    if (this.releaseListener !== null) this.notifyRelease();
    if (this.queue.length > 0) {
      this.queue.shift()!();
      return;
    }
    this.busy = false;
    if (this.idleWaiters !== null) this.wakeIdleWaiters();
  }

  private notifyRelease(): void {
    const listener = this.releaseListener!;
    this.releaseListener = null;
    listener.released();
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters!;
    this.idleWaiters = null;
    for (const resolve of waiters) resolve();
  }
}

function ignore(): void {}
