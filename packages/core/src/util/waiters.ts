import { AbortedError } from "../errors/lifecycle-errors.js";

/**
 * A set of parked callers woken together. Used for "wait until something changed"
 * conditions on the slow path of the engine; the fast path never touches it.
 */
export class Waiters {
  private parked: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];

  get size(): number {
    return this.parked.length;
  }

  wait(): Promise<void> {
    return new Promise<void>((resolve, reject) => this.parked.push({ resolve, reject }));
  }

  wakeAll(): void {
    if (this.parked.length === 0) return;
    const parked = this.parked;
    this.parked = [];
    for (const p of parked) p.resolve();
  }

  /** Wakes the caller parked longest (FIFO). */
  wakeOne(): void {
    this.parked.shift()?.resolve();
  }

  abortAll(reason: string): void {
    if (this.parked.length === 0) return;
    const parked = this.parked;
    this.parked = [];
    const error = new AbortedError(reason);
    for (const p of parked) p.reject(error);
  }
}
