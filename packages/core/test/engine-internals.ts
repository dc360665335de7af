/**
 * The few engine internals tests reach into, in one place: a scalable cell's clone
 * managers (their batch windows, and their clone handles, to kill a clone from outside as
 * a supervisor would). The engine keys them by symbol (src/cells/internal-members.ts), so
 * no user field can collide with them; tests use the same keys.
 */
import type { ScalableCell } from "@cellflow/core";
import * as internal from "../src/cells/internal-members.js";

export interface ManagerView {
  readonly windowSize: number;
  readonly handle: { readonly method: string; kill(): Promise<void> };
}

/** The clone managers of a deployed scalable cell (empty when it is not deployed). */
export function managersOf(cell: ScalableCell): ManagerView[] {
  const strategy = cell[internal.strategy] as { managers?: ManagerView[] } | null;
  return strategy?.managers ?? [];
}

export { internal };
