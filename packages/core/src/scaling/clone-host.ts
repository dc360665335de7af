import * as internal from "../cells/internal-members.js";
import type { CellClass } from "../cells/cell.js";
import type { Cell } from "../cells/cell.js";
import { Pipeline } from "../cells/pipeline.js";
import { Connection, type ConnectionSource, type ConnectionTarget } from "../connection/connection.js";
import { InvalidCellError } from "../errors/structure-errors.js";
import { InputPort, OutputPort } from "../io/ports.js";
import type { MaybePromise } from "../util/maybe-promise.js";
import { Waiters } from "../util/waiters.js";
import { markEngineRoot } from "./clone-context.js";
import type { CloneShape, Endpoint } from "./clone-shape.js";
import { applyParameters, find, isScaled, type CloneSettings } from "./clone-settings.js";

/**
 * A stand-in for the scalable cell, wherever a clone runs: a root pipeline with the
 * scalable cell's ports, wrapping one fresh instance of the inner cell's class. The
 * manager sets the input ports, pulls the host once, and reads the output ports.
 */
export class CloneHost extends Pipeline {
  readonly clone: Cell;
  private readonly fullPath: string;
  private readonly feeds: FeedPort[] = [];

  private constructor(shape: CloneShape, innerClass: CellClass) {
    super(null, "clone");
    markEngineRoot(this);
    this.fullPath = shape.scalablePath;
    for (const name of shape.inputs) this.feeds.push(new FeedPort(this, name));
    for (const name of shape.outputs) new OutputPort<unknown>(this, name);
    this.clone = new innerClass(this, shape.innerName);
    for (const link of shape.links) {
      new Connection(
        this.endpoint(link.from) as ConnectionSource<unknown>,
        this.endpoint(link.to) as ConnectionTarget<unknown>,
        link.recurrent === undefined ? {} : { recurrent: link.recurrent },
      );
    }
  }

  /** Builds the host and copies the template's settings onto the clone (not deployed yet). */
  static build(shape: CloneShape, innerClass: CellClass, settings: CloneSettings, lane?: string): CloneHost {
    const host = new CloneHost(shape, innerClass);
    host[internal.lane] = lane;
    applyParameters(host.clone, settings.parameters);
    for (const [path, methods] of settings.scaling) {
      const nested = find(host.clone, path);
      if (!isScaled(nested)) throw new InvalidCellError([`a clone of "${host.path}" has no scalable cell at "${path}"`]);
      for (const method of methods) void nested.scaleUp(1, method);
    }
    return host;
  }

  /** Clones report the scalable cell's real path in their errors. */
  override get path(): string {
    return this.fullPath;
  }

  /** Runs one item: input port values in, output port values out. */
  async run(inputs: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    for (const port of this.feeds) port.feed(inputs[port.name]);
    await this.pull();
    return this.outputValues();
  }

  /** @internal Undeploy or reset: no item will come for a pull parked on an input port. */
  override [internal.abortWaits](reason: string): void {
    super[internal.abortWaits](reason);
    for (const port of this.feeds) port.abortFeed(reason);
  }

  private endpoint(end: Endpoint) {
    const io = "port" in end ? this.io(end.port) : this.clone.io(end.io);
    if (io === undefined) throw new InvalidCellError([`a clone of "${this.fullPath}" lacks the IO ${JSON.stringify(end)}`]);
    return io;
  }
}

/**
 * A host input port that hands each item's value over once; a pull before the next item
 * arrives waits for it. (A root port with a set value would return it on every pull, and
 * have none before the first item: a scalable cell nested in the clone, whose managers
 * pull their inputs eagerly, would then fail at once and later take items twice.)
 */
class FeedPort extends InputPort<unknown> {
  private pending: { readonly value: unknown } | null = null;
  private readonly arrivals = new Waiters();

  feed(value: unknown): void {
    this.pending = { value };
    this.arrivals.wakeAll();
  }

  /** @internal */
  override [internal.produce](): MaybePromise<unknown> {
    const pending = this.pending;
    if (pending === null) return this.arrivals.wait().then(() => this[internal.produce]());
    this.pending = null;
    this.fanout.set(pending.value);
  }

  abortFeed(reason: string): void {
    this.pending = null;
    this.arrivals.abortAll(reason);
  }
}
