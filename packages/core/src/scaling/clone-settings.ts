import * as internal from "../cells/internal-members.js";
import type { Cell } from "../cells/cell.js";
import type { CompositeCell } from "../cells/composite-cell.js";
import type { ScalableCell } from "./scalable-cell.js";
import { InvalidCellError } from "../errors/structure-errors.js";

/** A parameter value addressed from the inner cell: `["child.grandchild", "param", value]`. */
export type ParameterValue = readonly [cellPath: string, parameter: string, value: unknown];

/** The clone methods requested on a nested scalable cell, addressed from the inner cell. */
export type NestedScaling = readonly [cellPath: string, methods: readonly string[]];

/**
 * What a clone must copy from the template (the inner cell) besides its class: the
 * parameter values set on it and the scaling of scalable cells nested inside it.
 */
export interface CloneSettings {
  readonly parameters: readonly ParameterValue[];
  readonly scaling: readonly NestedScaling[];
}


/** Reads every set parameter value and nested scaling of `template` and its descendants. */
export function collectSettings(template: Cell): CloneSettings {
  const parameters: ParameterValue[] = [];
  const scaling: NestedScaling[] = [];
  visit(template, "", (cell, path) => {
    for (const io of cell[internal.receivers]) {
      if ((io.kind === "config" || io.kind === "runtime") && io.inbox.holdsValue && io.inbox.incoming === null) {
        parameters.push([path, io.name, io.inbox.get()]);
      }
    }
    if (isScaled(cell)) scaling.push([path, [...cell[internal.requestedMethods]]]);
  });
  return { parameters, scaling };
}

/** Sets the parameter values on the clone's cells (found by path from the clone). */
export function applyParameters(clone: Cell, parameters: readonly ParameterValue[]): void {
  for (const [path, name, value] of parameters) {
    const cell = find(clone, path);
    // Straight into the inbox: a clone takes its template's values even while deployed.
    // (Collected from a template of the same class, so the parameter exists.)
    const parameter = cell[internal.ios].get(name);
    if (parameter !== undefined && "inbox" in parameter) parameter.inbox.set(value);
    // A scalable cell nested in the clone must pass the value on to its own clones.
    cell[internal.noteParameterChanged]();
  }
}

export function find(root: Cell, path: string): Cell {
  let cell = root;
  if (path === "") return cell;
  for (const name of path.split(".")) {
    const next = (cell as CompositeCell).children?.find((c) => c.name === name);
    if (next === undefined) throw new InvalidCellError([`a clone of "${root.path}" has no cell at "${path}"`]);
    cell = next;
  }
  return cell;
}

function visit(cell: Cell, path: string, fn: (cell: Cell, path: string) => void): void {
  fn(cell, path);
  const children = (cell as Partial<CompositeCell>).children;
  if (children) for (const child of children) visit(child, path === "" ? child.name : `${path}.${child.name}`, fn);
}

/** Whether `cell` is a scalable cell (told by its clone list: this module cannot import the class, which imports it). */
export function isScaled(cell: Cell): cell is ScalableCell {
  return Array.isArray((cell as Partial<ScalableCell>)[internal.requestedMethods]);
}
