import { AbortedError } from "../errors/lifecycle-errors.js";
import { EndOfStreamError, InactiveError, type CloneCrashedError } from "../errors/runtime-errors.js";
import { isPromiseLike, type MaybePromise } from "../util/maybe-promise.js";
import { Serializer } from "../util/serializer.js";
import { cloneMethod } from "./clone-method.js";
import type { CloneHandle, ItemResult } from "./clone-method.js";
import { CloneManager, type Claim, type ClaimSource, type RunningClone } from "./clone-manager.js";
import { OutputQueue } from "./output-queue.js";
import { cloneItemChannel } from "../observe/channels.js";
import { now } from "../observe/clock.js";
import {
  pullInputs,
  type ParameterSnapshot,
  type PortValues,
  type ScalableContext,
  type ScalingStrategy,
} from "./scaling-strategy.js";

/** A caller of `whenIdle`, until a look finds the cell idle. */
interface IdleWaiter {
  readonly whileWaiting: boolean;
  readonly resolve: () => void;
}

/** Clones asked for whose deploy has not finished: they count as clones (SPEC 3.10). */
interface StartingClone {
  readonly method: string;
  /** A scale-down took it back before it was running: it is undeployed once deployed. */
  cancelled: boolean;
  /** Settles when it is running or gone. */
  settled: Promise<void>;
}

/**
 * The normal strategy: one manager per clone, input pulls serialized across managers,
 * results through the ordered output queue. Managers fill the queue eagerly from deploy
 * on, bounded by its capacity (or, on a recurrent cycle, only on demand).
 */
export class QueueStrategy implements ScalingStrategy, ClaimSource {
  private readonly managers: CloneManager[] = [];
  private readonly starting: StartingClone[] = [];
  private readonly queue: OutputQueue<ItemResult>;
  /** Whose turn it is to reserve a ticket and pull the inputs (new after a reset: a stuck claim stays behind). */
  private inputTurn = new Serializer();
  /**
   * The last input pull found the end of the stream. From then on the queue fills only on
   * demand, one input pull per pull of the cell, as the unscaled cell would pull its
   * inputs: so every pull past the end raises EndOfStreamError, and the other consumers
   * of the same sources stay in step instead of waiting for this cell for good.
   */
  private ended = false;
  /** Filled slots that hold the end of the stream (no item: `availablePulls` leaves them out). */
  private readonly endSlots = new Set<ItemResult>();
  /** Stopped by `halt`: an undeploy or a reset is coming. */
  private halted = false;
  /** Undeployed for good: clones that finish starting are undeployed at once. */
  private finished = false;
  /** Resolves when a reset is over (or the strategy stopped): work halted meanwhile may go on. */
  private resumed: Promise<void> = Promise.resolve();
  private releaseHalted: () => void = () => undefined;
  /** Clones reset and waiting for `resume` to get managers again. */
  private readonly resetClones: RunningClone[] = [];
  /** Tickets reserved whose inputs are still being pulled: upstream still counts their values. */
  private claiming = 0;
  /** Items of clones that are gone, while no manager is left to run them: the next manager does. */
  private readonly orphans: Claim[] = [];
  /** Managers whose clone was still busy when undeploy or reset stopped waiting for it. */
  private abandoned = new Set<CloneManager>();
  /** Crashed clones being replaced (`cloneCrashed` running). */
  private replacing = 0;
  /** `stop` is over: nothing runs any more. */
  private stopped = false;
  /** Callers of `whenIdle` still waiting; null when none (the usual case). */
  private idleWaiters: IdleWaiter[] | null = null;
  /** The look at the next macrotask turn, once one is asked for. */
  private idleLook: NodeJS.Immediate | null = null;
  /** Whether anyone waits for idle: only then do managers and claims report `noteQuiet`. */
  watchingIdle = false;

  constructor(private readonly context: ScalableContext) {
    this.queue = new OutputQueue<ItemResult>(
      context.path,
      () => this.capacity(),
      () => context.demandDriven || this.ended,
      () => context.maxStretchFor(this.activeManagers()),
    );
  }

  get cloneCount(): number {
    return this.activeManagers() + this.liveStarting();
  }

  async start(methods: readonly string[]): Promise<void> {
    await this.addClones(methods);
  }

  addClones(methods: readonly string[]): Promise<void> {
    const clones: StartingClone[] = methods.map((method) => ({ method, cancelled: false, settled: Promise.resolve() }));
    this.starting.push(...clones);
    const started = this.startClones(clones);
    const settled = started.then(ignore, ignore);
    for (const clone of clones) clone.settled = settled;
    return started;
  }

  private async startClones(clones: readonly StartingClone[]): Promise<void> {
    try {
      const launched = await Promise.allSettled(clones.map((c) => this.launch(c.method)));
      const running = launched.flatMap((l) => (l.status === "fulfilled" ? [l.value] : []));
      const failure = launched.find((l) => l.status === "rejected");
      if (failure !== undefined) {
        // All or none: the ones that did start go again.
        await Promise.allSettled(running.map((c) => c.handle.undeploy()));
        throw failure.reason;
      }
      // Started while a reset runs: join the pipeline once it is over.
      while (this.halted && !this.finished) await this.resumed;
      const unwanted: CloneHandle[] = [];
      clones.forEach((clone, i) => {
        if (clone.cancelled || this.finished) unwanted.push(running[i]!.handle);
        else this.managers.push(this.newManager(running[i]!));
      });
      this.queue.admitReservers();
      await Promise.allSettled(unwanted.map((h) => h.undeploy()));
    } finally {
      for (const clone of clones) this.starting.splice(this.starting.indexOf(clone), 1);
      this.failTakerIfInactive();
      this.noteQuiet();
    }
  }

  async removeClones(count: number): Promise<void> {
    // A reset rebuilds the managers: scale down the ones it brings back.
    while (this.halted && !this.finished) await this.resumed;
    if (this.finished) return;
    // The newest leave first: clones still starting, then running ones.
    const cancelled: Promise<void>[] = [];
    for (let i = this.starting.length - 1; i >= 0 && count > 0; i--) {
      const clone = this.starting[i]!;
      if (clone.cancelled) continue;
      clone.cancelled = true;
      cancelled.push(clone.settled);
      count--;
    }
    const active = this.managers.filter((m) => !m.isStopping);
    const leaving = count > 0 ? active.slice(-count) : [];
    for (const manager of leaving) {
      manager.requestStop();
      this.queue.cancel(manager);
    }
    await Promise.all(leaving.map((m) => m.idle));
    for (const manager of leaving) this.forget(manager); // a leaving clone that crashed is gone already
    await Promise.all([...leaving.map((m) => m.handle.undeploy()), ...cancelled]);
    this.failTakerIfInactive();
    this.noteQuiet();
  }

  next(): MaybePromise<PortValues> {
    if (this.halted) throw new AbortedError(`"${this.context.path}" is stopping`);
    if (!this.queue.headIsFilled && this.managers.length === 0 && this.liveStarting() === 0) {
      throw new InactiveError(this.context.path);
    }
    const slot = this.queue.take();
    return isPromiseLike(slot) ? slot.then(this.unpack) : this.unpack(slot);
  }

  /**
   * Reserve a ticket, then pull the inputs: one manager at a time, so tickets follow input
   * order. The claim records the parameter values in force once its inputs are in (read in
   * the same synchronous step as the last input's arrival when the pull did not wait): a
   * change applies to every item claimed after it, on every clone, and items claimed
   * before keep the values of their claim (docs/parameters.md).
   */
  claim(manager: CloneManager): Promise<Claim | null | "retry"> {
    const claimed = this.inputTurn.run(async (): Promise<Claim | null | "retry"> => {
      if (manager.isStopping || this.halted) return null;
      const ticket = await this.queue.reserve(manager);
      if (ticket === null) return manager.isStopping || this.halted ? null : "retry";
      this.claiming++;
      let inputs: PortValues;
      let parameters: ParameterSnapshot;
      const observed = cloneItemChannel.hasSubscribers;
      const pullStart = observed ? now() : 0;
      let inputMs = 0;
      try {
        const pulled = pullInputs(this.context.inputPorts);
        // No await on a value that is there: nothing may run between the inputs and the values.
        inputs = isPromiseLike(pulled) ? await pulled : pulled;
        parameters = this.context.parameters();
        if (observed) inputMs = now() - pullStart;
      } catch (error) {
        if (error instanceof AbortedError) return null;
        const slot = { error }; // surfaces at the pull that takes this ticket
        if (error instanceof EndOfStreamError) {
          this.ended = true;
          this.endSlots.add(slot);
        }
        this.queue.fill(ticket, slot);
        return "retry";
      } finally {
        this.claiming--;
        if (this.watchingIdle) this.noteQuiet();
      }
      this.ended = false; // the inputs delivered again (a source may get more items)
      const claim: Claim = { ticket, inputs, parameters, crashes: 0, inputMs };
      if (this.halted) return null;
      if (manager.isStopping) {
        // Scaled down while its inputs were pulled: another clone runs the item.
        this.adopt([claim]);
        return null;
      }
      return claim;
    });
    return isPromiseLike(claimed) ? claimed : Promise.resolve(claimed);
  }

  complete(ticket: number, result: ItemResult): void {
    if (!this.halted) this.queue.fill(ticket, result);
  }

  async cloneCrashed(
    manager: CloneManager,
    claims: readonly Claim[],
    error: CloneCrashedError,
  ): Promise<RunningClone | null> {
    if (this.halted) return null; // killed by `settle` on the way to undeploy or reset: no crash
    this.replacing++;
    try {
      const method = manager.handle.method;
      await manager.handle.undeploy().catch(() => undefined);
      // Built with today's values; the items it re-runs apply the values of their claims.
      const replacement =
        this.context.replaceCrashedClones && !this.halted ? await this.launch(method).catch(() => null) : null;
      this.context.reportCrash({ method, error, replaced: replacement !== null, retried: claims.length > 0 });
      if (replacement !== null) return replacement;
      this.forget(manager);
      this.adopt(claims);
      return null;
    } finally {
      this.replacing--;
      this.noteQuiet();
    }
  }

  release(manager: CloneManager, claims: readonly Claim[]): void {
    this.queue.cancel(manager);
    this.adopt(claims);
  }

  /**
   * Claims of a manager that is gone go straight to the least loaded manager left, which
   * runs them even while its own feeder waits for upstream; with none left, to the next
   * manager that starts.
   */
  private adopt(claims: readonly Claim[]): void {
    if (claims.length > 0) {
      let heir: CloneManager | undefined;
      if (!this.halted) {
        for (const m of this.managers) if (!m.isStopping && (heir === undefined || m.load < heir.load)) heir = m;
      }
      if (heir !== undefined) heir.takeOver(claims);
      else this.orphans.push(...claims);
    }
    this.failTakerIfInactive();
  }

  halt(reason: string): void {
    if (!this.halted) {
      this.halted = true;
      this.resumed = new Promise<void>((resolve) => (this.releaseHalted = resolve));
    }
    for (const manager of this.managers) manager.requestStop();
    this.queue.abort(reason);
    this.inputTurn.abortQueued(reason);
  }

  async quiesce(): Promise<void> {
    await this.settle(this.managers);
  }

  async reset(): Promise<void> {
    const managers = this.managers.splice(0);
    await this.settle(managers);
    const stuck = this.abandoned;
    this.abandoned = new Set();
    this.queue.clear();
    this.orphans.length = 0; // their tickets belonged to the stream before the reset
    this.ended = false;
    this.endSlots.clear();
    this.claiming = 0;
    this.inputTurn = new Serializer();
    const clones = await Promise.allSettled(
      managers.map(async (m): Promise<RunningClone> => {
        if (!stuck.has(m)) {
          await m.handle.reset();
          return m.clone; // a reset keeps the parameter values the clone holds
        }
        // Its item never ended: start over with a fresh clone of the same kind.
        await m.handle.undeploy().catch(() => undefined);
        return this.launch(m.handle.method);
      }),
    );
    for (const c of clones) if (c.status === "fulfilled") this.resetClones.push(c.value);
    const failure = clones.find((c) => c.status === "rejected");
    if (failure !== undefined) throw failure.reason;
  }

  resume(): void {
    this.halted = false;
    for (const clone of this.resetClones.splice(0)) this.managers.push(this.newManager(clone));
    this.releaseHalted();
    this.noteQuiet();
  }

  async stop(): Promise<void> {
    this.finished = true;
    this.releaseHalted();
    try {
      const managers = this.managers.splice(0);
      await this.settle(managers);
      // Clones still starting undeploy themselves once deployed (`finished`).
      await Promise.all(this.starting.map((c) => c.settled));
      const handles = [...managers.map((m) => m.handle), ...this.resetClones.splice(0).map((c) => c.handle)];
      const undeployed = await Promise.allSettled(handles.map((h) => h.undeploy()));
      const failure = undeployed.find((u) => u.status === "rejected");
      if (failure !== undefined) throw failure.reason;
    } finally {
      this.stopped = true;
      this.noteQuiet();
    }
  }

  availablePulls(upstream: number): number {
    return this.queue.outstanding - this.claiming - this.endSlots.size + upstream;
  }

  whenIdle(whileWaiting: boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      (this.idleWaiters ??= []).push({ whileWaiting, resolve });
      this.watchingIdle = true;
      this.noteQuiet();
    });
  }

  /**
   * At the start of a macrotask (`whenIdle` looks there only): any step the managers take
   * on their own in microtasks is done, so each one is parked on something. Idle: none is
   * parked on a deploy, a crash replacement or a reset, and (unless `whileWaiting`) none on
   * an input pull or an item in its clone: what is left is waiting for room (a pull) or for
   * its turn behind one that is.
   */
  isIdle(whileWaiting: boolean): boolean {
    if (this.stopped) return true;
    if (this.halted || this.starting.length > 0 || this.replacing > 0) return false;
    if (whileWaiting) return true;
    if (this.claiming > 0) return false;
    for (const manager of this.managers) if (!manager.isQuiet) return false;
    return true;
  }

  /**
   * Something happened that may leave the cell idle: if anyone waits, look at the next
   * macrotask turn (a look now could land between two microtask steps of a hand-over).
   */
  noteQuiet(): void {
    if (this.idleWaiters !== null && this.idleLook === null) this.idleLook = setImmediate(this.lookIdle);
  }

  private readonly lookIdle = (): void => {
    this.idleLook = null;
    const waiters = this.idleWaiters ?? [];
    const left = waiters.filter((w) => !this.isIdle(w.whileWaiting));
    this.idleWaiters = left.length > 0 ? left : null;
    this.watchingIdle = left.length > 0;
    for (const w of waiters) if (!left.includes(w)) w.resolve();
  };

  private readonly unpack = (slot: ItemResult): PortValues => {
    if ("error" in slot) {
      this.endSlots.delete(slot);
      throw slot.error;
    }
    return slot.outputs;
  };

  private newManager(clone: RunningClone): CloneManager {
    return new CloneManager(clone, this.context, this, this.orphans.splice(0));
  }

  /**
   * A new running clone of `method`, built with the parameter values in force now (read
   * before the first await, so clones launched together share them). A clone that fails
   * to deploy is undeployed (whatever part of it started: a thread, a process) and its
   * error thrown.
   */
  private async launch(method: string): Promise<RunningClone> {
    const parameters = this.context.parameters();
    const lane = this.context.cloneLane(method);
    const handle = cloneMethod(method).create(this.context.recipe(parameters, lane));
    try {
      await handle.deploy();
    } catch (error) {
      await handle.undeploy().catch(ignore);
      throw error;
    }
    return { handle, parameters, lane };
  }

  /** No clone running or starting can fill the head any more: a pull waiting for it fails. */
  private failTakerIfInactive(): void {
    // Leaving managers stay listed until they are idle: the item they finish may be the head.
    if (this.managers.length === 0 && this.liveStarting() === 0 && !this.queue.headIsFilled) {
      this.queue.failTaker(new InactiveError(this.context.path));
    }
  }

  /**
   * After `halt`: waits for the managers' in-flight items, at most the grace period.
   * Then clones still busy are killed if they can be (threads, processes) and left
   * behind otherwise (an async clone cannot be interrupted), so undeploy and reset
   * never hang on a clone stuck in its item. Those managers go to `abandoned`.
   */
  private async settle(managers: readonly CloneManager[]): Promise<void> {
    const finished = new Set<CloneManager>();
    const all = Promise.all(managers.map((m) => m.stopped.then(() => void finished.add(m))));
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.context.stopGraceMs)));
    await Promise.race([all, grace]);
    clearTimeout(timer);
    for (const manager of managers) {
      if (finished.has(manager) || this.abandoned.has(manager)) continue;
      this.abandoned.add(manager);
      await manager.handle.kill?.();
    }
  }

  /** Drops `manager` from the list if it is still there (splice(-1) would drop another). */
  private forget(manager: CloneManager): void {
    const index = this.managers.indexOf(manager);
    if (index >= 0) this.managers.splice(index, 1);
  }

  /** The queue's capacity for the active managers and the items they may hold at once (one each without batching). */
  private capacity(): number {
    let active = 0;
    let windows = 0;
    for (const m of this.managers) {
      if (m.isStopping) continue;
      active++;
      windows += m.windowSize;
    }
    return this.context.capacityFor(active, windows);
  }

  private activeManagers(): number {
    let active = 0;
    for (const m of this.managers) if (!m.isStopping) active++;
    return active;
  }

  private liveStarting(): number {
    let live = 0;
    for (const c of this.starting) if (!c.cancelled) live++;
    return live;
  }
}

function ignore(): void {}
