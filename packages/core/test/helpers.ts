/**
 * Small cells shared by the core test files. Each test file builds its own pipelines from
 * these so that what a test pins down stays visible in the test itself.
 */
import { Input, Output, SingleCell } from "@cellflow/core";

/** Emits 0, 1, 2, ... (optionally only `limit` values: a finite source). */
export class CounterSource extends SingleCell {
  readonly output = new Output<number>(this, "output");
  counter = 0;
  limit = Infinity;
  pulls = 0;
  protected onPull(): void {
    this.pulls++;
    this.output.setValue(this.counter++);
  }
  protected override remainingPulls(): number {
    return this.limit - this.counter;
  }
  protected override onReset(): void {
    this.counter = 0;
  }
}

/** Applies `fn` to its input; with `delayMs` set, waits that long (a macrotask) before setting. */
export class MapCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  fn: (x: number) => number = (x) => x;
  delayMs: number | null = null;
  pulls = 0;
  protected async onPull(): Promise<void> {
    this.pulls++;
    const x = await this.input.pull();
    if (this.delayMs !== null) await sleep(this.delayMs);
    this.output.setValue(this.fn(x));
  }
}

/** Records every value it pulls. */
export class Collector<T = number> extends SingleCell {
  readonly input = new Input<T>(this, "input");
  readonly values: T[] = [];
  protected async onPull(): Promise<void> {
    this.values.push(await this.input.pull());
  }
  protected override onReset(): void {
    this.values.length = 0;
  }
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Settles a promise-returning call and returns what it threw (or fails the test if it didn't). */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject, but it resolved");
}

/** Synchronous counterpart of `rejectionOf`. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to throw, but it returned");
}

/**
 * Races `promise` against a generous deadline so a hang fails the test with a message
 * instead of the runner's timeout. The bound is only a safety net, never the assertion.
 */
export function withinDeadline<T>(promise: Promise<T>, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: no settlement within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}
