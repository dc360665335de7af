/**
 * The keys of the engine's own members on the classes users subclass (`Cell` and every
 * cell class below it) and on the IO that produce values.
 *
 * Symbols, not names: a subclass's field or method can never replace one of them (a
 * user's field called `produce` or `refreshing` used to break the engine silently), they
 * stay out of autocomplete, and nothing outside the engine can reach them, since the
 * package does not export this module. State that only one class touches is `#private`
 * there instead. Every member keyed here carries the internal tag, so it is also left out of
 * the shipped `.d.ts`.
 *
 * A symbol-keyed property costs what a named one does in V8 (same inline caches): `pnpm
 * bench overhead` measured the pull path at the same ratio before and after the change.
 * Not exported from the package (tests and benchmarks import it from the sources).
 *
 * @module
 */

// ---- structure ---------------------------------------------------------------------------
/** The phantom member that makes an IO's value type invariant (types only, never set). */
export declare const valueType: unique symbol;
/** Every IO of a cell by name, in declaration order. */
export const ios = Symbol("cellflow.ios");
/** The IO whose values a cell's pull sets: outputs and output ports. */
export const emitters = Symbol("cellflow.emitters");
/** The IO fed from outside a cell: inputs, parameters and input ports. */
export const receivers = Symbol("cellflow.receivers");
export const registerIO = Symbol("cellflow.registerIO");
export const acceptsIO = Symbol("cellflow.acceptsIO");
export const adoptChild = Symbol("cellflow.adoptChild");
export const registerConnection = Symbol("cellflow.registerConnection");
export const noteStructureChanged = Symbol("cellflow.noteStructureChanged");

// ---- pulling (the Producer protocol of io/producer.ts) ----------------------------------
export const pullInternal = Symbol("cellflow.pullInternal");
export const pullOnce = Symbol("cellflow.pullOnce");
export const pullSerializer = Symbol("cellflow.pullSerializer");
export const pullSerial = Symbol("cellflow.pullSerial");
export const produce = Symbol("cellflow.produce");
export const refreshing = Symbol("cellflow.refreshing");
export const refreshedBy = Symbol("cellflow.refreshedBy");
export const handoverOffer = Symbol("cellflow.handoverOffer");
export const takenWaiters = Symbol("cellflow.takenWaiters");
export const haltReason = Symbol("cellflow.haltReason");
export const allTaken = Symbol("cellflow.allTaken");
export const recordFailure = Symbol("cellflow.recordFailure");

// ---- lifecycle ---------------------------------------------------------------------------
export const deployInternal = Symbol("cellflow.deployInternal");
export const undeployInternal = Symbol("cellflow.undeployInternal");
export const markDeployed = Symbol("cellflow.markDeployed");
export const markUndeployed = Symbol("cellflow.markUndeployed");
export const quiesceInternal = Symbol("cellflow.quiesceInternal");
export const resetInternal = Symbol("cellflow.resetInternal");
export const resetOwnIO = Symbol("cellflow.resetOwnIO");
export const resumeInternal = Symbol("cellflow.resumeInternal");
export const abortWaits = Symbol("cellflow.abortWaits");
export const abortOwnWaits = Symbol("cellflow.abortOwnWaits");

// ---- validation and parameters -------------------------------------------------------------
export const validityReasons = Symbol("cellflow.validityReasons");
export const deployabilityReasons = Symbol("cellflow.deployabilityReasons");
export const noteParameterChanged = Symbol("cellflow.noteParameterChanged");
export const requestedMethods = Symbol("cellflow.requestedMethods");
export const parameterVersion = Symbol("cellflow.parameterVersion");
/** A scalable cell's running strategy (its clone managers). */
export const strategy = Symbol("cellflow.strategy");

// ---- observing (observe/) -------------------------------------------------------------------
/** A root's lane in events: set on a clone's host (its clone's lane); "main" when unset. */
export const lane = Symbol("cellflow.lane");
/** A single cell's run being recorded (someone listens to cell runs), else null. */
export const currentRun = Symbol("cellflow.currentRun");
/** A single cell's run log for its events (path, lane, which runs are timed), made at its first observed run. */
export const runLog = Symbol("cellflow.runLog");
/** A single cell's pulls to go until the next timed one, while someone listens (observe/cell-runs.ts). */
export const runCountdown = Symbol("cellflow.runCountdown");
