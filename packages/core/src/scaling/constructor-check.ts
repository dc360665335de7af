import { Cell } from "../cells/cell.js";
import { CompositeCell } from "../cells/composite-cell.js";
import { Pipeline } from "../cells/pipeline.js";
import { SingleCell } from "../cells/single-cell.js";
import { CellConstructorError } from "../errors/runtime-errors.js";

/** The engine's own cell classes: where the search for a user constructor stops. */
const engineClasses: ReadonlySet<unknown> = new Set([Cell, SingleCell, CompositeCell, Pipeline]);

/**
 * Throws CellConstructorError if the inner cell's class takes constructor arguments
 * beyond `(parent, name)`: clones are rebuilt as `new Class(parent, name)` and would
 * silently run without them. Called by `scaleUp`, for every clone method.
 *
 * A class's `length` counts its declared parameters up to the first one with a default
 * (or a rest parameter); a class without a constructor has length 0 and uses its
 * parent's. So the constructor that counts is that of the first class, from the inner
 * cell's class up to the engine's own classes, whose length is not 0. This catches
 * `constructor(parent, name, factor: number)` and subclasses inheriting it, and lets
 * `class Mul10 extends Mul { constructor(p, n) { super(p, n, 10); } }` through. An
 * optional argument with a default (`factor = 1`) cannot be seen: its clones quietly
 * get the default.
 */
export function checkCloneConstructor(inner: Cell): void {
  const innerClass = inner.constructor as (abstract new (...args: never[]) => unknown) & { name: string };
  let cls: unknown = innerClass;
  while (typeof cls === "function" && !engineClasses.has(cls)) {
    if (cls.length > 2) throw new CellConstructorError(inner.path, nameOf(innerClass), nameOf(cls), cls.length);
    if (cls.length > 0) return;
    cls = Object.getPrototypeOf(cls);
  }
}

function nameOf(cls: { name: string }): string {
  return cls.name === "" ? "(anonymous class)" : cls.name;
}
