import { AbortedError } from "../errors/lifecycle-errors.js";
import { EndOfStreamError, InactiveError, type CloneCrashedError } from "../errors/runtime-errors.js";
import { isPromiseLike, type MaybePromise } from "../util/maybe-promise.js";
import { Serializer } from "../util/serializer.js";
import { cloneMethod } from "./clone-method.js";
import type { CloneHandle } from "./clone-method.js";
import { CloneManager, type Claim, type ClaimSource, type Outcome } from "./clone-manager.js";
import { OutputQueue } from "./output-queue.js";
import { pullInputs, type PortValues, type ScalableContext, type ScalingStrategy } from "./scaling-strategy.js";

type Slot = Outcome;

/**
 * The normal strategy: one manager per clone, input pulls serialized across managers,
 * results through the ordered output queue. Managers fill the queue eagerly from deploy
 * on, bounded by its capacity (or, on a recurrent cycle, only on demand).
 */
export class QueueStrategy implements ScalingStrategy, ClaimSource {
  private readonly managers: CloneManager[] = [];
  private readonly queue: OutputQueue<Slot>;
  /** Whose turn it is to reserve a ticket and pull the inputs. */
  private readonly inputTurn = new Serializer();
  /** The source reported the end of the stream; no more tickets are reserved. */
  private ended = false;
  private halted = false;
  /** Tickets reserved whose inputs are still being pulled: upstream still counts their values. */
  private claiming = 0;
  /** Items whose clone died and was not replaced: the next free manager runs them first. */
  private readonly orphans: Claim[] = [];
  /** Managers whose clone was still busy when undeploy or reset stopped waiting for it. */
  private abandoned = new Set<CloneManager>();

  constructor(private readonly context: ScalableContext) {
    this.queue = new OutputQueue<Slot>(
      () => this.capacity(),
      () => context.demandDriven,
    );
  }

  get cloneCount(): number {
    return this.activeManagers();
  }

  async start(methods: readonly string[]): Promise<void> {
    await this.addClones(methods);
  }

  async addClones(methods: readonly string[]): Promise<void> {
    const handles = methods.map((m) => cloneMethod(m).create(this.context.recipe()));
    const deployed = await Promise.allSettled(handles.map((h) => h.deploy()));
    const failure = deployed.find((d) => d.status === "rejected");
    if (failure !== undefined) {
      await Promise.allSettled(handles.map((h, i) => (deployed[i]!.status === "fulfilled" ? h.undeploy() : undefined)));
      throw failure.reason;
    }
    if (this.halted) {
      await Promise.allSettled(handles.map((h) => h.undeploy()));
      return;
    }
    for (const handle of handles) this.managers.push(new CloneManager(handle, this.context, this));
    this.queue.admitReservers();
  }

  async removeClones(count: number): Promise<void> {
    const leaving = this.managers.filter((m) => !m.isStopping).slice(-count);
    for (const manager of leaving) {
      manager.requestStop();
      this.queue.cancel(manager);
    }
    await Promise.all(leaving.map((m) => m.stopped));
    for (const manager of leaving) this.forget(manager); // a leaving clone that crashed is gone already
    await Promise.all(leaving.map((m) => m.handle.undeploy()));
    if (this.activeManagers() === 0 && !this.queue.headIsFilled) {
      this.queue.failTaker(new InactiveError(this.context.path));
    }
  }

  next(): MaybePromise<PortValues> {
    if (!this.queue.headIsFilled) {
      if (this.ended && this.queue.outstanding === 0) throw new EndOfStreamError(this.context.path);
      if (this.activeManagers() === 0) throw new InactiveError(this.context.path);
    }
    const slot = this.queue.take();
    return isPromiseLike(slot) ? slot.then(unpack) : unpack(slot);
  }

  /** Reserve a ticket, then pull the inputs: one manager at a time, so tickets follow input order. */
  claim(manager: CloneManager): Promise<Claim | null | "retry"> {
    const claimed = this.inputTurn.run(async (): Promise<Claim | null | "retry"> => {
      if (manager.isStopping || this.halted) return null;
      const orphan = this.orphans.shift();
      if (orphan !== undefined) return orphan;
      if (this.ended) return null;
      const ticket = await this.queue.reserve(manager);
      if (ticket === null) return manager.isStopping || this.halted ? null : "retry";
      this.claiming++;
      try {
        return { ticket, inputs: await pullInputs(this.context.inputPorts), crashes: 0 };
      } catch (error) {
        if (error instanceof AbortedError) return null;
        if (error instanceof EndOfStreamError) {
          this.ended = true;
          this.queue.fill(ticket, { error });
          return null;
        }
        this.queue.fill(ticket, { error }); // surfaces at the pull that takes this ticket
        return "retry";
      } finally {
        this.claiming--;
      }
    });
    return isPromiseLike(claimed) ? claimed : Promise.resolve(claimed);
  }

  complete(ticket: number, outcome: Outcome): void {
    if (!this.halted) this.queue.fill(ticket, outcome);
  }

  async cloneCrashed(
    manager: CloneManager,
    claims: readonly Claim[],
    error: CloneCrashedError,
  ): Promise<CloneHandle | null> {
    if (this.halted) return null; // killed by `settle` on the way to undeploy or reset: no crash
    const method = manager.handle.method;
    await manager.handle.undeploy().catch(() => undefined);
    let replacement: CloneHandle | null = null;
    if (this.context.replaceCrashedClones && !this.halted) {
      const handle = cloneMethod(method).create(this.context.recipe());
      try {
        await handle.deploy();
        replacement = handle;
      } catch {
        await handle.undeploy().catch(() => undefined);
      }
    }
    this.context.reportCrash({ method, error, replaced: replacement !== null, retried: claims.length > 0 });
    if (replacement !== null) return replacement;
    this.forget(manager);
    this.adopt(claims);
    return null;
  }

  release(manager: CloneManager, claims: readonly Claim[]): void {
    this.queue.cancel(manager);
    this.adopt(claims);
  }

  /** Claims of a manager that is gone: the next free managers run them first. */
  private adopt(claims: readonly Claim[]): void {
    if (claims.length > 0) {
      this.orphans.push(...claims);
      this.queue.cancelAll(); // managers waiting for room come back and take the orphans first
    }
    if (this.activeManagers() === 0 && !this.queue.headIsFilled) {
      this.queue.failTaker(new InactiveError(this.context.path));
    }
  }

  halt(reason: string): void {
    this.halted = true;
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
    this.halted = false;
    const handles = await Promise.all(
      managers.map(async (m) => {
        if (!stuck.has(m)) {
          await m.handle.reset();
          return m.handle;
        }
        // Its item never ended: start over with a fresh clone of the same kind.
        await m.handle.undeploy().catch(() => undefined);
        const fresh = cloneMethod(m.handle.method).create(this.context.recipe());
        await fresh.deploy();
        return fresh;
      }),
    );
    for (const handle of handles) this.managers.push(new CloneManager(handle, this.context, this));
  }

  async stop(): Promise<void> {
    const managers = this.managers.splice(0);
    await this.settle(managers);
    const undeployed = await Promise.allSettled(managers.map((m) => m.handle.undeploy()));
    const failure = undeployed.find((u) => u.status === "rejected");
    if (failure !== undefined) throw failure.reason;
  }

  availablePulls(upstream: number): number {
    // The end-of-stream slot (the last outstanding once the end was found) is no item.
    const endSlot = this.ended && this.queue.outstanding > 0 ? 1 : 0;
    return this.queue.outstanding - this.claiming - endSlot + upstream;
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
}

function unpack(slot: Slot): PortValues {
  if ("error" in slot) throw slot.error;
  return slot.outputs;
}
