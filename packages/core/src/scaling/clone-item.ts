/**
 * One item through a clone, written once for every strategy: the clone gets the values
 * of the input ports it reads, the item's outputs are the clone's plus the values of the
 * skip links (input port straight to output port), and an error is the scalable cell's.
 * `item` is the scalable cell's input values for the item, by port name.
 */

import { CellflowError } from "../errors/cellflow-error.js";
import { CellPullError, CloneCrashedError } from "../errors/runtime-errors.js";
import type { CloneHandle, ItemResult } from "./clone-method.js";
import type { CloneShape } from "./clone-shape.js";
import type { PortValues } from "./scaling-strategy.js";

/** What the clone gets for `item`: the values of the input ports it reads (skip-link values stay here). */
export function cloneInputs(shape: CloneShape, item: PortValues): PortValues {
  const inputs: PortValues = {};
  for (const name of shape.inputs) inputs[name] = item[name];
  return inputs;
}

/** The item's output values: the clone's `outputs` (filled in place) plus each skip link's input value. */
export function itemOutputs(shape: CloneShape, outputs: PortValues, item: PortValues): PortValues {
  for (const [output, input] of shape.skips) outputs[output] = item[input];
  return outputs;
}

/** An error of a clone as the scalable cell's pull raises it: the engine's own as is, any other as a CellPullError naming the cell. */
export function itemError(shape: CloneShape, error: unknown): unknown {
  return error instanceof CellflowError ? error : new CellPullError(shape.scalablePath, error);
}

/** A clone's result for `item` (of a batch, say) as the item's: outputs with the skip links (in place), or the error wrapped. */
export function itemResult(shape: CloneShape, result: ItemResult, item: PortValues): ItemResult {
  if ("error" in result) return { error: itemError(shape, result.error) };
  itemOutputs(shape, result.outputs, item);
  return result;
}

/**
 * Runs `item` on `clone`. The clone's death is not the item's result: it comes back as
 * the CloneCrashedError (returned, not thrown), so the caller can run the item again
 * elsewhere. One async frame and one result object per item, as the hot path of async
 * clones had before this path was shared.
 */
export async function runItem(clone: CloneHandle, shape: CloneShape, item: PortValues): Promise<ItemResult | CloneCrashedError> {
  try {
    return { outputs: itemOutputs(shape, await clone.run(cloneInputs(shape, item)), item) };
  } catch (error) {
    return error instanceof CloneCrashedError ? error : { error: itemError(shape, error) };
  }
}

/** Bytes of the typed arrays and ArrayBuffers the clone gets for `item` (one level deep): what a batch window is capped by. */
export function inputBytes(shape: CloneShape, item: PortValues): number {
  let bytes = 0;
  for (const name of shape.inputs) {
    const value = item[name];
    if (value instanceof ArrayBuffer || ArrayBuffer.isView(value)) bytes += value.byteLength;
  }
  return bytes;
}
