/**
 * Putting spans on rows so that no row holds a partial overlap: what the trace and the
 * concurrency picture both need. Spans of one lane (a {@link Lane}: the main thread or
 * one clone) go on that lane's first row where they fit; one that fits nowhere opens
 * an overflow row of the same lane. Concurrent work on one thread (async cells awaiting
 * I/O side by side, a clone pulling the source while the printer runs) is what fills
 * overflow rows.
 *
 * @module
 */
import type { CellRunEvent, Lane } from "./events.js";

/** A time span of something that ran in a lane. */
export interface Span {
  readonly lane: Lane;
  readonly start: number;
  readonly end: number;
}

/**
 * How spans may share a row: `"nest"` lets a span sit inside another (a clone item and
 * the run of its inner cell: what trace viewers draw as a stack), `"disjoint"` allows no
 * overlap at all (one box per row at any time, for a flat picture).
 */
export type RowMode = "nest" | "disjoint";

/** Where a span goes: its lane and the row in it (0 for the lane's own row, 1, 2, … for overflow rows). */
export interface RowPlacement {
  readonly lane: Lane;
  readonly row: number;
}

/**
 * The row of each span (in input order). Spans are placed in order of start (the longer
 * first at equal starts), each on the lowest row of its lane where it nests inside, or
 * follows, what is there: so in `"nest"` mode a row's spans either nest or follow one
 * another, and in `"disjoint"` mode they only follow one another.
 */
export function assignRows(spans: readonly Span[], mode: RowMode = "nest"): RowPlacement[] {
  const order = spans.map((_, i) => i).sort((a, b) => spans[a]!.start - spans[b]!.start || spans[b]!.end - spans[a]!.end);
  /** Per lane, per row: the ends of the spans still open there, innermost last. */
  const open = new Map<Lane, number[][]>();
  const placements: RowPlacement[] = new Array(spans.length);
  for (const i of order) {
    const { lane, start, end } = spans[i]!;
    let rows = open.get(lane);
    if (rows === undefined) open.set(lane, (rows = []));
    let row = 0;
    for (; row < rows.length; row++) {
      const stack = rows[row]!;
      while (stack.length > 0 && stack[stack.length - 1]! <= start) stack.pop();
      if (stack.length === 0 || (mode === "nest" && stack[stack.length - 1]! >= end)) break;
    }
    if (row === rows.length) rows.push([]);
    rows[row]!.push(end);
    placements[i] = { lane, row };
  }
  return placements;
}

/** A row's name: the lane's for row 0, then "main (2)", "main (3)", … */
export function rowName(lane: Lane, row: number): string {
  return row === 0 ? lane : `${lane} (${row + 1})`;
}

/**
 * Lanes in display order: "main" first, then the others by name, numbers compared as
 * numbers (`#thread-2` before `#thread-10`).
 */
export function compareLanes(a: Lane, b: Lane): number {
  if (a === b) return 0;
  if (a === "main") return -1;
  if (b === "main") return 1;
  return a.localeCompare(b, "en", { numeric: true });
}

/**
 * A cell run's busy part, `[end - busy, end]` with `busy = end - start - waited`: the time
 * the cell itself worked, drawn so that a run that waited for its inputs (a printer
 * waiting for the queue, a multiplier for the source) does not cover its upstream's work.
 * It assumes the waits came before the work, which is how a cell that pulls its inputs
 * first and then works spends its run.
 */
export function busySpan(run: CellRunEvent): { start: number; end: number } {
  const busy = Math.max(0, run.end - run.start - run.waited);
  return { start: run.end - busy, end: run.end };
}
