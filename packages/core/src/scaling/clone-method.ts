import type { CellClass } from "../cells/cell.js";
import type { CloneCrashedError } from "../errors/runtime-errors.js";
import { UnknownCloneMethodError } from "../errors/runtime-errors.js";
import type { CloneSettings, ParameterValue } from "./clone-settings.js";
import type { CloneShape } from "./clone-shape.js";
import type { ItemSpan, ShippedEvents } from "../observe/shipping.js";

/**
 * One running clone of a scalable cell's inner cell, wherever it runs. The queue logic
 * only talks to this interface, so every clone method (async, thread, process, remote)
 * plugs in without touching it.
 */
export interface CloneHandle {
  /** The method that made it, e.g. "async". */
  readonly method: string;
  /** Builds the clone from the template's settings and runs its `onDeploy`s. */
  deploy(): Promise<void>;
  /** One item: input port values in, output port values out. Rejects with the cell's error. */
  run(inputs: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>>;
  /**
   * Several items in one go, run one after the other in order (clones across a thread or
   * process boundary: one message there, and one back unless the batch runs long).
   * Results go to `onResults` in item order, in one or more calls, as they come back, so
   * a slow item does not hold back the ones before it. Each item succeeds or fails on its
   * own; the promise resolves once every result was handed over, and rejects only if the
   * clone itself fails (e.g. CloneCrashedError): the results handed over before stand.
   * `spans`, when the clone timed its items (it does while someone in the parent listens
   * to the engine's events), gives each result's `[start, end]` in epoch milliseconds.
   *
   * It may resolve to the milliseconds the items took where they ran (a remote worker's
   * own figure, without the time the batch waited in a queue or travelled): the manager
   * then sizes batches by that instead of the time it saw the batch out.
   */
  runBatch?(
    inputs: readonly Readonly<Record<string, unknown>>[],
    onResults: (results: ItemResult[], spans?: readonly ItemSpan[], events?: ShippedEvents) => void,
    options?: RunBatchOptions,
  ): Promise<void | number | undefined>;
  /**
   * About how many milliseconds of work one `runBatch` call should carry (default 2,
   * right for a worker thread's message round trip). A clone whose round trip costs more
   * (a job through a remote queue) asks for more, so quick items share that cost.
   */
  readonly batchTargetMs?: number;
  /**
   * How many `runBatch` calls the manager may have out to this clone at once (default 1:
   * the next batch goes when the last one is done). A clone whose batches wait in a queue
   * that several workers take from (remote clones) asks for more, so a job's round trip
   * overlaps the work of the batches before it and batches can stay short. The manager
   * calls `applyParameters` only while no batch is out (so batches of two sets of values
   * are never out at once), runs an item that crashed a clone alone, and handles a crash
   * once every batch out has come back. Batches may finish in any order; their results
   * fill their own tickets, so outputs still leave in input order.
   */
  readonly batchesInFlight?: number;
  /**
   * Parameter values for the next items (the template's values when those items were
   * claimed: every value set or defaulted, not only the changed ones), applied before the
   * next `run`. May come with older values than the last call, for items claimed earlier.
   */
  applyParameters(parameters: readonly ParameterValue[]): Promise<void>;
  reset(): Promise<void>;
  undeploy(): Promise<void>;
  /** Ends the clone at once, in-flight item and all (threads and processes; async clones cannot). */
  kill?(): Promise<void>;
  /**
   * Calls `listener` once if the clone dies on its own (not by `undeploy` or `kill`),
   * whether an item is in flight or not: a clone that dies while idle is noticed at once,
   * not at the next item sent to it.
   */
  onCrash?(listener: (error: CloneCrashedError) => void): void;
  /**
   * Calls `listener` with what the clone wants its user to know that is not an item's
   * result (a remote clone: no worker serves its queue). The scalable cell emits each as
   * a `cloneNotice` event.
   */
  onNotice?(listener: (notice: CloneNotice) => void): void;
}

/** How a clone method that forwards batches (a remote worker) asks a clone to run one. */
export interface RunBatchOptions {
  /**
   * Record the engine's events in the clone and hand them (and each item's span) to
   * `onResults` with the results, instead of publishing them in this thread: for a
   * caller that ships them on to where the pipeline runs. Without it, a clone records
   * only while someone in this thread listens, and publishes here.
   */
  readonly observe?: boolean;
  /** With `observe`: time every cell run in the clone (the parent's Recorder has `everyRun`). */
  readonly everyRun?: boolean;
}

/** Something a clone tells its scalable cell's user (see `CloneHandle.onNotice`). */
export interface CloneNotice {
  /** What kind of notice, e.g. "noWorker"; a clone method documents its kinds. */
  readonly kind: string;
  readonly message: string;
}

/**
 * One item's result: its output port values, or the error its cell threw. The one shape
 * everywhere an item's result goes: from a clone (`runBatch`), in a queue slot, and across
 * a thread or process boundary, where the error travels serialized (`E` is then
 * `SerializedError`: an error object does not survive structured clone with its class).
 */
export type ItemResult<E = unknown> = { readonly outputs: Record<string, unknown> } | { readonly error: E };

/** What a clone method gets to build a clone. */
export interface CloneRecipe {
  readonly shape: CloneShape;
  readonly innerClass: CellClass;
  readonly settings: CloneSettings;
  /** Move ArrayBuffers and typed arrays across thread boundaries instead of copying them. */
  readonly transfer: boolean;
  /** The clone's lane in the engine's events (see `Lane`); its cells' runs carry it. */
  readonly lane?: string;
}

/** Makes clones of one kind. `check` runs at `scaleUp`, so mistakes surface there. */
export interface CloneMethod {
  readonly name: string;
  /** Throws (with the fix in the message) if clones of `innerClass` cannot be made this way. */
  check?(innerClass: CellClass): void;
  create(recipe: CloneRecipe): CloneHandle;
}

/** The built-in methods plus any registered later. */
export type CloneMethodName = "async" | "thread" | "process" | (string & {});

const registry = new Map<string, CloneMethod>();

/** Makes a clone method available to `scaleUp(times, name)`. */
export function registerCloneMethod(method: CloneMethod): void {
  registry.set(method.name, method);
}

/**
 * A clone made with the method registered as `name` ("async", "thread", "process", or one
 * registered later), built from `recipe`: for clone methods that run their items in
 * another kind of clone (a remote worker running each item in a thread clone, say).
 */
export function createClone(name: string, recipe: CloneRecipe): CloneHandle {
  const method = cloneMethod(name);
  method.check?.(recipe.innerClass);
  return method.create(recipe);
}

export function cloneMethod(name: string): CloneMethod {
  const method = registry.get(name);
  if (method === undefined) {
    throw new UnknownCloneMethodError(
      `Unknown clone method "${name}". Registered methods: ${[...registry.keys()].map((k) => `"${k}"`).join(", ")}.`,
    );
  }
  return method;
}
