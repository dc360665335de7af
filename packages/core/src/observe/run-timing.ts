/**
 * Which cell runs are timed, thread-wide: holds that time every run (a `Recorder`'s
 * `everyRun`), and counting the untimed runs that no event counted yet. The per-cell
 * choice (time a run, or count it down) is in cell-runs.ts.
 *
 * @module
 */

/** @internal How many `holdEveryRun` holds are out: while any is, every run is timed. */
export let everyRunHolds = 0;

/**
 * @internal Times every run of every cell in this thread until the returned function is
 * called (holds nest): for recordings that must see each run.
 */
export function holdEveryRun(): () => void {
  everyRunHolds++;
  let held = true;
  return () => {
    if (held) everyRunHolds--;
    held = false;
  };
}

/** Whether something in this thread times every cell run (clones elsewhere are asked to as well). */
export function timingEveryRun(): boolean {
  return everyRunHolds > 0;
}

/** @internal What `countUntimedRuns` asks: a cell's untimed runs since its last event, as one. */
export interface UncountedRuns {
  publishUntimedRuns(): void;
}

/**
 * Cells that may have untimed runs in no event yet, each noted once until the next
 * count. Weak: a pipeline dropped while someone listens does not stay alive here.
 */
let uncounted = new Set<WeakRef<UncountedRuns>>();

/** @internal `cell` has untimed runs to come: count them at the next `countUntimedRuns`. */
export function noteUncountedRuns(cell: UncountedRuns): void {
  uncounted.add(new WeakRef(cell));
}

/**
 * Publishes, for every cell in this thread, the runs no event counted yet (one event per
 * such cell, `timed: false`). A `Recorder` calls it as it stops and the dashboard before
 * each snapshot, so their counts are whole; a listener of your own can call it before it
 * reads its counts. Clones in threads and processes count theirs into every reply.
 */
export function countUntimedRuns(): void {
  const cells = uncounted;
  uncounted = new Set();
  for (const ref of cells) ref.deref()?.publishUntimedRuns();
}
