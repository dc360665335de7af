/**
 * One clock for events from everywhere. Each thread and process has its own
 * `performance.timeOrigin` (a worker thread's is when it started, a child process's when
 * it did), so a clone ships its times as epoch milliseconds (`timeOrigin + now()`, both
 * from the system clock) and the parent moves them onto its own `performance.now()`.
 * Remote workers' clocks may be off by their clock skew.
 *
 * @module
 */
import { performance } from "node:perf_hooks";

/** Milliseconds on this thread's `performance.now()` clock. */
export function now(): number {
  return performance.now();
}

/** A time on this thread's clock as epoch milliseconds, for shipping to another thread or process. */
export function toEpoch(time: number): number {
  return performance.timeOrigin + time;
}

/** Epoch milliseconds (shipped from elsewhere) on this thread's clock. */
export function fromEpoch(epoch: number): number {
  return epoch - performance.timeOrigin;
}
