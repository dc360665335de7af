import * as internal from "./internal-members.js";
import { noteRunFailure, type RunLog, type RunRecord } from "../observe/cell-runs.js";
import { AbortedError, AlreadyDeployedError, NotDeployableError, NotDeployedError } from "../errors/lifecycle-errors.js";
import { InvalidCellError, InvalidIOError, InvalidNameError } from "../errors/structure-errors.js";
import type { AnyConnection } from "../connection/connection.js";
import type { Handover } from "../io/producer.js";
import type { Input } from "../io/input.js";
import type { Output } from "../io/output.js";
import type { InputPort, OutputPort } from "../io/ports.js";
import type { AnyIO, IOKind } from "../io/io.js";
import { isPromiseLike, type MaybePromise } from "../util/maybe-promise.js";
import { assertValidName } from "../util/names.js";
import { engineParameterField } from "./engine-parameters.js";
import { Serializer } from "../util/serializer.js";
import { Waiters } from "../util/waiters.js";
import { withinGrace } from "../util/grace.js";
import { untilAborted } from "../util/abort.js";
import { deployIsRecursive } from "../scaling/clone-context.js";
import { DeployInCloneError } from "../errors/runtime-errors.js";
import type { CompositeCell } from "./composite-cell.js";

/** How long a reset waits for a cell's pull in progress (its `onPull` may be stuck) before going on. */
const QUIESCE_GRACE_MS = 2000;

/** A check that explains itself: `ok`, and when not, every reason found. */
export interface Explained {
  readonly ok: boolean;
  readonly reasons: readonly string[];
}

/** Options of one `pull()`. */
export interface PullOptions {
  /** Stop waiting for the pull when this signal aborts (the pull rejects with its reason). */
  readonly signal?: AbortSignal;
}

/** Options of `deploy()`. */
export interface DeployOptions {
  /** Give up the deploy when this signal aborts (it rejects with its reason; what started is undeployed). */
  readonly signal?: AbortSignal;
}

/** The constructor shape every cell has, so the engine can build clones of any cell. */
export type CellClass<C extends Cell = Cell> = new (parent: CompositeCell | null, name: string) => C;

/**
 * @internal IO a cell's pull sets (every concrete IO is an emitter or a receiver; each
 * class's `kind` tells them apart). Of any value type: the cell holds IO of many types.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Emitter = Output<any> | OutputPort<any>;
/** @internal IO fed from outside a cell: inputs, parameters (inputs too) and input ports. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Receiver = Input<any> | InputPort<any>;

/**
 * The base of every cell. A cell has named IO, a parent (null for a root), a lifecycle
 * (`deploy`, `pull`, `reset`, `undeploy`) and pulls that are serialized: concurrent
 * pulls of one cell run one after the other.
 */
export abstract class Cell {
  readonly parent: CompositeCell | null;
  readonly name: string;
  /** @internal Every IO by name, in declaration order. */
  readonly [internal.ios] = new Map<string, Emitter | Receiver>();
  /** @internal IO whose values this cell's pull sets: outputs and output ports. */
  readonly [internal.emitters]: Emitter[] = [];
  /** @internal IO fed from outside the cell: inputs, parameters and input ports. */
  readonly [internal.receivers]: Receiver[] = [];
  /** @internal */
  [internal.refreshing]: Promise<unknown> | null = null;
  /** @internal */
  [internal.refreshedBy]: AnyConnection | null = null;
  /** @internal See Producer's handoverOffer. */
  [internal.handoverOffer]: Handover | null = null;
  /**
   * @internal Set by `abortWaits` until the reset or undeploy that asked for it is over:
   * a pull started meanwhile (a waiter resuming after the abort) fails at once instead
   * of parking where nothing would wake it, or taking a value of the restarted stream.
   */
  [internal.haltReason]: string | null = null;
  /** @internal */
  readonly [internal.takenWaiters] = new Waiters();
  /** @internal Runs this cell's pulls one at a time. */
  protected readonly [internal.pullSerializer] = new Serializer();
  #deployed = false;
  /** A root's `deploy()` has started and not finished: pulls say so instead of "not deployed". */
  #deployInProgress = false;
  /** The root's `undeploy()` in progress: a second call waits for it. */
  #undeploying: Promise<void> | null = null;
  /** @internal Counts this cell's pulls, so inputs can tell whether they were pulled in the current one. */
  [internal.pullSerial] = 0;
  /** @internal The run being recorded for the cell-run channel (single cells, while someone listens). */
  [internal.currentRun]: RunRecord | null = null;
  /** @internal On a root: the lane its cells' events carry (a clone's host sets it). */
  [internal.lane]: string | undefined = undefined;
  /** @internal How its runs are told in events, once someone listened to one. */
  [internal.runLog]: RunLog | null = null;
  /** @internal Its pulls to go until the next timed one, while someone listens (1: the next). */
  [internal.runCountdown] = 1;

  constructor(parent: CompositeCell | null, name: string) {
    assertValidName(name, "cell");
    this.parent = parent;
    this.name = name;
    parent?.[internal.adoptChild](this);
  }

  /** Dotted path from the root, e.g. `my_pipeline.multiplier`. */
  get path(): string {
    return this.parent === null ? this.name : `${this.parent.path}.${this.name}`;
  }

  get root(): Cell {
    let cell: Cell = this;
    while (cell.parent !== null) cell = cell.parent;
    return cell;
  }

  get isDeployed(): boolean {
    return this.#deployed;
  }

  /** The IO called `name`, or undefined. */
  io(name: string): AnyIO | undefined {
    return this[internal.ios].get(name);
  }

  /** @internal Called by IO constructors. */
  [internal.registerIO](io: Emitter | Receiver): void {
    if (!this[internal.acceptsIO](io.kind)) {
      throw new InvalidIOError(
        `${io.constructor.name} "${io.name}" cannot be declared on ${this}: single cells have inputs, outputs ` +
          `and parameters; composite cells (pipelines, scalable cells) have InputPorts, OutputPorts and parameters.`,
      );
    }
    const existing = this[internal.ios].get(io.name);
    if (existing !== undefined) {
      const engineField = engineParameterField(existing);
      throw new InvalidNameError(
        engineField === undefined
          ? `Cell "${this.path}" already has an IO named "${io.name}".`
          : `Cell "${this.path}" cannot declare an IO named "${io.name}": that is the IO name of the engine's own ` +
              `parameter \`${engineField}\` (set it with ${this.name}.${engineField}.setValue(…)). Give your IO another name.`,
      );
    }
    if (this.#deployed) throw new AlreadyDeployedError(`Cannot add IO "${io.name}" to deployed cell "${this.path}".`);
    this[internal.ios].set(io.name, io);
    // Fields of the IO subclass are not initialized yet, so classify by kind.
    if (io.kind === "output" || io.kind === "outputPort") this[internal.emitters].push(io);
    else this[internal.receivers].push(io);
    this.parent?.[internal.noteStructureChanged]();
  }

  /** @internal Which kinds of IO this cell may declare. */
  protected abstract [internal.acceptsIO](kind: IOKind): boolean;

  // ---- pulling -------------------------------------------------------------------------

  /**
   * Runs one pull of this cell: it pulls its inputs, does its work, sets its outputs. A
   * pipeline's pull resolves to its output record ({@link Pipeline.pull}). With `signal`, the returned promise rejects with the signal's reason once it aborts;
   * the iteration itself still runs to its end, so every value stays delivered exactly
   * once (the next pull waits for it, as for any pull in progress).
   */
  pull(options?: PullOptions): Promise<unknown> {
    const signal = options?.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    let pulled: Promise<unknown>;
    try {
      const done = this[internal.pullInternal]();
      // Resolves to what the pull gives (a pipeline's output record), without an extra hop.
      pulled = isPromiseLike(done) ? done : Promise.resolve(done);
    } catch (error) {
      return Promise.reject(error);
    }
    return signal === undefined ? pulled : untilAborted(pulled, signal);
  }

  /** @internal The pull without promise wrapping; serialized per cell. */
  [internal.pullInternal](): MaybePromise<unknown> {
    if (!this.#deployed) {
      const root = this.root;
      throw new NotDeployedError(
        root.#deployInProgress
          ? `Cell "${this.path}" is pulled while "${root.path}" is still deploying: await deploy() before pulling.`
          : `Cell "${this.path}" is pulled but not deployed: call deploy() on "${root.path}" first.`,
      );
    }
    if (this[internal.haltReason] !== null) throw new AbortedError(this[internal.haltReason]);
    return this[internal.pullSerializer].run(this[internal.pullOnce], this);
  }

  /** @internal What one pull does; runs under the cell's serializer. */
  protected abstract [internal.pullOnce](): MaybePromise<unknown>;

  /** @internal Producer: refreshes every output with one pull. */
  [internal.produce](): MaybePromise<unknown> {
    return this[internal.pullInternal]();
  }

  /**
   * @internal A pull failed, so every output records the error as its next step: every
   * connection leaving the cell then takes that error once, as it would a value. Cells
   * call it for each failed pull, however they were pulled; a pull cut short by an
   * undeploy or reset is no step.
   */
  [internal.recordFailure](error: unknown): void {
    if (error instanceof AbortedError) return;
    noteRunFailure(this, this[internal.pullSerializer]);
    for (const e of this[internal.emitters]) e.fanout.fail(error);
  }

  /** @internal Producer: every forward connection of every output took its value. */
  [internal.allTaken](): boolean {
    const emitters = this[internal.emitters];
    for (let i = 0; i < emitters.length; i++) if (!emitters[i]!.fanout.allTaken()) return false;
    return true;
  }

  /**
   * How many more pulls this cell can serve: its own limit (see `remainingPulls`) and
   * what its upstream can still deliver. `Infinity` for endless streams.
   */
  availablePulls(): number {
    let available = this.remainingPulls();
    for (const r of this[internal.receivers]) {
      const incoming = r.inbox.incoming;
      if (incoming !== null && !incoming.recurrent) {
        available = Math.min(available, incoming.source.fanout.availableFor(incoming));
      }
    }
    return available;
  }

  /**
   * Override in a finite source: how many pulls it has left. Pulling a cell whose
   * remaining pulls are 0 raises `EndOfStreamError`. Default: unlimited.
   */
  protected remainingPulls(): number {
    return Infinity;
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /**
   * Validates, resolves topologies and deploys every cell. Only a root cell can be
   * deployed. With `signal`, an abort stops the deploy: once what had started (clones,
   * threads, processes) is undeployed again, it rejects with the signal's reason, and
   * the cell can be deployed anew.
   */
  async deploy(options?: DeployOptions): Promise<void> {
    const signal = options?.signal;
    signal?.throwIfAborted();
    if (this.#deployed) throw new AlreadyDeployedError(`Cell "${this.path}" is already deployed.`);
    if (this.parent !== null) {
      throw new NotDeployableError(this.path, [`only a root cell (parent null) is deployed; deploy "${this.root.path}" instead`]);
    }
    if (this.#deployInProgress) throw new AlreadyDeployedError(`Cell "${this.path}" is already deploying: await the first deploy().`);
    if (deployIsRecursive(this)) throw new DeployInCloneError(this.path);
    const deployable = this.isDeployable();
    if (!deployable.ok) throw new NotDeployableError(this.path, deployable.reasons);
    this.#deployInProgress = true;
    const deploying = this[internal.deployInternal]();
    try {
      await (signal === undefined ? deploying : untilAborted(deploying, signal));
    } catch (error) {
      if (signal?.aborted && error === signal.reason) {
        await this.#undeployAfterAbort(deploying);
        throw error;
      }
      this.#deployInProgress = false;
      throw error;
    }
    this.#deployInProgress = false;
  }

  /** A deploy aborted by its signal: once the deploy in progress is over, undo it. */
  async #undeployAfterAbort(deploying: Promise<void>): Promise<void> {
    try {
      await deploying;
      if (this.#deployed) await this.undeploy();
    } catch {
      // The deploy failed (it cleaned up after itself) or undeploy did: nobody is left to tell.
    } finally {
      this.#deployInProgress = false;
    }
  }

  /**
   * Releases every resource: stops clones, threads and processes, runs every `onUndeploy`.
   * A second call while one is still running waits for that one (a signal handler and a
   * `finally` may both undeploy); once undeployed, it throws `NotDeployedError`.
   */
  undeploy(): Promise<void> {
    if (this.#undeploying !== null) return this.#undeploying;
    if (!this.#deployed) return Promise.reject(new NotDeployedError(`Cell "${this.path}" is not deployed.`));
    if (this.parent !== null) {
      return Promise.reject(new NotDeployedError(`Undeploy the root cell "${this.root.path}", not "${this.path}".`));
    }
    this[internal.abortWaits](`"${this.path}" was undeployed`);
    const undeploying = this[internal.undeployInternal]().finally(() => {
      this.#undeploying = null;
    });
    this.#undeploying = undeploying;
    return undeploying;
  }

  /** Returns every cell to its initial state (`onReset`) so a deployed pipeline can start over. */
  async reset(): Promise<void> {
    if (!this.#deployed) throw new NotDeployedError(`Cell "${this.path}" is not deployed: nothing to reset.`);
    this[internal.abortWaits](`"${this.path}" was reset`);
    // Background work (clone managers pulling their inputs) must end before any cell
    // resets, or an input pull still in flight would land in the fresh stream.
    await this[internal.quiesceInternal]();
    try {
      await this[internal.resetInternal]();
    } finally {
      // Only once every cell is back at its start: work started earlier (a clone manager
      // pulling ahead) could read state a later cell has not reset yet.
      await this[internal.resumeInternal]();
    }
  }

  /** Undeploys if deployed (or waits for the undeploy in progress); nothing otherwise. */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#deployed || this.#undeploying !== null) await this.undeploy();
  }

  /** @internal */
  async [internal.deployInternal](): Promise<void> {
    this[internal.markDeployed]();
  }

  /** @internal */
  async [internal.undeployInternal](): Promise<void> {
    this[internal.markUndeployed]();
  }

  /** @internal */
  protected [internal.markDeployed](): void {
    this.#deployed = true;
    this[internal.haltReason] = null;
  }

  /** @internal */
  protected [internal.markUndeployed](): void {
    this.#deployed = false;
  }

  /**
   * @internal After `abortWaits`: resolves once no pull of this cell runs any more (a
   * pull whose `onPull` is still busy would otherwise set its outputs after the reset),
   * waiting at most QUIESCE_GRACE_MS for one that never ends.
   */
  async [internal.quiesceInternal](): Promise<void> {
    if (this[internal.pullSerializer].isBusy) await withinGrace(this[internal.pullSerializer].whenIdle(), QUIESCE_GRACE_MS);
  }

  /** @internal After `resetInternal` of the whole tree: restarts background work (clone managers). */
  async [internal.resumeInternal](): Promise<void> {}

  /** @internal Resets outputs and inputs; subclasses add their own state. */
  async [internal.resetInternal](): Promise<void> {
    this[internal.resetOwnIO]();
  }

  /** @internal Lifts the halt and resets this cell's own IO (not its children's). */
  protected [internal.resetOwnIO](): void {
    this[internal.haltReason] = null;
    for (const io of this[internal.ios].values()) {
      if ("fanout" in io) io.fanout.reset();
      if ("inbox" in io) io.inbox.reset();
    }
  }

  /** @internal Rejects every parked wait of this cell (and its children) with AbortedError. */
  [internal.abortWaits](reason: string): void {
    this[internal.abortOwnWaits](reason);
  }

  /** @internal The waits parked on this cell and its own IO. */
  protected [internal.abortOwnWaits](reason: string): void {
    this[internal.haltReason] = reason;
    this[internal.takenWaiters].abortAll(reason);
    this[internal.pullSerializer].abortQueued(reason);
    this[internal.refreshing] = null;
    for (const io of this[internal.ios].values()) {
      if ("fanout" in io) {
        io.fanout.abortWaits(reason);
        const producer = io.fanout.producer;
        if (producer !== this) {
          producer[internal.takenWaiters].abortAll(reason);
          producer[internal.refreshing] = null;
        }
      }
      // Pulls queued behind another pull of the same incoming connection.
      if ("inbox" in io) io.inbox.incoming?.line.abortAll(reason);
    }
  }

  // ---- validation ------------------------------------------------------------------------

  /** Throws `InvalidCellError` listing every structural problem of this cell and its children. */
  assertIsValid(): void {
    const reasons = this[internal.validityReasons]();
    if (reasons.length > 0) throw new InvalidCellError(reasons);
  }

  /** Whether `deploy()` would succeed, and if not, why. */
  isDeployable(): Explained {
    const reasons = [...this[internal.validityReasons](), ...this[internal.deployabilityReasons]()];
    return { ok: reasons.length === 0, reasons };
  }

  /** @internal Structural invariants; composites add their children's. */
  [internal.validityReasons](): string[] {
    return [];
  }

  /** @internal What keeps a valid cell from running: unconnected inputs without value, topology. */
  [internal.deployabilityReasons](): string[] {
    const reasons: string[] = [];
    for (const r of this[internal.receivers]) {
      if (r.kind === "inputPort" && this.parent === null) continue; // set by the user before each pull
      if (!r.inbox.isSatisfied) {
        reasons.push(`${r} has neither an incoming connection nor a value`);
      }
    }
    return reasons;
  }

  // ---- parameters -------------------------------------------------------------------------

  /** @internal Parameters call this; scalable cells use it to push new values to clones. */
  [internal.noteParameterChanged](): void {
    this.parent?.[internal.noteParameterChanged]();
  }

  toString(): string {
    return `${this.constructor.name}("${this.path}")`;
  }
}
