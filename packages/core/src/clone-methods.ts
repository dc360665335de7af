/**
 * For people writing a clone method (a new place for clones to run): the interface the
 * queue logic talks to, and the registry `scaleUp(times, name)` looks names up in.
 * `import { registerCloneMethod, type CloneMethod } from "@cellflow/core/clone-methods"`.
 * A pipeline author needs none of this: the main entry point has `scaleUp`'s method names
 * (`CloneMethodName`), crash events and `registerCells`.
 *
 * @module @cellflow/core/clone-methods
 */
export {
  registerCloneMethod,
  createClone,
  type CloneMethod,
  type CloneHandle,
  type CloneRecipe,
  type ItemResult,
  type CloneNotice,
  type RunBatchOptions,
} from "./scaling/clone-method.js";
// Carrying the engine's events from where clones run to where the pipeline runs.
export { observingAny, publishShipped, type ShippedEvents, type ItemSpan } from "./observe/shipping.js";
export { timingEveryRun } from "./observe/run-timing.js";
export { createLocalClone } from "./scaling/methods/async-clone.js";
export type { CloneShape, Endpoint } from "./scaling/clone-shape.js";
export type { CloneSettings, ParameterValue, NestedScaling } from "./scaling/clone-settings.js";
export { serializeError, deserializeError } from "./scaling/channel/errors-across.js";
export type { SerializedError } from "./scaling/channel/protocol.js";
// The built-in methods register themselves on import, so `createClone("thread", …)` works
// whichever entry point was loaded first.
import "./scaling/methods/async-clone.js";
import "./scaling/methods/thread-clone.js";
import "./scaling/methods/process-clone.js";
