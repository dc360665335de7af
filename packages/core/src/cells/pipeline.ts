import * as internal from "./internal-members.js";
import { EndOfStreamError } from "../errors/runtime-errors.js";
import type { MaybePromise } from "../util/maybe-promise.js";
import { isPromiseLike } from "../util/maybe-promise.js";
import { pullEach, settleAll } from "../util/sequence.js";
import { AbortedError } from "../errors/lifecycle-errors.js";
import type { AnyIO } from "../io/io.js";
import type { AnyConnection } from "../connection/connection.js";
import type { Producer } from "../io/producer.js";
import type { Cell, PullOptions } from "./cell.js";
import { CompositeCell } from "./composite-cell.js";
import type { OutputRecord, PipelineOutputs } from "./pipeline-outputs.js";
import type { OutputPort } from "../io/ports.js";

/**
 * A composite cell that runs its children as a graph. A pull pulls every sink child
 * once (concurrently, so independent branches overlap), then sets the output ports.
 * A finite pipeline is an async iterable: `for await (const outputs of pipeline)`.
 */
export class Pipeline extends CompositeCell {
  /** Field names of the output ports, in `emitters` order (see `outputKeys`). */
  #portFields: string[] | null = null;
  /**
   * While deployed, when the pipeline has no output ports and one sink: its pull is then
   * that sink's pull, serialized by the sink's own lock (see `pullInternal`).
   */
  #soleSink: Cell | null = null;

  /**
   * Runs one iteration and gives the output record: each output port's value under the
   * name of the field holding the port, typed by the port (see {@link PipelineOutputs}).
   */
  override pull(options?: PullOptions): Promise<PipelineOutputs<this>> {
    return super.pull(options) as Promise<PipelineOutputs<this>>;
  }

  /**
   * @internal With no output ports and one sink, a pull of the pipeline is a pull of that
   * sink and nothing else, and the sink's lock serializes those: a lock of the pipeline's
   * own would add a lock, a task and a release to every pull for nothing (`pnpm bench
   * overhead`: the pipeline ran at 0.94 of its sink pulled alone). Waits for a pull in
   * progress (reset, undeploy) find it on the sink, and a halt of the pipeline halts the
   * sink with it (`abortWaits` reaches every child), so the sink's pull refuses as this
   * one's would.
   */
  override [internal.pullInternal](): MaybePromise<unknown> {
    const sink = this.#soleSink;
    return sink === null ? super[internal.pullInternal]() : sink[internal.pullInternal]();
  }

  /** @internal */
  protected override [internal.markDeployed](): void {
    super[internal.markDeployed]();
    const sinks = this.topology().sinks;
    this.#soleSink = this[internal.emitters].length === 0 && sinks.length === 1 ? sinks[0]! : null;
  }

  /** @internal Not deployed: the base class's pull says so, naming this pipeline. */
  protected override [internal.markUndeployed](): void {
    this.#soleSink = null;
    super[internal.markUndeployed]();
  }

  /** @internal Resolves to the output record (nothing when the pipeline has no output ports). */
  protected [internal.pullOnce](): MaybePromise<unknown> {
    // No output ports to set: the pull is the sinks' pull, no extra hop.
    if (this[internal.emitters].length === 0) return this.#pullSinks();
    let pulled: MaybePromise<unknown>;
    try {
      pulled = this.#pullSinks();
    } catch (error) {
      return this.#takeOutputPortsAfter(error);
    }
    if (!isPromiseLike(pulled)) return this.#setOutputPorts();
    return pulled.then(
      () => this.#setOutputPorts(),
      (error: unknown) => this.#takeOutputPortsAfter(error),
    );
  }

  /** Pulls every sink once, concurrently; the first failure (in sink order) once all settled. */
  #pullSinks(): MaybePromise<unknown> {
    const sinks = this.topology().sinks;
    return sinks.length === 1 ? sinks[0]![internal.pullInternal]() : settleAll(sinks.map((sink) => () => sink[internal.pullInternal]()));
  }

  /** Takes every output port's value of this iteration, then sets them all (or none: a failed iteration is one step). */
  #setOutputPorts(): MaybePromise<OutputRecord<this>> {
    let values: MaybePromise<unknown[]>;
    try {
      values = pullEach(this[internal.emitters], pullPortInbox);
    } catch (error) {
      this[internal.recordFailure](error);
      throw error;
    }
    if (!isPromiseLike(values)) return this.#setPorts(values);
    return values.then(
      (v) => this.#setPorts(v),
      (error: unknown) => {
        this[internal.recordFailure](error);
        throw error;
      },
    );
  }

  /** Sets the output ports; returns the output record. */
  #setPorts(values: unknown[]): OutputRecord<this> {
    const ports = this[internal.emitters];
    const keys = this.#outputKeys();
    const record: Record<string, unknown> = {};
    for (let i = 0; i < ports.length; i++) {
      ports[i]!.fanout.set(values[i]);
      record[keys[i]!] = values[i];
    }
    return record as OutputRecord<this>;
  }

  /**
   * The key of each output port in an output record: the field of this pipeline that
   * holds it (what TypeScript sees), or its port name when no field does. Ports can only
   * be added before deploy, so the list is rebuilt only when it has grown.
   */
  #outputKeys(): string[] {
    if (this.#portFields !== null && this.#portFields.length === this[internal.emitters].length) return this.#portFields;
    const fields = new Map<unknown, string>();
    for (const [field, value] of Object.entries(this)) if (!fields.has(value)) fields.set(value, field);
    this.#portFields = this[internal.emitters].map((port) => fields.get(port) ?? port.name);
    return this.#portFields;
  }

  /**
   * A sink failed: the output ports still take this iteration's values (an error, for a
   * port fed by the failed cell), or their connections would stay a step behind the rest
   * and the next pull would wait for them for good. Then the pull fails with `error`.
   */
  #takeOutputPortsAfter(error: unknown): MaybePromise<never> {
    if (error instanceof AbortedError) throw error;
    this[internal.recordFailure](error);
    let taken: MaybePromise<unknown>;
    try {
      taken = pullEach(this[internal.emitters], pullPortInbox);
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
    for (const port of this[internal.emitters]) {
      // An output port fed straight from an input port (a skip) depends on nothing else.
      const source = port.inbox.incoming?.source;
      if (source?.kind === "inputPort" && source.cell === this) {
        available = Math.min(available, source.availablePulls());
      }
    }
    return available;
  }

  /**
   * The values the output ports hold after the last pull, keyed as in `pull()`'s record
   * (a port that holds no value yet is left out).
   */
  outputValues(): Partial<OutputRecord<this>> {
    const values: Record<string, unknown> = {};
    const keys = this.#outputKeys();
    this[internal.emitters].forEach((port, i) => {
      if (port.fanout.holdsValue) values[keys[i]!] = port.fanout.get();
    });
    return values as Partial<OutputRecord<this>>;
  }

  /** Pulls until the end of the stream, yielding each pull's output record (`{}` without output ports). */
  async *[Symbol.asyncIterator](): AsyncGenerator<OutputRecord<this>, void, undefined> {
    for (;;) {
      let outputs: PipelineOutputs<this>;
      try {
        outputs = await this.pull();
      } catch (error) {
        if (error instanceof EndOfStreamError) return;
        throw error;
      }
      yield (outputs ?? {}) as OutputRecord<this>;
    }
  }
}

/** An output port's inner value of this iteration (the pipeline's own emitters are output ports). */
function pullPortInbox(port: OutputPort<unknown>): MaybePromise<unknown> {
  return port.inbox.pull();
}
