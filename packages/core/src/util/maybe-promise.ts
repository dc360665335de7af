/**
 * The pull path returns plain values when nothing had to wait, and a promise only when
 * something did. Awaiting every step would cost a microtask per hop; on a three-cell
 * pipeline with no work that is most of the time spent (see docs/benchmarks.md).
 */
export type MaybePromise<T> = T | Promise<T>;

export function isPromiseLike<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
