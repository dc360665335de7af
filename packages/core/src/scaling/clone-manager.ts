import { performance } from "node:perf_hooks";
import { CloneCrashedError } from "../errors/runtime-errors.js";
import { cloneInputs, inputBytes, itemError, itemResult, runItem } from "./clone-item.js";
import type { CloneHandle, ItemResult } from "./clone-method.js";
import type { ParameterSnapshot, PortValues, ScalableContext } from "./scaling-strategy.js";
import { cloneItemChannel, publishCloneItem } from "../observe/channels.js";
import { fromEpoch, now } from "../observe/clock.js";
import type { ItemSpan } from "../observe/shipping.js";

/** An item whose inputs were pulled: its queue ticket and the scalable cell's input values. */
export interface Claim {
  readonly ticket: number;
  readonly inputs: PortValues;
  /**
   * The inner cell's parameter values in force when the inputs were pulled: the item runs
   * with exactly these, on whichever clone runs it (taken over, re-run after a crash).
   */
  readonly parameters: ParameterSnapshot;
  /** How many clones died running this item so far. */
  crashes: number;
  /** Milliseconds its inputs took to arrive once its turn came (measured while observed, else 0). */
  readonly inputMs: number;
}

/**
 * A deployed clone and the parameter values it holds: those of its recipe, or of the
 * reset clone's last item; null when unknown (the next item applies its own).
 */
export interface RunningClone {
  readonly handle: CloneHandle;
  readonly parameters: ParameterSnapshot | null;
  /** The clone's lane in the engine's events. */
  readonly lane: string;
}

/** What a manager needs from its queue strategy. */
export interface ClaimSource {
  /** Reserves a ticket and pulls the inputs, one manager at a time; null: stop. */
  claim(manager: CloneManager): Promise<Claim | null | "retry">;
  complete(ticket: number, result: ItemResult): void;
  /**
   * This manager's clone died running `claims` (the items of the message it was running
   * that did not fail for good; maybe none). Returns a replacement clone to run them
   * again, or null when the strategy dropped the clone and took the claims over for other
   * managers (this manager then stops, and hands any other claims it holds to `release`).
   */
  cloneCrashed(manager: CloneManager, claims: readonly Claim[], error: CloneCrashedError): Promise<RunningClone | null>;
  /**
   * This manager's clone is gone for good (after `cloneCrashed` returned null): its
   * waiting reservation is withdrawn, and `claims`, which it holds but will not run, go
   * to other managers.
   */
  release(manager: CloneManager, claims: readonly Claim[]): void;
  /** Someone waits for the scalable cell to be idle: managers then report `noteQuiet` (a field read per item otherwise). */
  readonly watchingIdle: boolean;
  /** A manager just came to hold no item: the cell may be idle now. */
  noteQuiet(): void;
}

/** After this many clones died on one item, the item fails instead of killing more clones. */
export const MAX_CRASHES_PER_ITEM = 3;

/**
 * Batching (clones with `runBatch`: threads and processes). A manager keeps up to a
 * window of claimed items per clone and sends every item claimed while the previous
 * message was out as one message, so fast items share the cost of a message round trip.
 * The window follows the measured time per item: about BATCH_TARGET_MS of work,
 * capped at MAX_WINDOW items and at MAX_WINDOW_BYTES of typed arrays; items of a couple
 * of milliseconds or more keep a window of 1 (one item per message, as without
 * batching), so CPU-bound and I/O-bound cells behave exactly as before.
 *
 * Measured side by side (2-core EPYC, Node 20, docs/benchmarks-scaling.md):
 * - `pnpm bench tiny` (x+1 through 2 thread clones, ordered): one item per message
 *   26k items/s, 0.41× Piscina at its best (ordered window 16, concurrentTasksPerWorker
 *   16); profiled, the main thread sat half idle waiting for round trips and spent ~30%
 *   in postMessage. Batched: 178k–260k items/s, 2.9–3.5× Piscina over runs.
 * - `pnpm bench transfer` (8 MB Float64Arrays, transferBuffers): one per message 0.59×
 *   a raw transferring postMessage ping-pong; batched (window 8 by the byte cap) 1.4–2.0×.
 */
const BATCH_TARGET_MS = 2;
const MAX_WINDOW = 256;
const MAX_WINDOW_BYTES = 64 * 1024 * 1024;
/** Weight of the newest batch in the running per-item figures. */
const SMOOTHING = 0.3;

/**
 * Feeds one clone. A feeder claims items (ticket + inputs) while the clone's window has
 * room; a runner sends what was claimed to the clone, in ticket order, and stores each
 * result in its ticket's slot. A stop request lets claimed items finish first, so scaling
 * down loses nothing; a clone that dies has its items run again, one at a time, so a
 * crash loses nothing either and an item that kills clones fails alone. Each item runs
 * with the parameter values of its claim: applied before it when the clone holds others,
 * and a batch never spans two sets of values.
 *
 * Pipelining (`CloneHandle.batchesInFlight` > 1: remote clones): up to that many batches
 * are out at once, each of at most a window of items, so the manager holds up to that
 * many windows. Batches may come back in any order; each result fills its own ticket. A
 * change of parameter values waits until no batch is out, a retry runs alone, and a crash
 * is handled once every batch out has come back.
 */
export class CloneManager {
  private stopRequested = false;
  /**
   * The parameter values the clone holds (null: unknown). Before an item runs, its claim's
   * values are applied if they are other ones: so each item runs with the values of its
   * claim, even one claimed long before, or taken over from another clone.
   */
  private applied: ParameterSnapshot | null;
  /** The clone this manager feeds (replaced after a crash). */
  handle: CloneHandle;
  /** Its lane in the engine's events (a replacement has its own). */
  private lane: string;
  /** Claimed, not sent yet (ticket order). */
  private readonly ready: Claim[] = [];
  /** Items whose clone died: run again one at a time before anything else. */
  private readonly retries: Claim[] = [];
  /** Items in the messages the clone is working on. */
  private inFlight = 0;
  /** Messages (batches) out to the clone. */
  private out = 0;
  /** A crash of the clone is being handled (`crashed` running). */
  private crashing = false;
  /** A retry (an item that crashed a clone) is out: it runs alone. */
  private alone = false;
  /** Batches out at once at most (the handle's `batchesInFlight`, 1 by default). */
  private depth: number;
  /** A batch came back crashed while others were out: handled once they are back (pipelining). */
  private crash: { readonly error: CloneCrashedError; readonly undone: Claim[] } | null = null;
  /** The clone is gone and no replacement came: hand every claim over to other managers. */
  private dropped = false;
  private feeding = true;
  /** Smoothed milliseconds per item and bytes (of typed arrays) per item; undefined until measured. */
  private itemMs: number | undefined;
  private itemBytes = 0;
  private window = 1;
  private wakeFeeder: (() => void) | null = null;
  /** The clone died while a message was out: if that message's failure did not handle it, `dispatch` does. */
  private crashNoticed: { readonly handle: CloneHandle; readonly error: CloneCrashedError } | null = null;
  private isIdle = false;
  private readonly markIdle: () => void;
  /**
   * Resolves once a stop was asked for and the clone holds no item any more: it may then
   * be undeployed. The feeder may still be pulling inputs for a claim; that claim goes to
   * another manager when it arrives, so a scale-down never waits for upstream.
   */
  readonly idle: Promise<void>;
  /** Resolves when the manager has stopped, its feeder included (it never rejects). */
  readonly stopped: Promise<void>;

  /** `claims`: items taken over from clones that are gone, run before anything else. */
  constructor(
    clone: RunningClone,
    private readonly context: ScalableContext,
    private readonly source: ClaimSource,
    claims: readonly Claim[] = [],
  ) {
    this.handle = clone.handle;
    this.applied = clone.parameters;
    this.lane = clone.lane;
    this.depth = depthOf(clone.handle);
    let markIdle!: () => void;
    this.idle = new Promise<void>((resolve) => (markIdle = resolve));
    this.markIdle = () => {
      this.isIdle = true;
      markIdle();
    };
    this.stopped = Promise.all([this.feed(), this.idle]).then(() => undefined);
    this.watch(clone.handle);
    this.takeOver(claims);
  }

  /** A clone that dies while no item is out to it is replaced (or dropped) and reported now, not at the next item. */
  private watch(handle: CloneHandle): void {
    handle.onNotice?.((notice) => {
      if (handle === this.handle && !this.stopRequested) this.context.reportNotice({ method: handle.method, kind: notice.kind, message: notice.message });
    });
    handle.onCrash?.((error) => {
      if (handle !== this.handle || this.stopRequested) return;
      this.crashNoticed = { handle, error };
      if (!this.busy) this.dispatch();
    });
  }

  /** A message is out to the clone, or its crash is being handled. */
  private get busy(): boolean {
    return this.out > 0 || this.crashing;
  }

  /** Handles a crash of the clone noticed while it was idle (or, pipelining, that left `undone` claims). */
  private async recoverIdleCrash(error: CloneCrashedError, undone: readonly Claim[] = []): Promise<void> {
    this.crashing = true;
    await this.crashed(undone, error);
    this.crashing = false;
    this.pokeFeeder();
    this.dispatch();
  }

  get isStopping(): boolean {
    return this.stopRequested;
  }

  /** The clone and the parameter values it holds (for a reset, which keeps the clone). */
  get clone(): RunningClone {
    return { handle: this.handle, parameters: this.applied, lane: this.lane };
  }

  /** Items claimed, waiting or in flight. */
  get load(): number {
    return this.held;
  }

  /** Holds no item and has no message out to its clone (nor a crash to handle). */
  get isQuiet(): boolean {
    return !this.busy && this.held === 0 && this.crashNoticed === null;
  }

  /**
   * Runs `claims` of a clone that is gone, before this manager's own: items that already
   * crashed a clone one at a time, the others with its next message. Handed over directly,
   * so they run even while this manager's feeder waits for upstream.
   */
  takeOver(claims: readonly Claim[]): void {
    if (claims.length === 0) return;
    for (const claim of claims) (claim.crashes > 0 ? this.retries : this.ready).push(claim);
    this.ready.sort(byTicket);
    this.dispatch();
  }

  /** Items this manager may hold at once (claimed, waiting or in flight): a window per batch it may have out; 1 without batching. */
  get windowSize(): number {
    return this.window * this.depth;
  }

  requestStop(): void {
    this.stopRequested = true;
    this.pokeFeeder();
    this.checkIdle();
  }

  /** Called whenever the manager may have come to hold nothing: marks it idle if it is stopping, and tells a cell-idle watch. */
  private checkIdle(): void {
    if (!this.isIdle && (this.stopRequested || !this.feeding) && !this.busy && this.held === 0) this.markIdle();
    if (this.source.watchingIdle) this.source.noteQuiet();
  }

  private pokeFeeder(): void {
    const wake = this.wakeFeeder;
    this.wakeFeeder = null;
    wake?.();
  }

  private get held(): number {
    return this.ready.length + this.retries.length + this.inFlight;
  }

  /** Claims items while the window has room, until asked to stop or the source says stop. */
  private async feed(): Promise<void> {
    try {
      while (!this.stopRequested) {
        if (this.held >= this.window * this.depth) {
          await new Promise<void>((resolve) => (this.wakeFeeder = resolve));
          continue;
        }
        let claim: Claim | null | "retry";
        try {
          claim = await this.source.claim(this);
        } catch {
          return; // aborted by undeploy or reset
        }
        if (claim === null) return;
        if (claim === "retry") continue;
        if (this.stopRequested) {
          // Asked to stop while the inputs were pulled: another manager runs this item.
          this.source.release(this, [claim]);
          return;
        }
        if (this.window === 1 && this.depth === 1 && !this.busy && claim.crashes === 0 && this.held === 0) {
          // One item at a time (async clones, slow items): run it right here, a plain loop
          // with no hand-over to the runner, so this path costs what it did before batching.
          this.out = 1;
          this.inFlight = 1;
          const result = await this.processOne(claim);
          this.inFlight = 0;
          if (result instanceof CloneCrashedError) await this.crashed([claim], result);
          else this.source.complete(claim.ticket, result);
          this.out = 0;
          this.dispatch(); // retries, after a crash
          continue;
        }
        // An item that already killed a clone runs alone, so it cannot take others down with it.
        (claim.crashes > 0 ? this.retries : this.ready).push(claim);
        // Sent in this same tick when the clone is free: a lone item goes out as fast as without batching.
        const sent = this.dispatch();
        // One item at a time (async clones, slow items): wait for it right here, as a plain loop would.
        if (sent !== undefined && this.window === 1 && this.depth === 1) await sent;
      }
    } finally {
      this.feeding = false;
      this.dispatch();
    }
  }

  /**
   * While fewer batches than the clone takes are out: sends the claimed items to the
   * clone (a retry alone, else what is ready as one batch, of at most a window when
   * pipelining), in ticket order. Once nothing is left and a stop was asked for (or the
   * feeder is done), the manager is idle. Returns the last batch sent.
   */
  private dispatch(): Promise<void> | undefined {
    if (this.crashing || this.out >= this.depth) return undefined;
    if (this.out > 0) {
      // A crash (noticed, or a batch back crashed) is handled once every batch is back; a retry runs alone.
      if (this.crash !== null || this.crashNoticed !== null || this.alone) return undefined;
    } else {
      const crash = this.crash;
      if (crash !== null) {
        this.crash = null;
        this.crashNoticed = null;
        return this.recoverIdleCrash(crash.error, crash.undone.sort(byTicket));
      }
      const noticed = this.crashNoticed;
      if (noticed !== null) {
        this.crashNoticed = null;
        // Unless the failure of the message that was out already replaced the clone.
        if (noticed.handle === this.handle && !this.stopRequested) return this.recoverIdleCrash(noticed.error);
      }
    }
    if (this.dropped) {
      this.checkIdle();
      return undefined;
    }
    let sent: Promise<void> | undefined;
    while (this.out < this.depth) {
      const batch = this.nextBatch();
      if (batch === null) break;
      this.out++;
      this.inFlight += batch.length;
      sent = this.runBatch(batch);
    }
    if (this.out === 0) this.checkIdle();
    return sent;
  }

  /** The next batch to send, or null: nothing ready, or it must wait for the batches out. */
  private nextBatch(): Claim[] | null {
    if (this.retries.length > 0) {
      // An item that already killed a clone runs alone, so it cannot take others down with it.
      if (this.out > 0) return null;
      this.alone = true;
      return [this.retries.shift()!];
    }
    const ready = this.ready;
    if (ready.length === 0) return null;
    if (this.depth === 1) return ready.length === 1 ? [ready.pop()!] : ready.splice(0, this.sameParameters());
    // Other values than the clone holds are applied when no batch is out (a batch never runs with values of another).
    if (this.out > 0 && ready[0]!.parameters !== this.applied) return null;
    return ready.splice(0, Math.min(this.window, this.sameParameters()));
  }

  /**
   * How many ready items, from the first, were claimed with the same parameter values: a
   * batch ends where a change begins, so the values are applied between the two messages.
   */
  private sameParameters(): number {
    const ready = this.ready;
    const parameters = ready[0]!.parameters;
    let count = 1;
    while (count < ready.length && ready[count]!.parameters === parameters) count++;
    return count;
  }

  private async runBatch(batch: readonly Claim[]): Promise<void> {
    const crash = await this.process(batch);
    if (crash !== null) this.inFlight -= crash.undone.length;
    this.alone = false;
    if (this.depth === 1) {
      this.inFlight = 0;
      this.out = 0;
      if (crash !== null) {
        this.crashing = true;
        await this.crashed(crash.undone, crash.error);
        this.crashing = false;
      }
    } else {
      this.out--;
      // Handled by `dispatch` once no batch is out: the clone's other batches fail the same way.
      if (crash !== null) {
        if (this.crash === null) this.crash = { error: crash.error, undone: [...crash.undone] };
        else this.crash.undone.push(...crash.undone);
      }
    }
    this.pokeFeeder();
    this.dispatch();
  }

  private async crashed(batch: readonly Claim[], error: CloneCrashedError): Promise<void> {
    const again: Claim[] = [];
    for (const claim of batch) {
      claim.crashes++;
      if (claim.crashes >= MAX_CRASHES_PER_ITEM) this.source.complete(claim.ticket, { error });
      else again.push(claim);
    }
    let replacement: RunningClone | null = null;
    try {
      replacement = await this.source.cloneCrashed(this, again, error);
    } catch {
      // A failing crash report (e.g. a throwing listener) must not strand the items: treat the clone as dropped.
      this.source.release(this, again);
    }
    if (replacement === null) {
      // The strategy took `again` over; the other claims this manager holds go too.
      this.dropped = true;
      this.stopRequested = true;
      this.source.release(this, [...this.retries.splice(0), ...this.ready.splice(0)]);
      this.pokeFeeder();
      return;
    }
    this.handle = replacement.handle;
    this.applied = replacement.parameters;
    this.lane = replacement.lane;
    this.depth = depthOf(replacement.handle);
    this.watch(replacement.handle);
    this.itemMs = undefined;
    this.window = 1;
    // The crashed message's items first, then any retries still waiting (orphans taken over meanwhile).
    this.retries.unshift(...again);
  }

  /**
   * Runs `batch` on the clone and completes each item's ticket as its result comes back.
   * Returns null, or the crash and the claims it left without a result.
   */
  private async process(batch: readonly Claim[]): Promise<{ error: CloneCrashedError; undone: Claim[] } | null> {
    const shape = this.context.shape;
    let done = 0;
    const deliver = (result: ItemResult) => {
      const claim = batch[done++]!;
      this.inFlight--;
      this.source.complete(claim.ticket, result);
    };
    // While someone listens: each item's run, from the clone's spans or (without them) from
    // when the batch went out and each result came back.
    const observed = cloneItemChannel.hasSubscribers;
    let itemStart = observed ? now() : 0;
    const deliverObserved = (result: ItemResult, span: ItemSpan | undefined) => {
      const claim = batch[done]!;
      deliver(result);
      const end = span === undefined ? now() : fromEpoch(span[1]);
      const start = span === undefined ? itemStart : fromEpoch(span[0]);
      itemStart = end;
      this.publishItem(claim, start, end, "error" in result);
    };
    let applying = false;
    try {
      // One set of values per batch (`dispatch` splits batches where they change).
      const parameters = batch[0]!.parameters;
      if (parameters !== this.applied) {
        applying = true;
        await this.apply(parameters);
      }
      const runBatch = this.handle.runBatch;
      if (runBatch === undefined || (batch.length === 1 && this.depth === 1)) {
        for (const claim of batch) {
          const result = await this.runTimed(claim);
          if (result instanceof CloneCrashedError) return { error: result, undone: batch.slice(done) };
          deliver(result);
        }
        return null;
      }
      let bytes = 0;
      for (const claim of batch) bytes += inputBytes(shape, claim.inputs);
      const start = performance.now();
      const running = runBatch.call(
        this.handle,
        batch.map((claim) => cloneInputs(shape, claim.inputs)),
        (results, spans) => {
          if (observed) for (let i = 0; i < results.length; i++) deliverObserved(itemResult(shape, results[i]!, batch[done]!.inputs), spans?.[i]);
          else for (const result of results) deliver(itemResult(shape, result, batch[done]!.inputs));
          this.pokeFeeder(); // the window has room again
        },
      );
      // Pipelining: batches of the values just applied may follow this one now (sent after it).
      if (applying && this.depth > 1) this.dispatch();
      const ranMs = await running;
      this.adaptWindow(typeof ranMs === "number" ? ranMs : performance.now() - start, batch.length, bytes);
      return null;
    } catch (error) {
      if (error instanceof CloneCrashedError) return { error, undone: batch.slice(done) };
      const failure = { error: itemError(shape, error) };
      while (done < batch.length) deliver(failure);
      return null;
    }
  }

  /**
   * `process` for one claim, with no batch arrays. For an async clone that holds the
   * claim's parameter values, this is `runItem` itself: the hot path of async clones, one
   * async frame per item.
   */
  private processOne(claim: Claim): Promise<ItemResult | CloneCrashedError> {
    return claim.parameters === this.applied ? this.runTimed(claim) : this.applyAndRun(claim);
  }

  private async applyAndRun(claim: Claim): Promise<ItemResult | CloneCrashedError> {
    try {
      await this.apply(claim.parameters);
    } catch (error) {
      return error instanceof CloneCrashedError ? error : { error: itemError(this.context.shape, error) };
    }
    return this.runTimed(claim);
  }

  /** Runs one claim's item on the clone; a clone that batches has the item timed, for its window. */
  private runTimed(claim: Claim): Promise<ItemResult | CloneCrashedError> {
    const shape = this.context.shape;
    const observed = cloneItemChannel.hasSubscribers;
    if (this.handle.runBatch === undefined && !observed) return runItem(this.handle, shape, claim.inputs);
    const batching = this.handle.runBatch !== undefined;
    const start = now();
    return runItem(this.handle, shape, claim.inputs).then((result) => {
      if (result instanceof CloneCrashedError) return result;
      const end = now();
      if (batching) this.adaptWindow(end - start, 1, inputBytes(shape, claim.inputs));
      if (observed) this.publishItem(claim, start, end, "error" in result);
      return result;
    });
  }

  private publishItem({ ticket, inputMs }: Claim, start: number, end: number, failed: boolean): void {
    publishCloneItem({ cell: this.context.path, lane: this.lane, method: this.handle.method, ticket, start, end, inputMs, failed });
  }

  /** Gives the clone the values of a claim; until that succeeds, what it holds is unknown. */
  private async apply(parameters: ParameterSnapshot): Promise<void> {
    this.applied = null;
    await this.handle.applyParameters(parameters.values);
    this.applied = parameters;
  }

  /** Window = items that fit in the clone's batch target (BATCH_TARGET_MS unless it says) at the measured speed (clones with `runBatch` only). */
  private adaptWindow(ms: number, items: number, bytes: number): void {
    const perItem = ms / items;
    const perItemBytes = bytes / items;
    if (this.itemMs === undefined) {
      this.itemMs = perItem;
      this.itemBytes = perItemBytes;
    } else {
      this.itemMs += SMOOTHING * (perItem - this.itemMs);
      this.itemBytes += SMOOTHING * (perItemBytes - this.itemBytes);
    }
    const byTime = Math.floor((this.handle.batchTargetMs ?? BATCH_TARGET_MS) / Math.max(this.itemMs, 1e-6));
    const byBytes = this.itemBytes > 0 ? Math.floor(MAX_WINDOW_BYTES / this.itemBytes) : MAX_WINDOW;
    this.window = Math.max(1, Math.min(MAX_WINDOW, byTime, byBytes));
  }
}

/** How many batches `handle` takes at once (`batchesInFlight`, at least 1). */
function depthOf(handle: CloneHandle): number {
  const depth = handle.batchesInFlight ?? 1;
  return Number.isInteger(depth) && depth > 1 ? depth : 1;
}

function byTicket(a: Claim, b: Claim): number {
  return a.ticket - b.ticket;
}
