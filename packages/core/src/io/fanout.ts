import * as internal from "../cells/internal-members.js";
import type { AnyConnection, Connection } from "../connection/connection.js";
import { AbortedError } from "../errors/lifecycle-errors.js";
import { NoValueError, OutputNotSetError } from "../errors/runtime-errors.js";
import { isPromiseLike, type MaybePromise } from "../util/maybe-promise.js";
import { OFFER_TAKEN, type Producer } from "./producer.js";
import type { Cell } from "../cells/cell.js";
import { Waiters } from "../util/waiters.js";

/** Options shared by everything that emits values (outputs and ports). */
export interface EmitterOptions<T> {
  /**
   * The value recurrent connections deliver before the first pull. An output needs one
   * to close a cycle: the connection then carries the previous iteration's value.
   */
  initialValue?: T;
}

/**
 * The outgoing side of an output or port: holds the current value and hands it to each
 * outgoing connection exactly once. Every `set` starts a new generation; a connection
 * remembers the generation it took last.
 */
export class Fanout<T> {
  private value: T | undefined;
  private hasValue: boolean;
  /** Bumped by every `set`; connections compare their `taken` against it. */
  generation = 0;
  /** The generation a failed refresh took, so every connection gets that error once. */
  private failedGeneration = -1;
  private failure: unknown = undefined;
  readonly connections: Connection<T>[] = [];
  /** The recurrent ones among `connections` (set by the topology). */
  private recurrentLinks: Connection<T>[] = [];
  /** Woken by every step, for recurrent connections waiting for the next one. */
  private steps: Waiters | null = null;

  constructor(
    readonly path: string,
    readonly producer: Producer,
    private readonly initial: EmitterOptions<T>,
  ) {
    this.hasValue = "initialValue" in initial;
    this.value = initial.initialValue;
  }

  get hasInitialValue(): boolean {
    return "initialValue" in this.initial;
  }

  get holdsValue(): boolean {
    return this.hasValue;
  }

  set(value: T): void {
    this.value = value;
    this.hasValue = true;
    this.generation++;
    if (this.recurrentLinks.length > 0) this.stepRecurrent();
  }

  /**
   * Records that the producer failed to make the next value: a step of its own, which
   * each connection takes (as that error) exactly once, like a value. So every branch
   * fed by this output sees the failure at the same iteration and stays in step.
   */
  fail(error: unknown): void {
    this.generation++;
    this.failedGeneration = this.generation;
    this.failure = error;
    if (this.recurrentLinks.length > 0) this.stepRecurrent();
  }

  /** Called by the topology once it decided which connections are recurrent. */
  trackRecurrent(): void {
    this.recurrentLinks = this.connections.filter((c) => c.recurrent);
    for (const c of this.recurrentLinks) c.backlog ??= this.startingBacklog();
  }

  /** Rejects recurrent pulls waiting for the next step (undeploy or reset). */
  abortWaits(reason: string): void {
    this.steps?.abortAll(reason);
  }

  /**
   * Each step (a value, or a failure, which leaves the value held) goes to the backlog of
   * every recurrent connection: the values its consumer has yet to read, one per step.
   */
  private stepRecurrent(): void {
    const held = this.value as T;
    for (const c of this.recurrentLinks) {
      const backlog = c.backlog!;
      backlog.push(held);
      // A consumer that stopped reading must not grow memory without end: keep the newest.
      if (backlog.length > MAX_RECURRENT_BACKLOG) backlog.shift();
    }
    if (this.steps !== null && this.steps.size > 0) this.steps.wakeAll();
  }

  private startingBacklog(): T[] {
    return this.hasInitialValue ? [this.initial.initialValue as T] : [];
  }

  get(): T {
    if (!this.hasValue) throw new NoValueError(`"${this.path}" holds no value yet: pull it first.`);
    return this.value as T;
  }

  /** Whether `connection` has not taken the current value yet. */
  isFreshFor(connection: Connection<T>): boolean {
    return connection.taken < this.generation;
  }

  /** How many values `connection` can still get: one waiting for it, plus what the producer can make. */
  availableFor(connection: Connection<T>): number {
    return (connection.taken < this.generation ? 1 : 0) + this.producer.availablePulls();
  }

  allTaken(): boolean {
    const connections = this.connections;
    const generation = this.generation;
    for (let i = 0; i < connections.length; i++) {
      const c = connections[i]!;
      if (c.taken < generation && !c.recurrent) return false;
    }
    return true;
  }

  /** The value for `connection`: the current one if it is fresh for it, else the next one. */
  pullFor(connection: Connection<T>): MaybePromise<T> {
    if (connection.recurrent) return this.takeRecurrent(connection);
    if (connection.busy) return this.pullWhenReady(connection, true);
    if (connection.taken < this.generation) return this.take(connection);
    const producer = this.producer;
    if (producer[internal.refreshing] === null && producer[internal.allTaken]()) return this.refreshAndTake(connection, false);
    return this.pullWhenReady(connection, false);
  }

  reset(): void {
    this.value = this.initial.initialValue;
    this.hasValue = "initialValue" in this.initial;
    this.generation = 0;
    // A failure recorded before the reset belongs to the old stream: once the generation
    // counts up to the same number again, it must not be taken for a fresh failure.
    this.failedGeneration = -1;
    this.failure = undefined;
    for (const c of this.connections) c.taken = 0;
    for (const c of this.recurrentLinks) c.backlog = this.startingBacklog();
  }

  /** Hands the current value to `connection`, straight into its target's inbox. */
  private take(connection: Connection<T>): T {
    connection.taken = this.generation;
    if (this.generation === this.failedGeneration) return this.takeFailure();
    const value = this.value as T;
    connection.target.inbox.receive(value);
    if (this.producer[internal.takenWaiters].size > 0) this.producer[internal.takenWaiters].wakeAll();
    return value;
  }

  /**
   * A recurrent connection never pulls: it delivers the value its output held at the end
   * of the previous iteration, i.e. one step per read, oldest first (the initial value is
   * step 0; a failed step repeats the value held before). On a cycle its consumer runs
   * before the output's cell, so that is the latest step; on a connection marked
   * recurrent that closes no cycle, the output's cell ran first, so it is the one before.
   *
   * When its consumer runs ahead (pulled early by a scalable cell's eager input pulls),
   * the step it needs is not made yet: the read waits for the output's next step. Only a
   * consumer pulled from within the output's own pull (a batching cell on the cycle reads
   * it several times per step) gets the current value again instead: waiting would wait
   * for itself.
   */
  private takeRecurrent(connection: Connection<T>): MaybePromise<T> {
    if (!this.hasValue) {
      throw new NoValueError(`Recurrent connection ${connection.description} found no value: give "${this.path}" an initialValue.`);
    }
    const backlog = connection.backlog;
    let value: T;
    if (backlog !== undefined && backlog.length > 0) value = backlog.shift() as T;
    else if (backlog === undefined || pulledWithin(connection, this.producer)) value = this.value as T;
    else return this.nextStepFor(connection);
    connection.target.inbox.receive(value);
    return value;
  }

  private async nextStepFor(connection: Connection<T>): Promise<T> {
    if (this.producer[internal.haltReason] !== null) throw new AbortedError(this.producer[internal.haltReason]);
    await (this.steps ??= new Waiters()).wait();
    return this.takeRecurrent(connection);
  }

  private takeFailure(): never {
    if (this.producer[internal.takenWaiters].size > 0) this.producer[internal.takenWaiters].wakeAll();
    throw this.failure;
  }

  private takeProduced(connection: Connection<T>): T {
    if (connection.taken < this.generation) return this.take(connection);
    throw new OutputNotSetError(
      `"${this.path}" was not set by its cell's pull, but ${connection.description} is waiting for it. ` +
        `Every pull of a cell must set each of its connected outputs.`,
    );
  }

  /**
   * Slow path: another connection still has to take the current value, or a refresh runs.
   * Holds the connection's turn meanwhile; `queued` pulls wait for it first.
   */
  private async pullWhenReady(connection: Connection<T>, queued: boolean): Promise<T> {
    if (queued) await connection.line.wait(); // woken by passTurn with the turn held for it
    else connection.busy = true;
    try {
      const producer = this.producer;
      for (;;) {
        if (connection.taken < this.generation) return this.take(connection);
        if (producer[internal.haltReason] !== null) throw new AbortedError(producer[internal.haltReason]);
        if (producer[internal.refreshing] !== null) {
          // The refresh may have set the value before it settled, and this connection may
          // have taken it already: look again rather than assume it is fresh now. If the
          // refresh never sets this output, the pull that starts the next one reports it.
          // A failed refresh recorded its error as a step: the loop takes it from there.
          await producer[internal.refreshing].then(undefined, ignore);
          continue;
        }
        if (!producer[internal.allTaken]()) {
          await producer[internal.takenWaiters].wait();
          continue;
        }
        return await this.refreshAndTake(connection, true);
      }
    } finally {
      passTurn(connection);
    }
  }

  /**
   * Refreshes the producer and takes the new value. One reaction ends the refresh and
   * takes the value: a hop per step would cost a microtask each on every pull (see
   * docs/benchmarks.md). Unless the caller holds the connection's turn (`ownsTurn`), the
   * refresh holds it until the value is taken.
   */
  private refreshAndTake(connection: Connection<T>, ownsTurn: boolean): MaybePromise<T> {
    const producer = this.producer;
    let produced: MaybePromise<unknown>;
    producer[internal.refreshedBy] = connection;
    // Without the turn held by a caller, the producer may end the refresh itself (below).
    if (!ownsTurn) producer[internal.handoverOffer] = connection;
    try {
      produced = producer[internal.produce]();
    } catch (error) {
      producer[internal.handoverOffer] = null;
      producer[internal.refreshedBy] = null;
      return this.takeFailed(producer, connection, error);
    }
    if (!isPromiseLike(produced)) {
      producer[internal.handoverOffer] = null;
      producer[internal.refreshedBy] = null;
      return this.takeProduced(connection);
    }
    producer[internal.refreshing] = produced;
    if (!ownsTurn) {
      connection.busy = true;
      if (producer[internal.handoverOffer] === OFFER_TAKEN) {
        // The producer's finishing reaction calls `settleRefresh`: `produced` resolves
        // to this connection's value (or rejects with its failure), no reaction here.
        producer[internal.handoverOffer] = null;
        return produced as Promise<T>;
      }
      producer[internal.handoverOffer] = null;
    }
    return produced.then(
      () => this.finishRefresh(connection, !ownsTurn, true, undefined, produced),
      (error: unknown) => this.finishRefresh(connection, !ownsTurn, false, error, produced),
    );
  }

  /**
   * A refresh whose producer took the handover offer ended (called inside the reaction
   * that ends the producer's pull, before its pull lock is released): what the reaction
   * in `refreshAndTake` does otherwise.
   */
  settleRefresh(connection: Connection<T>, ok: boolean, outcome: unknown, produced: Promise<unknown>): T {
    return this.finishRefresh(connection, true, ok, outcome, produced);
  }

  /** A refresh ended: clear it, pass the connection's turn on (unless the caller holds it), take the outcome. */
  private finishRefresh(connection: Connection<T>, passOn: boolean, ok: boolean, outcome: unknown, produced: Promise<unknown>): T {
    const producer = this.producer;
    endRefresh(producer, produced);
    if (passOn) passTurn(connection);
    return ok ? this.takeProduced(connection) : this.takeFailed(producer, connection, outcome);
  }

  /**
   * The refresh failed. A producer records its own failed pulls as a step of the whole
   * group (however it was pulled), so the connection takes that step; a failure before the
   * pull even started (not deployed, say) is recorded here. One cut short is not a step.
   */
  private takeFailed(producer: Producer, connection: Connection<T>, error: unknown): T {
    if (error instanceof AbortedError) throw error;
    if (connection.taken < this.generation) return this.take(connection);
    producer[internal.recordFailure](error);
    connection.taken = this.generation;
    return this.takeFailure();
  }
}

function ignore(): void {}

/** The most steps a recurrent connection keeps for a consumer that does not read them. */
const MAX_RECURRENT_BACKLOG = 1024;

/**
 * Whether the consumer of `connection` is being pulled, through a chain of refreshes,
 * by `producer` (or a cell inside it): the refresh that runs the consumer then serves the
 * producer's own pull.
 */
function pulledWithin(connection: AnyConnection, producer: Producer): boolean {
  const target = connection.target;
  let node: Producer | null = target.kind === "inputPort" ? target : target.cell;
  for (let depth = 0; node !== null && depth < 10_000; depth++) {
    if (isWithin(node, producer)) return true;
    const by: AnyConnection | null = node[internal.refreshedBy];
    if (by === null) return false;
    const next: AnyConnection["target"] = by.target;
    node = next.kind === "inputPort" ? next : next.cell;
  }
  return false;
}

function isWithin(node: Producer, producer: Producer): boolean {
  if (node === producer) return true;
  const cell = (node as { cell?: Cell }).cell ?? (node as Cell);
  for (let c: Cell | null = cell; c !== null; c = c.parent) if (c === producer) return true;
  return false;
}

/** Hands the connection's turn to the next pull waiting in line, or frees it. */
function passTurn(connection: AnyConnection): void {
  if (connection.line.size > 0) connection.line.wakeOne();
  else connection.busy = false;
}

/**
 * Clears the producer's refresh once it settled. Waiters parked on `refreshing` resume
 * after this (their reactions were registered later); a refresh that was aborted and
 * replaced meanwhile is left alone.
 */
function endRefresh(producer: Producer, produced: Promise<unknown>): void {
  if (producer[internal.refreshing] === produced) {
    producer[internal.refreshing] = null;
    producer[internal.refreshedBy] = null;
  }
}
