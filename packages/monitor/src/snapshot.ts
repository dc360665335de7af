/**
 * What the page draws, computed in the server from the event window: one small JSON
 * object per push, its size bounded by the cells, the lanes and `maxBoxes`. The figures
 * per stage and the bottleneck come from the engine's report (`report.ts`); the lanes
 * are the window's events, placed in time.
 *
 * @module
 */
import { ScalableCell, type Cell, type RecordedEvents } from "@cellflow/core";
import { reportOf } from "./report.js";

/** One stage's figures over the window: a cell outside scalable cells, or a scalable cell (its clones together). */
export interface CellFigures {
  readonly cell: string;
  readonly kind: "cell" | "scalable";
  /** Items per second it delivered. */
  readonly itemsPerSecond: number;
  /** Items per second it could sustain if it never waited for its inputs (summed over clones). */
  readonly trueRate: number;
  /** Busy share of the window (per clone, averaged, for a scalable cell), 0 to 1. */
  readonly utilisation: number;
  /** Mean busy milliseconds per item (input waits not counted). */
  readonly meanMs: number;
  readonly errors: number;
  /** Scalable cells: clones now. */
  readonly clones?: number;
  /** The clone count the report suggests, when it has one. */
  readonly suggested?: number;
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
  /** The stage with the lowest sustainable rate, or null while nothing ran. */
  readonly bottleneck: string | null;
  /** Events the window dropped since the start, because more came than it keeps. */
  readonly dropped: number;
}

/**
 * The stages of `root`, in topology order: its single cells and scalable cells (not the
 * cells inside a scalable cell: they run in its clones and count with it).
 */
export function listStages(root: Cell): { path: string; scalable: ScalableCell | null }[] {
  const found: { path: string; scalable: ScalableCell | null }[] = [];
  const visit = (cell: Cell) => {
    if (cell instanceof ScalableCell) found.push({ path: cell.path, scalable: cell });
    else if ("children" in cell) for (const child of cell.children as Cell[]) visit(child);
    else found.push({ path: cell.path, scalable: null });
  };
  if (root instanceof ScalableCell || !("children" in root)) visit(root);
  else for (const child of root.children as Cell[]) visit(child);
  return found;
}

const round = (value: number, digits = 1) => Math.round(value * 10 ** digits) / 10 ** digits;

export function buildSnapshot(root: Cell, events: RecordedEvents, latestFill: ReadonlyMap<string, QueueFigures>, maxBoxes: number): Snapshot {
  const now = events.to;
  const report = reportOf(events, root.path);
  const profiles = new Map(report.cells.map((c) => [c.cell, c]));
  const suggested = new Map(report.suggestions.map((s) => [s.cell, s.suggested]));
  const stages = listStages(root);
  const listed = new Set(stages.map((s) => s.path));
  const cells: CellFigures[] = [...stages, ...report.cells.filter((c) => !listed.has(c.cell)).map((c) => ({ path: c.cell, scalable: null }))].map(
    ({ path, scalable }) => {
      const p = profiles.get(path);
      const advice = suggested.get(path);
      return {
        cell: path,
        kind: scalable !== null || p?.scalable === true ? "scalable" : "cell",
        itemsPerSecond: round(p?.itemsPerSecond ?? 0),
        trueRate: round(Number.isFinite(p?.trueRate) ? p!.trueRate : 0),
        utilisation: round(p?.utilisation ?? 0, 3),
        meanMs: p === undefined || p.items === 0 ? 0 : round(p.busyMs / p.items),
        errors: p?.errors ?? 0,
        ...(scalable === null ? {} : { clones: scalable.cloneCount }),
        ...(advice === undefined ? {} : { suggested: advice }),
      };
    },
  );

  const lanes = new Map<string, Box[]>();
  const draw = (lane: string, box: Box) => {
    const boxes = lanes.get(lane) ?? [];
    boxes.push(box);
    lanes.set(lane, boxes);
  };
  for (const e of events.cellRuns) if (e.timed) draw(e.lane, [e.cell, round(e.start - now), round(e.end - now), round(e.waited), 0, e.failed ? 1 : 0]);
  for (const e of events.cloneItems) draw(e.lane, [e.cell, round(e.start - now), round(e.end - now), 0, 1, e.failed ? 1 : 0]);
  const laneFigures = [...lanes]
    .sort(([a], [b]) => (a === "main" ? -1 : b === "main" ? 1 : a.localeCompare(b, "en", { numeric: true })))
    .map(([lane, boxes]) => ({ lane, boxes: boxes.length > maxBoxes ? boxes.slice(-maxBoxes) : boxes }));

  return {
    pipeline: root.path,
    time: Date.now(),
    windowMs: Math.round(events.to - events.from),
    cells,
    queues: [...latestFill.values()].map((f) => ({ cell: f.cell, outstanding: f.outstanding, filled: f.filled, capacity: f.capacity })),
    lanes: laneFigures,
    bottleneck: report.bottleneck,
    dropped: events.dropped,
  };
}
