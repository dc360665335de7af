import { AbortedError, AlreadyDeployedError, NotDeployableError, NotDeployedError } from "../errors/lifecycle-errors.js";
import { InvalidCellError, InvalidIOError, InvalidNameError } from "../errors/structure-errors.js";
import type { Fanout } from "../io/fanout.js";
import type { AnyConnection } from "../connection/connection.js";
import type { Inbox } from "../io/inbox.js";
import type { AnyIO, IOKind } from "../io/io.js";
import type { Producer } from "../io/producer.js";
import { isPromiseLike, type MaybePromise } from "../util/maybe-promise.js";
import { assertValidName } from "../util/names.js";
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

type EmittingIO = AnyIO & { readonly fanout: Fanout<any> };
type ReceivingIO = AnyIO & { readonly inbox: Inbox<any> };

/**
 * The base of every cell. A cell has named IO, a parent (null for a root), a lifecycle
 * (`deploy`, `pull`, `reset`, `undeploy`) and pulls that are serialized: concurrent
 * pulls of one cell run one after the other.
 */
export abstract class Cell implements Producer {
  readonly parent: CompositeCell | null;
  readonly name: string;
  /** @internal Every IO by name, in declaration order. */
  readonly ios = new Map<string, AnyIO>();
  /** @internal IO whose values this cell's pull sets: outputs and output ports. */
  readonly emitters: EmittingIO[] = [];
  /** @internal IO fed from outside the cell: inputs, parameters and input ports. */
  readonly receivers: ReceivingIO[] = [];
  /** @internal */
  refreshing: Promise<void> | null = null;
  /** @internal */
  refreshedBy: AnyConnection | null = null;
  /**
   * @internal Set by `abortWaits` until the reset or undeploy that asked for it is over:
   * a pull started meanwhile (a waiter resuming after the abort) fails at once instead
   * of parking where nothing would wake it, or taking a value of the restarted stream.
   */
  haltReason: string | null = null;
  /** @internal */
  readonly takenWaiters = new Waiters();
  /** @internal Runs this cell's pulls one at a time. */
  protected readonly pullSerializer = new Serializer();
  private deployed = false;
  /** A root's `deploy()` has started and not finished: pulls say so instead of "not deployed". */
  private deployInProgress = false;
  /** @internal Counts this cell's pulls, so inputs can tell whether they were pulled in the current one. */
  pullSerial = 0;

  constructor(parent: CompositeCell | null, name: string) {
    assertValidName(name, "cell");
    this.parent = parent;
    this.name = name;
    parent?.adoptChild(this);
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
    return this.deployed;
  }

  /** The IO called `name`, or undefined. */
  io(name: string): AnyIO | undefined {
    return this.ios.get(name);
  }

  /** @internal Called by IO constructors. */
  registerIO(io: AnyIO): void {
    if (!this.acceptsIO(io.kind)) {
      throw new InvalidIOError(
        `${io.constructor.name} "${io.name}" cannot be declared on ${this}: single cells have inputs, outputs ` +
          `and parameters; composite cells (pipelines, scalable cells) have InputPorts, OutputPorts and parameters.`,
      );
    }
    if (this.ios.has(io.name)) {
      throw new InvalidNameError(`Cell "${this.path}" already has an IO named "${io.name}".`);
    }
    if (this.deployed) throw new AlreadyDeployedError(`Cannot add IO "${io.name}" to deployed cell "${this.path}".`);
    this.ios.set(io.name, io);
    // Fields of the IO subclass are not initialized yet, so classify by kind.
    if (io.kind === "output" || io.kind === "outputPort") this.emitters.push(io as EmittingIO);
    else this.receivers.push(io as ReceivingIO);
    this.parent?.noteStructureChanged();
  }

  /** @internal Which kinds of IO this cell may declare. */
  protected abstract acceptsIO(kind: IOKind): boolean;

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
      const done = this.pullInternal();
      // Resolves to what the pull gives (a pipeline's output record), without an extra hop.
      pulled = isPromiseLike(done) ? done : Promise.resolve(done);
    } catch (error) {
      return Promise.reject(error);
    }
    return signal === undefined ? pulled : untilAborted(pulled, signal);
  }

  /** @internal The pull without promise wrapping; serialized per cell. */
  pullInternal(): MaybePromise<void> {
    if (!this.deployed) {
      const root = this.root;
      throw new NotDeployedError(
        root.deployInProgress
          ? `Cell "${this.path}" is pulled while "${root.path}" is still deploying: await deploy() before pulling.`
          : `Cell "${this.path}" is pulled but not deployed: call deploy() on "${root.path}" first.`,
      );
    }
    if (this.haltReason !== null) throw new AbortedError(this.haltReason);
    return this.pullSerializer.run(this.pullOnce, this);
  }

  /** @internal What one pull does; runs under the cell's serializer. */
  protected abstract pullOnce(): MaybePromise<void>;

  /** @internal Producer: refreshes every output with one pull. */
  produce(): MaybePromise<void> {
    return this.pullInternal();
  }

  /**
   * @internal A pull failed, so every output records the error as its next step: every
   * connection leaving the cell then takes that error once, as it would a value. Cells
   * call it for each failed pull, however they were pulled; a pull cut short by an
   * undeploy or reset is no step.
   */
  recordFailure(error: unknown): void {
    if (error instanceof AbortedError) return;
    for (const e of this.emitters) e.fanout.fail(error);
  }

  /** @internal Producer: every forward connection of every output took its value. */
  allTaken(): boolean {
    for (const e of this.emitters) if (!e.fanout.allTaken()) return false;
    return true;
  }

  /**
   * How many more pulls this cell can serve: its own limit (see `remainingPulls`) and
   * what its upstream can still deliver. `Infinity` for endless streams.
   */
  availablePulls(): number {
    let available = this.remainingPulls();
    for (const r of this.receivers) {
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
    if (this.deployed) throw new AlreadyDeployedError(`Cell "${this.path}" is already deployed.`);
    if (this.parent !== null) {
      throw new NotDeployableError(this.path, [`only a root cell (parent null) is deployed; deploy "${this.root.path}" instead`]);
    }
    if (this.deployInProgress) throw new AlreadyDeployedError(`Cell "${this.path}" is already deploying: await the first deploy().`);
    if (deployIsRecursive(this)) throw new DeployInCloneError(this.path);
    const deployable = this.isDeployable();
    if (!deployable.ok) throw new NotDeployableError(this.path, deployable.reasons);
    this.deployInProgress = true;
    const deploying = this.deployInternal();
    try {
      await (signal === undefined ? deploying : untilAborted(deploying, signal));
    } catch (error) {
      if (signal?.aborted && error === signal.reason) {
        await this.undeployAfterAbort(deploying);
        throw error;
      }
      this.deployInProgress = false;
      throw error;
    }
    this.deployInProgress = false;
  }

  /** A deploy aborted by its signal: once the deploy in progress is over, undo it. */
  private async undeployAfterAbort(deploying: Promise<void>): Promise<void> {
    try {
      await deploying;
      if (this.deployed) await this.undeploy();
    } catch {
      // The deploy failed (it cleaned up after itself) or undeploy did: nobody is left to tell.
    } finally {
      this.deployInProgress = false;
    }
  }

  /** Releases every resource: stops clones, threads and processes, runs every `onUndeploy`. */
  async undeploy(): Promise<void> {
    if (!this.deployed) throw new NotDeployedError(`Cell "${this.path}" is not deployed.`);
    if (this.parent !== null) throw new NotDeployedError(`Undeploy the root cell "${this.root.path}", not "${this.path}".`);
    this.abortWaits(`"${this.path}" was undeployed`);
    await this.undeployInternal();
  }

  /** Returns every cell to its initial state (`onReset`) so a deployed pipeline can start over. */
  async reset(): Promise<void> {
    if (!this.deployed) throw new NotDeployedError(`Cell "${this.path}" is not deployed: nothing to reset.`);
    this.abortWaits(`"${this.path}" was reset`);
    // Background work (clone managers pulling their inputs) must end before any cell
    // resets, or an input pull still in flight would land in the fresh stream.
    await this.quiesceInternal();
    try {
      await this.resetInternal();
    } finally {
      // Only once every cell is back at its start: work started earlier (a clone manager
      // pulling ahead) could read state a later cell has not reset yet.
      await this.resumeInternal();
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.deployed) await this.undeploy();
  }

  /** @internal */
  async deployInternal(): Promise<void> {
    this.markDeployed();
  }

  /** @internal */
  async undeployInternal(): Promise<void> {
    this.markUndeployed();
  }

  /** @internal */
  protected markDeployed(): void {
    this.deployed = true;
    this.haltReason = null;
  }

  /** @internal */
  protected markUndeployed(): void {
    this.deployed = false;
  }

  /**
   * @internal After `abortWaits`: resolves once no pull of this cell runs any more (a
   * pull whose `onPull` is still busy would otherwise set its outputs after the reset),
   * waiting at most QUIESCE_GRACE_MS for one that never ends.
   */
  async quiesceInternal(): Promise<void> {
    if (this.pullSerializer.isBusy) await withinGrace(this.pullSerializer.whenIdle(), QUIESCE_GRACE_MS);
  }

  /** @internal After `resetInternal` of the whole tree: restarts background work (clone managers). */
  async resumeInternal(): Promise<void> {}

  /** @internal Resets outputs and inputs; subclasses add their own state. */
  async resetInternal(): Promise<void> {
    this.haltReason = null;
    for (const io of this.ios.values()) {
      (io as Partial<EmittingIO>).fanout?.reset();
      (io as Partial<ReceivingIO>).inbox?.reset();
    }
  }

  /** @internal Rejects every parked wait of this cell (and its children) with AbortedError. */
  abortWaits(reason: string): void {
    this.abortOwnWaits(reason);
  }

  /** @internal The waits parked on this cell and its own IO. */
  protected abortOwnWaits(reason: string): void {
    this.haltReason = reason;
    this.takenWaiters.abortAll(reason);
    this.pullSerializer.abortQueued(reason);
    this.refreshing = null;
    for (const io of this.ios.values()) {
      (io as Partial<EmittingIO>).fanout?.abortWaits(reason);
      const producer = (io as Partial<EmittingIO>).fanout?.producer;
      if (producer !== undefined && producer !== this) {
        producer.takenWaiters.abortAll(reason);
        producer.refreshing = null;
      }
      // Pulls queued behind another pull of the same incoming connection.
      (io as Partial<ReceivingIO>).inbox?.incoming?.line.abortAll(reason);
    }
  }

  // ---- validation ------------------------------------------------------------------------

  /** Throws `InvalidCellError` listing every structural problem of this cell and its children. */
  assertIsValid(): void {
    const reasons = this.validityReasons();
    if (reasons.length > 0) throw new InvalidCellError(reasons);
  }

  /** Whether `deploy()` would succeed, and if not, why. */
  isDeployable(): Explained {
    const reasons = [...this.validityReasons(), ...this.deployabilityReasons()];
    return { ok: reasons.length === 0, reasons };
  }

  /** @internal Structural invariants; composites add their children's. */
  validityReasons(): string[] {
    return [];
  }

  /** @internal What keeps a valid cell from running: unconnected inputs without value, topology. */
  deployabilityReasons(): string[] {
    const reasons: string[] = [];
    for (const r of this.receivers) {
      if (r.kind === "inputPort" && this.parent === null) continue; // set by the user before each pull
      if (!r.inbox.isSatisfied) {
        reasons.push(`${r} has neither an incoming connection nor a value`);
      }
    }
    return reasons;
  }

  // ---- parameters -------------------------------------------------------------------------

  /** @internal Parameters call this; scalable cells use it to push new values to clones. */
  noteParameterChanged(): void {
    this.parent?.noteParameterChanged();
  }

  toString(): string {
    return `${this.constructor.name}("${this.path}")`;
  }
}
