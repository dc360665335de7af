import { EndOfStreamError } from "../errors/runtime-errors.js";
import type { MaybePromise } from "../util/maybe-promise.js";
import { isPromiseLike } from "../util/maybe-promise.js";
import { pullEach, settleAll } from "../util/sequence.js";
import { AbortedError } from "../errors/lifecycle-errors.js";
import type { AnyIO } from "../io/io.js";
import type { AnyConnection } from "../connection/connection.js";
import type { Producer } from "../io/producer.js";
import { CompositeCell } from "./composite-cell.js";

/**
 * A composite cell that runs its children as a graph. A pull pulls every sink child
 * once (concurrently, so independent branches overlap), then sets the output ports.
 * A finite pipeline is an async iterable: `for await (const outputs of pipeline)`.
 */
export class Pipeline extends CompositeCell {
  /** @internal */
  protected pullOnce(): MaybePromise<void> {
    if (this.emitters.length === 0) return this.pullSinks(); // no output ports to set: no extra hop
    let pulled: MaybePromise<void>;
    try {
      pulled = this.pullSinks();
    } catch (error) {
      return this.takeOutputPortsAfter(error);
    }
    if (!isPromiseLike(pulled)) return this.setOutputPorts();
    return pulled.then(
      () => this.setOutputPorts(),
      (error: unknown) => this.takeOutputPortsAfter(error),
    );
  }

  /** Pulls every sink once, concurrently; the first failure (in sink order) once all settled. */
  private pullSinks(): MaybePromise<void> {
    const sinks = this.topology().sinks;
    return sinks.length === 1 ? sinks[0]!.pullInternal() : settleAll(sinks.map((sink) => () => sink.pullInternal()));
  }

  /** Takes every output port's value of this iteration, then sets them all (or none: a failed iteration is one step). */
  private setOutputPorts(): MaybePromise<void> {
    let values: MaybePromise<unknown[]>;
    try {
      values = pullEach(this.emitters, pullPortInbox);
    } catch (error) {
      this.recordFailure(error);
      throw error;
    }
    if (!isPromiseLike(values)) return this.setPorts(values);
    return values.then(
      (v) => this.setPorts(v),
      (error: unknown) => {
        this.recordFailure(error);
        throw error;
      },
    );
  }

  private setPorts(values: unknown[]): void {
    const ports = this.emitters;
    for (let i = 0; i < ports.length; i++) ports[i]!.fanout.set(values[i]);
  }

  /**
   * A sink failed: the output ports still take this iteration's values (an error, for a
   * port fed by the failed cell), or their connections would stay a step behind the rest
   * and the next pull would wait for them for good. Then the pull fails with `error`.
   */
  private takeOutputPortsAfter(error: unknown): MaybePromise<never> {
    if (error instanceof AbortedError) throw error;
    this.recordFailure(error);
    let taken: MaybePromise<unknown>;
    try {
      taken = pullEach(this.emitters, pullPortInbox);
    } catch (portError) {
      if (portError instanceof AbortedError) throw portError;
      throw error;
    }
    if (!isPromiseLike(taken)) throw error;
    return taken.then(
      () => {
        throw error;
      },
      (portError: unknown) => {
        throw portError instanceof AbortedError ? portError : error;
      },
    );
  }

  /** A pipeline can serve as many pulls as its most limited sink. */
  override availablePulls(): number {
    // The sinks see upstream through the input ports, and count what the cells between
    // hold (a scalable cell's queue): the input ports' own counts would miss those.
    let available = this.remainingPulls();
    for (const sink of this.topology().sinks) available = Math.min(available, sink.availablePulls());
    for (const port of this.emitters) {
      // An output port fed straight from an input port (a skip) depends on nothing else.
      const incoming = (port as unknown as { inbox: { incoming: AnyConnection | null } }).inbox.incoming;
      if (incoming !== null && incoming.source.cell === this) {
        available = Math.min(available, (incoming.source as unknown as Producer).availablePulls());
      }
    }
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

/** An output port's inner value of this iteration (the pipeline's own emitters are output ports). */
function pullPortInbox(port: AnyIO): MaybePromise<unknown> {
  return (port as unknown as { inbox: { pull(): MaybePromise<unknown> } }).inbox.pull();
}
