import type { Cell } from "../cells/cell.js";

/**
 * Whether this thread or process runs a clone. A clone imports the module that defines
 * its cell; when that module is the program itself (cells and top-level code in one
 * file), the import runs the program again, and its `deploy()` would start clones of
 * its own, each doing the same: a fork bomb. So inside a clone, only the engine's own
 * roots (the hosts of clones) may deploy.
 */
let insideClone = false;
const engineRoots = new WeakSet<Cell>();

/** Called once by the clone runtime, before it imports any cell module. */
export function enterClone(): void {
  insideClone = true;
}

/** A root the engine deploys itself inside a clone (a clone's host). */
export function markEngineRoot(cell: Cell): void {
  engineRoots.add(cell);
}

/** Whether deploying `root` here would run a program inside one of its own clones. */
export function deployIsRecursive(root: Cell): boolean {
  return insideClone && !engineRoots.has(root);
}
