import { AbortedError } from "../errors/lifecycle-errors.js";

/**
 * The one wait a source's pull may be parked in (the next value of an iterator or an
 * observable), which an undeploy or reset cuts short: the pull then rejects with
 * `AbortedError` at once instead of holding the reset up. Pulls of a cell are
 * serialized, so there is at most one such wait at a time.
 */
export class PullWait {
  private rejectPending: ((error: unknown) => void) | null = null;

  /** Settles as `promise` does, unless `abort` is called first. */
  wait<T>(promise: PromiseLike<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.rejectPending = reject;
      // An aborted wait's promise may settle while a later wait is pending: leave that one be.
      const done = () => {
        if (this.rejectPending === reject) this.rejectPending = null;
      };
      promise.then(
        (value) => {
          done();
          resolve(value);
        },
        (error: unknown) => {
          done();
          reject(error);
        },
      );
    });
  }

  /** Rejects the pending wait, if any, with `AbortedError(reason)`; what it waited for is left to settle. */
  abort(reason: string): void {
    const reject = this.rejectPending;
    this.rejectPending = null;
    reject?.(new AbortedError(reason));
  }
}
