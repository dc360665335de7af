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
  /** What ran (a cell's path): a span goes on a row that last held the same key if it can, so each cell keeps to a row. */
  readonly key?: string;
}

/**
 * How spans may share a row: `"nest"` lets a span sit inside another (a clone item and
 * the run of its inner cell: what trace viewers draw as a stack), `"disjoint"` allows no
 * overlap at all (one box per row at any time, for a flat picture).
 */
export type RowMode = "nest" | "disjoint";

/**
 * Where a span goes: its lane, the row in it (0 for the lane's own row, 1, 2, … for
 * overflow rows), and where it starts there (its start, or a little later: see
 * {@link assignRows}).
 */
export interface RowPlacement {
  readonly lane: Lane;
  readonly row: number;
  readonly start: number;
}

/**
 * The row of each span (in input order). Spans are placed in order of start (the longer
 * first at equal starts), each on the lowest row of its lane where it nests inside, or
 * follows, what is there (trying first the rows whose last span had the same `key`): so
 * in `"nest"` mode a row's spans either nest or follow one another, and in `"disjoint"`
 * mode they only follow one another.
 *
 * A span that begins at most `tolerance` before the end of the span it would follow
 * starts at that end instead. A run's end is read once its own promise settles, a moment
 * after its output reached the cell waiting for it (which starts working then), so a
 * cell and its consumer overlap by a fraction of a millisecond that is bookkeeping, not
 * concurrency; without the tolerance it would open an overflow row for every run.
 */
export function assignRows(spans: readonly Span[], mode: RowMode = "nest", tolerance = 0): RowPlacement[] {
  const order = spans.map((_, i) => i).sort((a, b) => spans[a]!.start - spans[b]!.start || spans[b]!.end - spans[a]!.end);
  /** Per lane, per row: the ends of the spans still open there (innermost last), and the last span's key. */
  const open = new Map<Lane, Array<{ ends: number[]; key: string | undefined }>>();
  const placements: RowPlacement[] = new Array(spans.length);
  for (const i of order) {
    const { lane, end, key } = spans[i]!;
    let rows = open.get(lane);
    if (rows === undefined) open.set(lane, (rows = []));
    const tries = rows.map((_, r) => r);
    if (key !== undefined) tries.sort((a, b) => Number(rows[b]!.key === key) - Number(rows[a]!.key === key) || a - b);
    let row = rows.length;
    let start = spans[i]!.start;
    for (const r of tries) {
      const fit = fits(rows[r]!.ends, start, end, mode, tolerance);
      if (fit !== undefined) {
        row = r;
        start = fit;
        break;
      }
    }
    if (row === rows.length) rows.push({ ends: [], key });
    rows[row]!.ends.push(end);
    rows[row]!.key = key;
    placements[i] = { lane, row, start };
  }
  return placements;
}

/**
 * Where `[start, end]` can go on a row whose open spans end at `stack` (innermost last),
 * closing the spans that ended; undefined if it partly overlaps one. Leaves the stack
 * as it is when the span does not fit.
 */
function fits(stack: number[], start: number, end: number, mode: RowMode, tolerance: number): number | undefined {
  let depth = stack.length;
  for (;;) {
    while (depth > 0 && stack[depth - 1]! <= start) depth--;
    const top = depth > 0 ? stack[depth - 1]! : undefined;
    if (top === undefined) break;
    if (top >= end) {
      if (mode === "nest") break;
      return undefined;
    }
    if (top - start > tolerance) return undefined;
    start = top; // a bookkeeping overlap: start where the other ended
  }
  stack.length = depth;
  return start;
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
