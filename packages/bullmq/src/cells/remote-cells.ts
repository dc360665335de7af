import { registerCells, type CellClass } from "@cellflow/core";

/**
 * Cells that remote workers serve, under logical names: a file URL means nothing on
 * another machine, so a job names its cell logically and each side looks the name up
 * in its own copy of the module. One line in the module that defines the cells:
 *
 * ```ts
 * registerRemoteCells(import.meta.url, { multiplier: MultiplierCell });
 * ```
 *
 * It also registers them for thread clones (the worker runs each item in one), so the
 * module needs no `registerCells` line of its own for these classes.
 */
export function registerRemoteCells(moduleUrl: string, cells: Readonly<Record<string, CellClass>>): void {
  for (const [name, cls] of Object.entries(cells)) {
    const known = byName.get(name);
    if (known !== undefined && known !== cls) {
      throw new RemoteCellNameError(`The logical name "${name}" is taken by ${known.name}; ${cls.name} needs another.`);
    }
    byName.set(name, cls);
    names.set(cls, name);
    registerCells(moduleUrl, cls);
  }
}

/** Thrown for a logical name used twice, or a class with no logical name scaled remotely. */
export class RemoteCellNameError extends Error {
  override readonly name = "RemoteCellNameError";
}

const byName = new Map<string, CellClass>();
const names = new Map<CellClass, string>();

/** The logical name of `cls`; throws with the fix when it has none. */
export function logicalNameOf(cls: CellClass): string {
  const name = names.get(cls);
  if (name === undefined) {
    throw new RemoteCellNameError(
      `Cannot scale ${cls.name} up with remote clones: remote workers find cells by a logical name, and ${cls.name} has none. ` +
        `Add to the module that defines it:\n  registerRemoteCells(import.meta.url, { ${lowerFirst(cls.name)}: ${cls.name} });\n` +
        `(import { registerRemoteCells } from "@cellflow/bullmq"), and start workers with --module pointing at that module.`,
    );
  }
  return name;
}

/** The class registered as `name` in this process, or undefined. */
export function remoteCellNamed(name: string): CellClass | undefined {
  return byName.get(name);
}

/** Every logical name registered in this process. */
export function remoteCellNames(): string[] {
  return [...byName.keys()];
}

function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}
