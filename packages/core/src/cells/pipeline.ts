import { EndOfStreamError } from "../errors/runtime-errors.js";
import type { MaybePromise } from "../util/maybe-promise.js";
import { isPromiseLike } from "../util/maybe-promise.js";
import { forEachInOrder, settleAll } from "../util/sequence.js";
import { CompositeCell } from "./composite-cell.js";

/**
 * A composite cell that runs its children as a graph. A pull pulls every sink child
 * once (concurrently, so independent branches overlap), then sets the output ports.
 * A finite pipeline is an async iterable: `for await (const outputs of pipeline)`.
 */
export class Pipeline extends CompositeCell {
  /** @internal */
  protected pullOnce(): MaybePromise<void> {
    const sinks = this.topology().sinks;
    const pulled =
      sinks.length === 1 ? sinks[0]!.pullInternal() : settleAll(sinks.map((sink) => () => sink.pullInternal()));
    if (this.emitters.length === 0) return pulled; // no output ports to set: no extra hop
    return isPromiseLike(pulled) ? pulled.then(() => this.setOutputPorts()) : this.setOutputPorts();
  }

  private setOutputPorts(): MaybePromise<void> {
    return forEachInOrder(this.emitters, (port) => {
      const value = (port as unknown as { inbox: { pull(): MaybePromise<unknown> } }).inbox.pull();
      if (!isPromiseLike(value)) return port.fanout.set(value);
      return value.then((v) => port.fanout.set(v));
    });
  }

  /** A pipeline can serve as many pulls as its most limited sink. */
  override availablePulls(): number {
    let available = super.availablePulls();
    for (const sink of this.topology().sinks) available = Math.min(available, sink.availablePulls());
    return available;
  }

  /** The values of the output ports after the last pull, by port name. */
  outputValues(): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const port of this.emitters) if (port.fanout.holdsValue) values[port.name] = port.fanout.get();
    return values;
  }

  /** Pulls until the end of the stream, yielding the output port values after each pull. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Record<string, unknown>, void, undefined> {
    for (;;) {
      try {
        await this.pull();
      } catch (error) {
        if (error instanceof EndOfStreamError) return;
        throw error;
      }
      yield this.outputValues();
    }
  }
}
