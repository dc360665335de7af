import * as internal from "./internal-members.js";
import { AbortedError, LifecycleHookError } from "../errors/lifecycle-errors.js";
import type { Input } from "../io/input.js";
import { CellflowError } from "../errors/cellflow-error.js";
import { CellPullError, EndOfStreamError } from "../errors/runtime-errors.js";
import { isPromiseLike, type MaybePromise } from "../util/maybe-promise.js";
import type { IOKind } from "../io/io.js";
import { OFFER_TAKEN } from "../io/producer.js";
import { Cell } from "./cell.js";
import { cellRunChannel } from "../observe/channels.js";
import { runIsTimed, timeRun } from "../observe/cell-runs.js";

/**
 * A cell that does work itself. Subclass it, declare IO as fields, and implement
 * `onPull` (sync or async): pull inputs, compute, set outputs.
 *
 * ```ts
 * class Doubler extends SingleCell {
 *   readonly input = new Input<number>(this, "input");
 *   readonly output = new Output<number>(this, "output");
 *   protected async onPull() {
 *     this.output.setValue(2 * (await this.input.pull()));
 *   }
 * }
 * ```
 */
export abstract class SingleCell extends Cell {
  /** One iteration of work: pull inputs, set every connected output. */
  protected abstract onPull(): void | Promise<void>;

  /** Acquire resources; config parameters are readable here. */
  protected onDeploy(): void | Promise<void> {}

  /** Release what `onDeploy` acquired. */
  protected onUndeploy(): void | Promise<void> {}

  /** Return to the initial state (counters, buffers) so the stream can start over. */
  protected onReset(): void | Promise<void> {}

  /** @internal */
  protected [internal.acceptsIO](kind: IOKind): boolean {
    return kind !== "inputPort" && kind !== "outputPort";
  }

  /** @internal */
  protected [internal.pullOnce](): MaybePromise<unknown> {
    // Someone listens to cell runs: this pull counts down to the next timed one, and is timed
    // in its turn, until its lock is released (the countdown is inline: most pulls stop there).
    if (cellRunChannel.hasSubscribers && runIsTimed(this)) timeRun(this, this[internal.pullSerializer]);
    if (this.remainingPulls() <= 0) {
      const end = new EndOfStreamError(this.path);
      this[internal.recordFailure](end);
      throw end;
    }
    this[internal.pullSerial]++;
    let done: void | Promise<void>;
    try {
      done = this.onPull();
    } catch (error) {
      throw this.#pullError(error);
    }
    // One reaction wraps a failure, hands the value to the connection that asked for
    // this pull (when a fanout offered it) and releases the pull lock (Serializer.finishWith).
    if (isPromiseLike(done)) {
      const offer = this[internal.handoverOffer];
      if (offer === null) return this[internal.pullSerializer].finishWith(done, this.#pullError, this, null);
      this[internal.handoverOffer] = OFFER_TAKEN;
      return this[internal.pullSerializer].finishWith(done, this.#pullError, this, offer);
    }
  }

  /** Engine errors (end of stream, an upstream cell's failure) pass through; user errors get the path. */
  #pullError(error: unknown): unknown {
    if (error instanceof AbortedError) return error;
    this.#skipUnpulledInputs();
    const failure = error instanceof CellflowError ? error : new CellPullError(this.path, error);
    this[internal.recordFailure](failure);
    return failure;
  }

  /**
   * A failed pull still uses up this iteration's value of every input it did not get to
   * pull. Otherwise the other consumers of those values would wait for this cell for
   * good, or this cell would fall a step behind them. The skipped pulls run in the
   * background: each connection serves its pulls in order, so the next pull of this
   * cell gets the next value.
   */
  #skipUnpulledInputs(): void {
    for (const r of this[internal.receivers]) {
      const incoming = r.inbox.incoming;
      // Recurrent inputs too: each iteration reads one step of them, failed or not.
      if (incoming === null || (r as Input<unknown>).pulledIn === this[internal.pullSerial]) continue;
      try {
        const skipped = r.inbox.pull();
        if (isPromiseLike(skipped)) skipped.then(undefined, () => undefined);
      } catch {
        // The value is gone either way; the pull's own error is what the caller needs.
      }
    }
  }

  /** @internal */
  override async [internal.deployInternal](): Promise<void> {
    try {
      await this.onDeploy();
    } catch (error) {
      throw new LifecycleHookError(this.path, "onDeploy", error);
    }
    await super[internal.deployInternal]();
  }

  /** @internal */
  override async [internal.undeployInternal](): Promise<void> {
    await super[internal.undeployInternal]();
    try {
      await this.onUndeploy();
    } catch (error) {
      throw new LifecycleHookError(this.path, "onUndeploy", error);
    }
  }

  /** @internal */
  override async [internal.resetInternal](): Promise<void> {
    await super[internal.resetInternal]();
    try {
      await this.onReset();
    } catch (error) {
      throw new LifecycleHookError(this.path, "onReset", error);
    }
  }
}
