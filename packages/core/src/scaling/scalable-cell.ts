import * as internal from "../cells/internal-members.js";
import type { Cell, CellClass } from "../cells/cell.js";
import { CompositeCell } from "../cells/composite-cell.js";
import { InvalidCellError } from "../errors/structure-errors.js";
import { InactiveError, InvalidArgumentError } from "../errors/runtime-errors.js";
import { ConfigParameter } from "../io/parameters.js";
import { engineParameter } from "../cells/engine-parameters.js";
import type { InputPort } from "../io/ports.js";
import { isOnCycle } from "../topology/topology.js";
import { isPromiseLike, type MaybePromise } from "../util/maybe-promise.js";
import { cloneMethod, type CloneMethodName, type CloneRecipe } from "./clone-method.js";
import { collectSettings } from "./clone-settings.js";
import { shapeOf, type CloneShape } from "./clone-shape.js";
import { checkCloneConstructor } from "./constructor-check.js";
import { InlineStrategy } from "./inline-strategy.js";
import "./methods/async-clone.js";
import { QueueStrategy } from "./queue-strategy.js";
import type { CloneCrashEvent, CloneNoticeEvent, ParameterSnapshot, PortValues, ScalableContext, ScalingStrategy } from "./scaling-strategy.js";
import { EventEmitter } from "node:events";
import { laneOf } from "../observe/cell-runs.js";

/**
 * With queueCapacity "auto", how many more items per clone the queue may hold while a slow
 * clone's item blocks its head and the other clones are free (SPEC 3.11). 16 lets three
 * clones keep working through one item ten times as slow as theirs (they need about 30
 * slots meanwhile, see `pnpm bench slow-clone`); the bound keeps memory flat.
 */
const AUTO_STRETCH_PER_CLONE = 16;

/** How a scalable cell runs when deployed: the ordered queue, or inline for debugging. */
export type ScalingStrategyName = "queue" | "no-scaling";

/**
 * A composite with exactly one inner cell that never runs itself: its clones do. Each
 * clone's manager in turn reserves the next slot of an ordered queue, pulls this cell's
 * inputs and hands them to its clone; a pull of this cell takes the oldest slot. So
 * outputs leave in input order, and the source is never pulled concurrently.
 *
 * ```ts
 * class ScalableMultiplier extends ScalableCell {
 *   readonly multiplier = new MultiplierCell(this, "multiplier");
 *   readonly inputA = new InputPort<number>(this, "input_a");
 *   readonly output = new OutputPort<number>(this, "output");
 *   // ... connections between the ports and the multiplier
 * }
 * pipeline.scalableMultiplier.scaleUp(2); // two async clones
 * ```
 */
export abstract class ScalableCell extends CompositeCell {
  /**
   * Items that may be in flight or waiting: "auto" grows with the clone count (2 per
   * clone, at least 2), and with the batches of thread and process clones whose items
   * take well under a millisecond (up to 64 more per clone). While the pipeline waits for
   * an item a slow clone still runs and another clone is free, "auto" also lets the free
   * clones go on (up to 16 more items per clone, kept until reset), so a slow clone never
   * holds the rest back. A number is a fixed bound.
   */
  readonly queueCapacity = engineParameter(new ConfigParameter<number | "auto">(this, "queue_capacity", { defaultValue: "auto" }), "queueCapacity");
  /** "no-scaling" runs one clone inline on each pull: no queue, no concurrency, for debugging. */
  readonly scalingStrategy = engineParameter(new ConfigParameter<ScalingStrategyName>(this, "scaling_strategy", { defaultValue: "queue" }), "scalingStrategy");
  /**
   * Move ArrayBuffers and typed arrays to and from thread clones instead of copying
   * them (zero-copy). The sender loses access to a moved buffer, so turn it on only when
   * no other cell keeps using the values it sends.
   */
  readonly transferBuffers = engineParameter(new ConfigParameter<boolean>(this, "transfer_buffers", { defaultValue: false }), "transferBuffers");
  /** When a clone's thread or process dies: start a new one (true) or carry on with fewer (false). */
  readonly replaceCrashedClones = engineParameter(new ConfigParameter<boolean>(this, "replace_crashed_clones", { defaultValue: true }), "replaceCrashedClones");
  /**
   * How long `undeploy()` and `reset()` wait for an item a clone is still working on.
   * After that, thread and process clones are killed and async clones left behind, so
   * a clone stuck in its item never hangs the pipeline.
   */
  readonly stopGraceMs = engineParameter(new ConfigParameter<number>(this, "stop_grace_ms", { defaultValue: 2000 }), "stopGraceMs");
  /**
   * `cloneCrashed` events (a {@link CloneCrashEvent}) report clones whose thread or process
   * died; `cloneNotice` events (a {@link CloneNoticeEvent}) what a clone noticed (remote
   * clones: no worker serves the queue). With no listener, each becomes a process warning.
   */
  readonly events = new EventEmitter<{ cloneCrashed: [CloneCrashEvent]; cloneNotice: [CloneNoticeEvent] }>();
  /** @internal The clone methods asked for, in order (one entry per clone). */
  readonly [internal.requestedMethods]: string[] = [];
  /**
   * @internal Bumped when a parameter inside the inner cell changes. Items claimed (inputs
   * pulled) after a change run with the new values, on every clone; items claimed before
   * keep the values of their claim (see `ParameterSnapshot`).
   */
  [internal.parameterVersion] = 0;
  /** @internal The running strategy (null while not deployed); tests and tools reach its managers through this key. */
  [internal.strategy]: ScalingStrategy | null = null;

  /** The one inner cell, whose clones do the work. */
  get innerCell(): Cell {
    const inner = this.children[0];
    if (inner === undefined) throw new InvalidCellError([`scalable cell "${this.path}" has no inner cell`]);
    return inner;
  }

  /** Clones running (deployed) or requested (not deployed). */
  get cloneCount(): number {
    return this[internal.strategy]?.cloneCount ?? this[internal.requestedMethods].length;
  }

  /**
   * Adds `times` clones made with `method` ("async" by default; "thread" and "process"
   * run in worker threads and child processes). Works before deploy and while deployed;
   * the promise resolves when the new clones are running. Bad arguments throw at once.
   */
  scaleUp(times = 1, method: CloneMethodName = "async"): Promise<void> {
    assertCount(times, "scaleUp");
    const made = cloneMethod(method);
    checkCloneConstructor(this.innerCell);
    made.check?.(this.innerCell.constructor as CellClass);
    const methods = Array.from({ length: times }, () => method);
    this[internal.requestedMethods].push(...methods);
    return this[internal.strategy] === null ? Promise.resolve() : this[internal.strategy].addClones(methods);
  }

  /**
   * Removes the `times` newest clones. While deployed, each finishes its current item
   * first, so nothing is lost; the promise resolves when they have stopped.
   */
  scaleDown(times = 1): Promise<void> {
    assertCount(times, "scaleDown");
    if (times > this[internal.requestedMethods].length) {
      throw new InvalidArgumentError(
        `Cannot scale "${this.path}" down by ${times}: it has ${this[internal.requestedMethods].length} clone(s).`,
      );
    }
    this[internal.requestedMethods].splice(-times);
    return this[internal.strategy] === null ? Promise.resolve() : this[internal.strategy].removeClones(times);
  }

  /**
   * Resolves once this cell is idle: everything it does without being pulled again is
   * done. For tests and tools that count what a scalable cell did on its own (how far it
   * filled ahead, say) without guessing how long that takes.
   *
   * Idle means, looked at between two macrotask turns: no clone is starting or being
   * replaced, no reset is running, no input pull is in flight, no clone holds an item
   * (claimed, running, or its result on the way back), and every clone waits for room in
   * the queue: the queue is full, or the stream has ended or the cell sits on a recurrent
   * cycle (it then fills only when pulled). A cell that is not deployed (or is being
   * undeployed), has no clone, or runs "no-scaling" is idle at once.
   *
   * Slow inputs and slow items are waited for, so an input or item that waits on
   * something only the caller can release (a gate it holds, a pull of another consumer of
   * the same source) keeps the cell from ever being idle. For those, pass
   * `{ whileWaiting: true }`: it resolves once the cell itself has nothing left to do
   * (no clone starting or being replaced, no reset running; every clone waits for room,
   * an input, or the item it runs), without waiting for those inputs and items.
   *
   * Nothing is watched while nobody waits: the cost is a field read per item.
   * {@link ScalableCell.whenAllIdle} waits for several scalable cells at once.
   */
  whenIdle(options: { readonly whileWaiting?: boolean } = {}): Promise<void> {
    return this[internal.strategy] === null ? Promise.resolve() : this[internal.strategy].whenIdle(options.whileWaiting === true);
  }

  /**
   * Resolves once every scalable cell in `root` (`root` itself included; not those in a
   * scalable cell's inner cell, a template that never runs) is idle at the same moment, as
   * {@link ScalableCell.whenIdle} defines it. Cells fed by one another make each other
   * busy again (a pull of one gives the one upstream room), so this looks again until all
   * are idle at once: then nothing happens in `root` until it is pulled.
   */
  static async whenAllIdle(root: Cell, options: { readonly whileWaiting?: boolean } = {}): Promise<void> {
    const cells = scalableCellsIn(root);
    const whileWaiting = options.whileWaiting === true;
    for (;;) {
      await Promise.all(cells.map((cell) => cell.whenIdle(options)));
      const allIdle = await new Promise<boolean>((resolve) =>
        setImmediate(() => resolve(cells.every((cell) => cell[internal.strategy] === null || cell[internal.strategy].isIdle(whileWaiting)))),
      );
      if (allIdle) return;
    }
  }

  /** @internal */
  override [internal.adoptChild](child: Cell): void {
    if (this.children.length > 0) {
      throw new InvalidCellError([
        `scalable cell "${this.path}" already holds "${this.children[0]!.name}"; it holds exactly one inner cell ` +
          `(wrap several cells in a Pipeline and scale that)`,
      ]);
    }
    super[internal.adoptChild](child);
  }

  /** @internal */
  override [internal.validityReasons](): string[] {
    const reasons = super[internal.validityReasons]();
    if (this.children.length === 0) reasons.push(`scalable cell "${this.path}" has no inner cell`);
    return reasons;
  }

  /** @internal */
  protected [internal.pullOnce](): MaybePromise<unknown> {
    let values: MaybePromise<PortValues>;
    try {
      values = this[internal.strategy]!.next();
    } catch (error) {
      // A slot that already holds an error fails the pull asynchronously, like a cell
      // whose work failed: every connection pulling this cell in the same round then
      // sees that one failure, instead of the later ones finding no refresh running and
      // taking the next slot (which would leave the consumers one item apart). No clone
      // to run anything (InactiveError) used up no item: a step only for the connections
      // that pulled (they record it themselves), not for a direct pull.
      if (!(error instanceof InactiveError)) this[internal.recordFailure](error);
      return Promise.reject(error);
    }
    if (isPromiseLike(values)) return values.then((v) => this.#setOutputs(v), this.#failed);
    this.#setOutputs(values);
  }

  /** @internal The inner cell is a template: it is never deployed; clones are. */
  override async [internal.deployInternal](): Promise<void> {
    const strategy =
      this.scalingStrategy.getValue() === "no-scaling" ? new InlineStrategy(this.#context()) : new QueueStrategy(this.#context());
    // Set first: a scaleUp or scaleDown while the clones start goes to the strategy.
    this[internal.strategy] = strategy;
    try {
      await strategy.start([...this[internal.requestedMethods]]);
    } catch (error) {
      this[internal.strategy] = null;
      await strategy.stop().catch(() => undefined);
      throw error;
    }
    this[internal.markDeployed]();
  }

  /** @internal */
  override async [internal.undeployInternal](): Promise<void> {
    const strategy = this[internal.strategy];
    this[internal.strategy] = null;
    this[internal.markUndeployed]();
    await strategy?.stop();
  }

  /** @internal The clone managers are the background work; the inner cell is a template that never runs. */
  override async [internal.quiesceInternal](): Promise<void> {
    await Promise.all([this[internal.strategy]?.quiesce(), super[internal.quiesceInternal]()]);
  }

  /** @internal */
  override async [internal.resetInternal](): Promise<void> {
    // Not CompositeCell's: the inner cell is a template that never ran; its clones reset.
    this[internal.resetOwnIO]();
    await this[internal.strategy]?.reset();
  }

  /** @internal */
  override async [internal.resumeInternal](): Promise<void> {
    this[internal.strategy]?.resume();
  }

  /** @internal Halts the managers before any wait is aborted, so none starts a new pull. */
  override [internal.abortWaits](reason: string): void {
    this[internal.strategy]?.halt(reason);
    this[internal.abortOwnWaits](reason);
  }

  /** @internal */
  override [internal.noteParameterChanged](): void {
    this[internal.parameterVersion]++;
    super[internal.noteParameterChanged]();
  }

  /** Items this cell can still deliver: what its queue holds plus what upstream can supply. */
  override availablePulls(): number {
    const upstream = super.availablePulls();
    return this[internal.strategy] === null ? upstream : this[internal.strategy].availablePulls(upstream);
  }

  /** Clones made so far, for their lanes in events (a replacement is a new lane). */
  #clonesMade = 0;

  readonly #failed = (error: unknown): never => {
    if (!(error instanceof InactiveError)) this[internal.recordFailure](error);
    throw error;
  };

  #setOutputs(values: PortValues): void {
    for (const port of this[internal.emitters]) port.fanout.set(values[port.name]);
  }

  #context(): ScalableContext {
    const cell = this;
    const connections = this.connections;
    const shape: CloneShape = shapeOf(this, connections);
    const innerClass = this.innerCell.constructor as CellClass;
    const capacity = this.queueCapacity.getValue();
    const transfer = this.transferBuffers.getValue();
    /** The values in force at the last look; a new one only after a change (`parameterVersion` moved). */
    let snapshot: ParameterSnapshot | null = null;
    const toldNow = new Set<string>();
    return {
      path: this.path,
      shape,
      innerClass,
      inputPorts: this[internal.receivers].filter((r): r is InputPort<unknown> => r.kind === "inputPort"),
      parameters: (): ParameterSnapshot => {
        if (snapshot !== null && snapshot.version === cell[internal.parameterVersion]) return snapshot;
        snapshot = { version: cell[internal.parameterVersion], values: collectSettings(cell.innerCell).parameters };
        return snapshot;
      },
      recipe: (parameters: ParameterSnapshot, lane?: string): CloneRecipe => ({
        shape,
        innerClass,
        settings: { parameters: parameters.values, scaling: collectSettings(this.innerCell).scaling },
        transfer,
        ...(lane !== undefined ? { lane } : {}),
      }),
      cloneLane: (method) => {
        // Inside a clone (a nested scalable cell), after that clone's lane.
        const own = `${this.path}#${method}-${++this.#clonesMade}`;
        const outer = laneOf(this);
        return outer === "main" ? own : `${outer}/${own}`;
      },
      // "auto": what the managers hold plus one waiting item per clone; 2 per clone without batching.
      capacityFor: (clones, windows) => (capacity === "auto" ? Math.max(2, windows + clones) : capacity),
      maxStretchFor: (clones) => (capacity === "auto" ? AUTO_STRETCH_PER_CLONE * clones : 0),
      demandDriven: isOnCycle(this),
      replaceCrashedClones: this.replaceCrashedClones.getValue(),
      stopGraceMs: this.stopGraceMs.getValue(),
      reportCrash: (event) => {
        if (!this.events.emit("cloneCrashed", event)) {
          process.emitWarning(`${event.error.message} (${event.replaced ? "replaced" : "dropped"})`, "CellflowWarning");
        }
      },
      reportNotice: (event) => {
        // Several clones sharing one cause (remote clones of one queue) tell it at once: say it once.
        const key = `${event.method}\n${event.kind}\n${event.message}`;
        if (toldNow.has(key)) return;
        toldNow.add(key);
        queueMicrotask(() => toldNow.delete(key));
        if (!this.events.emit("cloneNotice", event)) process.emitWarning(`${this.path}: ${event.message}`, "CellflowWarning");
      },
    };
  }
}

/** The scalable cells in `root` and below, not descending into their inner (template) cells. */
function scalableCellsIn(root: Cell): ScalableCell[] {
  if (root instanceof ScalableCell) return [root];
  const children = (root as Partial<CompositeCell>).children ?? [];
  return children.flatMap(scalableCellsIn);
}

function assertCount(times: number, what: string): void {
  if (!Number.isInteger(times) || times < 1) {
    throw new InvalidArgumentError(`${what}(times) needs a positive integer, got ${String(times)}.`);
  }
}
