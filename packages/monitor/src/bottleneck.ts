/**
 * The one place the dashboard asks which cell is the bottleneck.
 *
 * @module
 */
import type { CellRunEvent, CloneItemEvent, QueueFillEvent } from "@cellflow/core";

/** Recorded events, as the engine's `Recorder.events()` gives them. */
export interface WindowEvents {
  readonly cellRuns: readonly CellRunEvent[];
  readonly cloneItems: readonly CloneItemEvent[];
  readonly queueFills: readonly QueueFillEvent[];
  readonly from: number;
  readonly to: number;
  readonly dropped: number;
}

/**
 * The cell that limits the pipeline's rate over `events`, or null if nothing ran.
 * Interim, until `analyze` lands in @cellflow/core: the cell with the lowest true rate
 * (items ÷ busy seconds, times its clones for a scalable cell), cells inside clones
 * counted with their scalable cell.
 */
export function findBottleneck(events: WindowEvents): string | null {
  const cells = new Map<string, { items: number; busyMs: number; lanes: Set<string> }>();
  const add = (cell: string, lane: string, busyMs: number) => {
    const stats = cells.get(cell) ?? { items: 0, busyMs: 0, lanes: new Set<string>() };
    stats.items++;
    stats.busyMs += Math.max(0, busyMs);
    stats.lanes.add(lane);
    cells.set(cell, stats);
  };
  for (const e of events.cellRuns) if (e.lane === "main" && !e.failed) add(e.cell, e.lane, e.end - e.start - e.waited);
  for (const e of events.cloneItems) if (!e.failed) add(e.cell, e.lane, e.end - e.start);
  let slowest: string | null = null;
  let lowest = Infinity;
  for (const [cell, { items, busyMs, lanes }] of cells) {
    const rate = (items / Math.max(busyMs, 1e-3)) * lanes.size;
    if (rate < lowest) [slowest, lowest] = [cell, rate];
  }
  return slowest;
}
