import type { Cell, CellClass } from "../cells/cell.js";
import { CellNotLocatableError } from "../errors/runtime-errors.js";

/** Where a cell class lives, so another thread or process can import it and find it again. */
export interface CellLocation {
  readonly moduleUrl: string;
  readonly className: string;
}

const locations = new Map<CellClass, CellLocation>();
const byKey = new Map<string, CellClass>();

/**
 * Declares that `classes` are defined in the module at `moduleUrl` (pass
 * `import.meta.url`), so clones of them can run in worker threads, child processes or on
 * other machines. One line at the bottom of the cell's module:
 *
 * ```ts
 * registerCells(import.meta.url, MultiplierCell, ScalableMultiplier);
 * ```
 *
 * Importing the module elsewhere runs the same line there, which is how a worker finds
 * the class by name (the class need not be exported).
 */
export function registerCells(moduleUrl: string, ...classes: CellClass<Cell>[]): void {
  for (const cls of classes) {
    const location = { moduleUrl, className: cls.name };
    locations.set(cls, location);
    byKey.set(key(location), cls);
  }
}

/** The registered location of `cls`; throws with the fix in the message if it has none. */
export function locateCell(cls: CellClass, method: string): CellLocation {
  const location = locations.get(cls);
  if (location === undefined) {
    throw new CellNotLocatableError(
      `Cannot scale up ${cls.name} with "${method}" clones: the clone must rebuild it from its module, ` +
        `and ${cls.name} is not registered. Add this line to the module that defines it:\n` +
        `  registerCells(import.meta.url, ${cls.name});\n` +
        `(import { registerCells } from "@cellflow/core").`,
    );
  }
  return location;
}

/** The class registered at `location` after its module was imported, or undefined. */
export function findRegisteredCell(location: CellLocation): CellClass | undefined {
  return byKey.get(key(location));
}

function key(location: CellLocation): string {
  return `${location.moduleUrl}#${location.className}`;
}
