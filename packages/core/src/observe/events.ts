/**
 * What the engine publishes on its `node:diagnostics_channel` channels (see
 * `channels.ts`). Times are milliseconds on the parent's `performance.now()` clock: events
 * recorded in a worker thread, a child process or on a remote worker are moved onto it
 * before they are published in the parent.
 *
 * @module
 */

/**
 * Where something ran: `"main"` (the thread that runs the pipeline) or a clone's lane,
 * `"<scalable cell path>#<method>-<n>"` (n counts the clones a scalable cell made, from
 * 1; a replacement after a crash is a new lane). A clone of a scalable cell nested in
 * another clone adds its lane after the outer one's, joined by `/`.
 */
export type Lane = string;

/** One run of a single cell: one pull, from the call of `onPull` to its end. */
export interface CellRunEvent {
  /** The cell's path (the same in every clone of it: `pipeline.scalable.inner`). */
  readonly cell: string;
  readonly lane: Lane;
  readonly start: number;
  readonly end: number;
  /**
   * Milliseconds of the run spent waiting for its inputs (upstream cells working, a
   * scalable cell's queue). The cell's own busy time is `end - start - waited`.
   */
  readonly waited: number;
  /** The run threw (its error, or the end of its stream). */
  readonly failed: boolean;
  /**
   * How many of the cell's runs this event stands for: 1, or more when the cell's runs
   * are quick enough to be timed only now and then (see `Recorder`'s `everyRun`). It is
   * then the timed run plus the untimed runs of the cell since its previous event, which
   * all ended without an error. Estimate a cell's busy time per run from the timed events
   * (`Σ runs × (end − start − waited) ÷ Σ runs` over them) and multiply by all the runs.
   */
  readonly runs: number;
  /**
   * Whether `start`, `end` and `waited` were measured. False for an untimed run that
   * failed (`runs: 1`, `failed: true`, at the time it failed) and for the runs a
   * stopping `Recorder` found in no event yet (`failed: false`, at that time): they
   * count, but have no length.
   */
  readonly timed: boolean;
}

/** One item of a scalable cell run by one of its clones. */
export interface CloneItemEvent {
  /** The scalable cell's path. */
  readonly cell: string;
  readonly lane: Lane;
  /** The clone method: "async", "thread", "process", "remote", … */
  readonly method: string;
  /** The item's place in the scalable cell's output order (0, 1, …; from 0 again after a reset). */
  readonly ticket: number;
  readonly start: number;
  readonly end: number;
  /**
   * Milliseconds the item's inputs took to arrive once it was its turn to pull them
   * (upstream work). A clone that runs one item at a time waits for them between its
   * items, so its cycle per item is `end - start + inputMs`.
   */
  readonly inputMs: number;
  readonly failed: boolean;
}

/** A scalable cell's output queue after it changed: items waiting to be taken, and room. */
export interface QueueFillEvent {
  /** The scalable cell's path. */
  readonly cell: string;
  readonly time: number;
  /** Tickets out (reserved for an item in progress, or done and not taken yet). */
  readonly outstanding: number;
  /** Tickets done, waiting for the pipeline to take them. */
  readonly filled: number;
  /** How many tickets may be out now (the capacity, plus the growth SPEC 3.11 allows). */
  readonly capacity: number;
}

/** What a `Recorder` holds: the events of a time span, oldest first, times as in the events. */
export interface RecordedEvents {
  readonly cellRuns: readonly CellRunEvent[];
  readonly cloneItems: readonly CloneItemEvent[];
  readonly queueFills: readonly QueueFillEvent[];
  /** When recording began (or the oldest event kept, once the ring dropped older ones). */
  readonly from: number;
  /** When recording stopped, or now while it goes on. */
  readonly to: number;
  /** Events the ring let go to stay within its capacity (the oldest ones). */
  readonly dropped: number;
}
