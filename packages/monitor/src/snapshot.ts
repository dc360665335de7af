/**
 * What the page draws, computed in the server from the event window: one small JSON
 * object per push, its size bounded by the cells, the lanes and `maxBoxes`.
 *
 * @module
 */
import { ScalableCell, type Cell } from "@cellflow/core";
import { findBottleneck, type WindowEvents } from "./bottleneck.js";

/** One cell's figures over the window. */
export interface CellFigures {
  readonly cell: string;
  /** "scalable" for a scalable cell (its figures are its items, from all clones); else "cell". */
  readonly kind: "cell" | "scalable";
  readonly itemsPerSecond: number;
  /** Mean busy milliseconds per run or item (input waits not counted). */
  readonly meanMs: number;
  readonly errors: number;
  /** Clones of a scalable cell now. */
  readonly clones?: number;
}

/** A scalable cell's output queue, as its latest fill event said. */
export interface QueueFigures {
  readonly cell: string;
  readonly outstanding: number;
  readonly filled: number;
  readonly capacity: number;
}

/**
 * A box in the concurrency diagram: `[cell, start, end, waited, kind, failed]`, times in
 * milliseconds before the snapshot (`start` ≤ `end` ≤ 0); kind 0 is a cell run, 1 a
 * clone item.
 */
export type Box = readonly [cell: string, start: number, end: number, waited: number, kind: 0 | 1, failed: 0 | 1];

export interface LaneFigures {
  readonly lane: string;
  readonly boxes: readonly Box[];
}

/** What one Server-Sent Event carries. */
export interface Snapshot {
  readonly pipeline: string;
  /** Epoch milliseconds of the snapshot. */
  readonly time: number;
  /** The window's length in milliseconds (shorter just after the start). */
  readonly windowMs: number;
  readonly cells: readonly CellFigures[];
  readonly queues: readonly QueueFigures[];
  readonly lanes: readonly LaneFigures[];
  readonly bottleneck: string | null;
  /** Events the window dropped since the start, because more came than it keeps. */
  readonly dropped: number;
}

/** The cells of `root` the dashboard lists, in topology order: single cells and scalable cells. */
export function listCells(root: Cell): { path: string; scalable: ScalableCell | null }[] {
  const found: { path: string; scalable: ScalableCell | null }[] = [];
  const visit = (cell: Cell) => {
    if (cell instanceof ScalableCell) found.push({ path: cell.path, scalable: cell });
    if ("children" in cell) {
      for (const child of cell.children as Cell[]) visit(child);
    } else if (cell !== root) found.push({ path: cell.path, scalable: null });
  };
  visit(root);
  return found;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function buildSnapshot(
  root: Cell,
  events: WindowEvents,
  latestFill: ReadonlyMap<string, { outstanding: number; filled: number; capacity: number }>,
  maxBoxes: number,
): Snapshot {
  const now = events.to;
  const seconds = Math.max(events.to - events.from, 1) / 1000;
  const stats = new Map<string, { items: number; busyMs: number; errors: number }>();
  const count = (cell: string, busyMs: number, failed: boolean) => {
    const s = stats.get(cell) ?? { items: 0, busyMs: 0, errors: 0 };
    if (failed) s.errors++;
    else {
      s.items++;
      s.busyMs += busyMs;
    }
    stats.set(cell, s);
  };
  const lanes = new Map<string, Box[]>();
  const draw = (lane: string, box: Box) => {
    const boxes = lanes.get(lane) ?? [];
    boxes.push(box);
    lanes.set(lane, boxes);
  };
  for (const e of events.cellRuns) {
    count(e.cell, e.end - e.start - e.waited, e.failed);
    draw(e.lane, [e.cell, round(e.start - now), round(e.end - now), round(e.waited), 0, e.failed ? 1 : 0]);
  }
  for (const e of events.cloneItems) {
    count(e.cell, e.end - e.start, e.failed);
    draw(e.lane, [e.cell, round(e.start - now), round(e.end - now), 0, 1, e.failed ? 1 : 0]);
  }

  const listed = listCells(root);
  const known = new Set(listed.map((c) => c.path));
  const cells: CellFigures[] = [...listed, ...[...stats.keys()].filter((c) => !known.has(c)).map((path) => ({ path, scalable: null }))].map(
    ({ path, scalable }) => {
      const s = stats.get(path) ?? { items: 0, busyMs: 0, errors: 0 };
      return {
        cell: path,
        kind: scalable === null ? "cell" : "scalable",
        itemsPerSecond: Math.round((s.items / seconds) * 10) / 10,
        meanMs: s.items === 0 ? 0 : round(s.busyMs / s.items),
        errors: s.errors,
        ...(scalable === null ? {} : { clones: scalable.cloneCount }),
      };
    },
  );
  const queues = [...latestFill].map(([cell, f]) => ({ cell, outstanding: f.outstanding, filled: f.filled, capacity: f.capacity }));
  const laneFigures = [...lanes]
    .sort(([a], [b]) => (a === "main" ? -1 : b === "main" ? 1 : a.localeCompare(b, "en", { numeric: true })))
    .map(([lane, boxes]) => ({ lane, boxes: boxes.length > maxBoxes ? boxes.slice(-maxBoxes) : boxes }));
  return {
    pipeline: root.path,
    time: Date.now(),
    windowMs: Math.round(events.to - events.from),
    cells,
    queues,
    lanes: laneFigures,
    bottleneck: findBottleneck(events),
    dropped: events.dropped,
  };
}
