import * as internal from "../cells/internal-members.js";
import type { Cell, Emitter, Receiver } from "../cells/cell.js";
import type { CompositeCell } from "../cells/composite-cell.js";
import { assertValidName } from "../util/names.js";

/** What an IO is; connections and validation branch on it instead of on classes. */
export type IOKind = "input" | "config" | "runtime" | "output" | "inputPort" | "outputPort";

/** Anything a cell exposes by name: inputs, outputs, parameters and ports. */
export abstract class IO<T> {
  /**
   * Phantom field: keeps `IO<number>` and `IO<string>` apart at compile time. Keyed by a
   * symbol so it stays out of autocomplete; it exists in the types only.
   */
  declare readonly [internal.valueType]?: (value: T) => T;

  protected constructor(
    readonly cell: Cell,
    readonly name: string,
    /** Set here, not as a subclass field, so the cell can classify the IO while registering it. */
    readonly kind: IOKind,
  ) {
    assertValidName(name, "IO");
    // Every concrete IO class is an emitter or a receiver (its `kind` says which).
    const io: AnyIO = this;
    cell[internal.registerIO](io as Emitter | Receiver);
  }

  /** Dotted path from the root cell, e.g. `my_pipeline.multiplier.input_a`. */
  get path(): string {
    return `${this.cell.path}.${this.name}`;
  }

  toString(): string {
    return `${this.constructor.name}("${this.path}")`;
  }
}

/** The composite in which a connection leaving or entering `io` must live (null: none). */
export function scopeOf(io: AnyIO, side: "source" | "target"): CompositeCell | null {
  // A port is reached from inside its composite on one side, from outside on the other.
  if (io.kind === "inputPort") return side === "source" ? (io.cell as CompositeCell) : io.cell.parent;
  if (io.kind === "outputPort") return side === "target" ? (io.cell as CompositeCell) : io.cell.parent;
  return io.cell.parent;
}

/**
 * An IO of any value type. The graph holds IO and connections of many value types side
 * by side; the typed constructors check each pair, so the containers erase the type.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyIO = IO<any>;
