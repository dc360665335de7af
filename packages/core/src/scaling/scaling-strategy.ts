import type { CellClass } from "../cells/cell.js";
import type { InputPort } from "../io/ports.js";
import { isPromiseLike, type MaybePromise } from "../util/maybe-promise.js";
import { pullEach } from "../util/sequence.js";
import type { CloneRecipe } from "./clone-method.js";
import type { ParameterValue } from "./clone-settings.js";
import type { CloneShape } from "./clone-shape.js";

/** The output values of one item, by output port name. */
export type PortValues = Record<string, unknown>;

/**
 * The parameter values of a scalable cell's inner cell at one moment. Every item records
 * the snapshot in force when its inputs were pulled (its claim), and runs with exactly
 * those values, on whichever clone runs it (SPEC 2.6; docs/parameters.md).
 */
export interface ParameterSnapshot {
  /** The scalable cell's parameter version: it grows with every change. */
  readonly version: number;
  /** Every parameter value set (or defaulted) in the inner cell, addressed from it. */
  readonly values: readonly ParameterValue[];
}

/** What a strategy needs from its scalable cell. */
export interface ScalableContext {
  readonly path: string;
  readonly shape: CloneShape;
  readonly innerClass: CellClass;
  readonly inputPorts: readonly InputPort<unknown>[];
  /**
   * The parameter values of the inner cell (and below) in force right now. One shared
   * object per version, built the first time it is asked for after a change; so with no
   * change this is a comparison, and identity tells two versions apart.
   */
  parameters(): ParameterSnapshot;
  /** What a clone method needs to build a clone holding `parameters`, on events' `lane`. */
  recipe(parameters: ParameterSnapshot, lane?: string): CloneRecipe;
  /** A new lane for the events of a clone of `method` (see observe/events.ts `Lane`). */
  cloneLane(method: string): string;
  /**
   * Outstanding items allowed in the queue, given the number of clones and the items
   * their managers may hold at once (`windows`: one per clone, more for batching clones).
   */
  capacityFor(clones: number, windows: number): number;
  /**
   * How many items beyond `capacityFor` the queue may take while its head is blocked by a
   * slow clone's item and other clones are free (SPEC 3.11); 0 for a fixed capacity.
   */
  maxStretchFor(clones: number): number;
  /** True when the cell sits on a recurrent cycle: fill on demand only. */
  readonly demandDriven: boolean;
  /** How long undeploy and reset wait for a clone's in-flight item before giving up on it. */
  readonly stopGraceMs: number;
  /** Replace a clone whose thread or process died (true), or carry on without it (false). */
  readonly replaceCrashedClones: boolean;
  /** Tells the user (through the scalable cell's events) that a clone died. */
  reportCrash(event: CloneCrashEvent): void;
  /** Tells the user (as a `cloneNotice` event) what a clone noticed. */
  reportNotice(event: CloneNoticeEvent): void;
}

/** Emitted as `cloneNotice` by a scalable cell: a clone's notice, with the clone's method. */
export interface CloneNoticeEvent {
  readonly method: string;
  /** The notice's kind, e.g. "noWorker" (remote clones: no worker serves the queue). */
  readonly kind: string;
  readonly message: string;
}

/** Emitted as `cloneCrashed` by a scalable cell when a clone's thread or process dies. */
export interface CloneCrashEvent {
  readonly method: string;
  readonly error: Error;
  /** Whether a new clone took its place. */
  readonly replaced: boolean;
  /** Whether its in-flight item will run again (false after too many crashes on one item). */
  readonly retried: boolean;
}

/**
 * How a deployed scalable cell gets its work done: the ordered queue with clone
 * managers (the normal case) or inline, for debugging.
 */
export interface ScalingStrategy {
  /** Deploys clones for `methods` and starts work. */
  start(methods: readonly string[]): Promise<void>;
  /** The next item's output values, in input order; throws the item's error. */
  next(): MaybePromise<PortValues>;
  addClones(methods: readonly string[]): Promise<void>;
  /** Stops the `count` newest clones once their current item is done. */
  removeClones(count: number): Promise<void>;
  readonly cloneCount: number;
  /** Stops pulling and wakes every waiter (undeploy or reset is coming). Synchronous. */
  halt(reason: string): void;
  /** After `halt`: resolves once no manager runs, so no input pull is in flight. */
  quiesce(): Promise<void>;
  /** After `halt`: waits for in-flight items, forgets queued work and resets the clones. */
  reset(): Promise<void>;
  /** After `reset` of every cell: starts work again. */
  resume(): void;
  /** After `halt`: waits for in-flight items and undeploys every clone. */
  stop(): Promise<void>;
  /** Items this cell can still deliver, counting what its queue holds. */
  availablePulls(upstream: number): number;
  /** Resolves once `isIdle(whileWaiting)` holds at a macrotask turn (see `ScalableCell.whenIdle`). */
  whenIdle(whileWaiting: boolean): Promise<void>;
  /**
   * Whether the cell is idle (see `ScalableCell.whenIdle`). Only meaningful at the start of
   * a macrotask (no microtask pending), where no hand-over between two steps is half done.
   */
  isIdle(whileWaiting: boolean): boolean;
}

/**
 * Pulls every input port in order and collects the values. A port that fails does not
 * stop the others: the item's value of every port is used up, as an unscaled cell's
 * failed pull uses up the values of the inputs it did not get to, so every port stays on
 * the same item. Throws the first failure (in port order) once all were pulled.
 */
export function pullInputs(ports: readonly InputPort<unknown>[]): MaybePromise<PortValues> {
  if (ports.length === 1) {
    // The common case, on the path of every item: no arrays, no per-port closure.
    const port = ports[0]!;
    const value = port.inbox.pull();
    return isPromiseLike(value) ? value.then((v) => ({ [port.name]: v })) : { [port.name]: value };
  }
  const values = pullEach(ports, pullPort);
  return isPromiseLike(values) ? values.then((v) => byName(ports, v)) : byName(ports, values);
}

function pullPort(port: InputPort<unknown>): MaybePromise<unknown> {
  return port.inbox.pull();
}

function byName(ports: readonly InputPort<unknown>[], values: readonly unknown[]): PortValues {
  const named: PortValues = {};
  for (let i = 0; i < ports.length; i++) named[ports[i]!.name] = values[i];
  return named;
}
