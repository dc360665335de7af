/**
 * Recording single cells' runs for the cell-run channel. `SingleCell` calls `runIsTimed`
 * and `timeRun` only when the channel has subscribers; `Input.pull` calls `noteInputWait`
 * only during a timed run.
 * Nothing here runs when nobody listens.
 *
 * Recording is on the hot path while someone listens (`pnpm bench observe`), so a timed
 * run adds one object and no promise: its end is the release of the cell's pull lock
 * (`Serializer.releaseListener`), and its failure is what the cell records as one.
 *
 * **Which runs are timed.** Timing a run costs about 0.3 µs (clock reads, an event, the
 * subscriber's work): nothing next to a cell busy for 80 µs a run, but more than the
 * whole run of a cell that does next to nothing (`bench observe` measured 0.34× with
 * every run timed). So each cell times its runs at an interval set by its recent timed
 * runs' busy time: every run when that is `EVERY_RUN_FROM_MS` or more, else about one in
 * `interval` (at most `MAX_INTERVAL`), so that timing costs about `BUDGET` of the cell's
 * time (`bench observe`: 0.93 with a Recorder attached, against 0.34). The intervals are
 * random (mean `interval`), so a cell whose slow runs come at a fixed period is not timed
 * in step with them. The runs in between are counted, never lost: the next event stands
 * for them (`CellRunEvent.runs`), an untimed run that fails gets an event of its own,
 * and a `Recorder` that stops has the runs still uncounted published (`countUntimedRuns`),
 * both with `timed: false`. A `Recorder`'s `everyRun` (`holdEveryRun`) times them all;
 * that thread-wide state lives in run-timing.ts.
 *
 * @module
 */
import * as internal from "../cells/internal-members.js";
import type { Serializer } from "../util/serializer.js";
import { publishCellRun } from "./channels.js";
import { now } from "./clock.js";
import type { Lane } from "./events.js";
import { everyRunHolds, noteUncountedRuns } from "./run-timing.js";

/** What timing one run costs, in ms (`bench observe` with every run timed: ~0.33 µs a run). */
const TIMING_COST_MS = 0.0004;
/** The share of a cell's time that timing its runs may take. */
const BUDGET = 0.005;
/** Cells busy this long a run or longer have every run timed (TIMING_COST_MS / BUDGET: 80 µs). */
const EVERY_RUN_FROM_MS = TIMING_COST_MS / BUDGET;
/** The longest mean interval between timed runs. */
const MAX_INTERVAL = 256;
/** How fast the mean busy time follows the timed runs. */
const MEAN_WEIGHT = 0.25;

/** What a recorded cell looks like from here (a SingleCell; structural, to keep imports one-way). */
interface RecordedCell {
  readonly path: string;
  readonly parent: object | null;
  [internal.currentRun]: RunRecord | null;
  [internal.lane]: string | undefined;
  [internal.runLog]: RunLog | null;
  [internal.runCountdown]: number;
  /** Its inputs (a single cell has no ports): told which run is timed. */
  readonly [internal.receivers]: readonly object[];
}

/** An input, as a timed run points it at itself (Input.timedRun). */
interface TimedInput {
  timedRun: RunRecord | null;
}

/** Points `cell`'s inputs at `run` (null: the run is over), so their pulls note their waits. */
function pointInputsAt(cell: RecordedCell, run: RunRecord | null): void {
  for (const input of cell[internal.receivers]) if ("timedRun" in input) (input as TimedInput).timedRun = run;
}

/**
 * @internal A cell's runs as its events tell them: its path and lane (a deployed cell
 * keeps its place, so they are looked up once), and which of its runs are timed. Made at
 * its first run someone listened to. An untimed run only counts down the cell's
 * `runCountdown` (in `SingleCell`'s pull): no call, no clock, no allocation.
 */
export class RunLog {
  readonly path: string;
  readonly lane: Lane;
  /** The cell's `runCountdown` when it was last set: `drawn - runCountdown` runs began since. */
  drawn = 1;
  /** Untimed runs since then that failed and got an event of their own. */
  failedUntimed = 0;
  /** Recent timed runs' mean busy time in ms (exponentially weighted); < 0 before the first. */
  meanBusyMs = -1;
  /** Waiting for the next `countUntimedRuns` (run-timing.ts). */
  private noted = false;

  constructor(private readonly cell: RecordedCell) {
    this.path = cell.path;
    this.lane = laneOf(cell);
  }

  /** The runs a timed run's event stands for: it, and the untimed runs since the last event. */
  takeRuns(): number {
    const runs = this.untimedRunsOut;
    this.drawn = this.cell[internal.runCountdown];
    this.failedUntimed = 0;
    return runs;
  }

  /** Runs begun since the last event that are in no event yet (the one in progress included). */
  get untimedRunsOut(): number {
    return this.drawn - this.cell[internal.runCountdown] - this.failedUntimed;
  }

  /**
   * A timed run ended, busy for `busyMs` (its length minus input waits): when to time the
   * next one. Busy time, not length: the runs of a chain's last cell last as long as the
   * whole chain, yet timing them costs the same as timing any other cell's.
   */
  timedRunEnded(busyMs: number): void {
    const mean = (this.meanBusyMs = this.meanBusyMs < 0 ? busyMs : this.meanBusyMs + (busyMs - this.meanBusyMs) * MEAN_WEIGHT);
    let next = 1;
    if (mean < EVERY_RUN_FROM_MS) {
      const interval = Math.min(MAX_INTERVAL, Math.ceil(EVERY_RUN_FROM_MS / Math.max(mean, 1e-6)));
      // Uniform on 1 … 2·interval − 1: mean `interval`, never in step with a periodic cell.
      next = 1 + Math.floor(Math.random() * (2 * interval - 1));
    }
    this.cell[internal.runCountdown] = next;
    this.drawn = next;
    if (next > 1) this.noteUncounted();
  }

  /** Untimed runs are to come: `countUntimedRuns` is to count them. */
  private noteUncounted(): void {
    if (this.noted) return;
    this.noted = true;
    noteUncountedRuns(this);
  }

  /** `countUntimedRuns`: the runs since the last event, in an event of their own, not timed. */
  publishUntimedRuns(): void {
    this.noted = false;
    const runs = this.takeRuns();
    if (runs > 0) this.publishUntimed(runs, false);
    // More untimed runs may come before the next timed one (which would note them).
    if (this.cell[internal.runCountdown] > 1) this.noteUncounted();
  }

  /** The untimed run in progress failed: it gets an event of its own (its start was not read). */
  untimedRunFailed(): void {
    this.failedUntimed++;
    this.publishUntimed(1, true);
  }

  /** An event that counts `runs` without a length (`timed: false`), at the time it is made. */
  private publishUntimed(runs: number, failed: boolean): void {
    const time = now();
    publishCellRun({ cell: this.path, lane: this.lane, start: time, end: time, waited: 0, failed, runs, timed: false });
  }
}

/** @internal One timed run: when it began, its input waits so far, whether it failed. */
export class RunRecord {
  readonly start = now();
  waited = 0;
  /** Input pulls of this run still waiting (several may overlap: `Promise.all`). */
  waiting = 0;
  /** When the current stretch of waiting began (while `waiting > 0`). */
  waitingSince = 0;
  failed = false;

  constructor(
    private readonly cell: RecordedCell,
    private readonly log: RunLog,
    /** The runs its event stands for: itself and the untimed ones before it. */
    private readonly runs: number,
  ) {}

  /** The cell's pull lock was released: the run is over. */
  released(): void {
    const cell = this.cell;
    if (cell[internal.currentRun] === this) {
      cell[internal.currentRun] = null;
      pointInputsAt(cell, null);
    }
    const end = now();
    const waited = this.waiting > 0 ? this.waited + (end - this.waitingSince) : this.waited;
    const log = this.log;
    publishCellRun({ cell: log.path, lane: log.lane, start: this.start, end, waited, failed: this.failed, runs: this.runs, timed: true });
    log.timedRunEnded(end - this.start - waited);
  }
}

/** The lane of `cell`'s events: its root's (a clone's host has one), else "main". */
export function laneOf(cell: { readonly parent: unknown }): Lane {
  let root = cell as RecordedCell;
  while (root.parent !== null) root = root.parent as RecordedCell;
  return root[internal.lane] ?? "main";
}

/**
 * Whether `cell`, starting a pull while someone listens, times it: it counts down its
 * `runCountdown` (see the module comment). `SingleCell` calls `timeRun` when it does.
 */
export function runIsTimed(cell: RecordedCell): boolean {
  return --cell[internal.runCountdown] <= 0 || everyRunHolds > 0;
}

/**
 * `cell` starts a pull under `lock` that is timed: it ends when the lock is released
 * (whatever way the pull ends), and fails if the cell records a failure.
 */
export function timeRun(cell: RecordedCell, lock: Serializer): void {
  const log = cell[internal.runLog] ?? (cell[internal.runLog] = new RunLog(cell));
  const run = new RunRecord(cell, log, log.takeRuns());
  cell[internal.currentRun] = run;
  pointInputsAt(cell, run);
  lock.releaseListener = run;
}

/**
 * `cell` records a failure: its timed run failed, or the untimed one in progress (its
 * pull lock is held: a failure is recorded before the lock's release) gets an event.
 */
export function noteRunFailure(cell: RecordedCell, lock: Serializer): void {
  const run = cell[internal.currentRun];
  if (run !== null) run.failed = true;
  else {
    const log = cell[internal.runLog];
    if (log !== null && log.untimedRunsOut > 0 && lock.isBusy) log.untimedRunFailed();
  }
}

/**
 * An input is waiting for `value` during its cell's timed `run` (`Input.pull` calls it
 * only then: `timeRun` points the cell's inputs at the run): the time until it arrives is
 * not the cell's own. Returns `value`.
 */
export function noteInputWait<T>(run: RunRecord, value: Promise<T>): Promise<T> {
  if (run.waiting++ === 0) run.waitingSince = now();
  const arrived = () => {
    if (--run.waiting === 0) run.waited += now() - run.waitingSince;
  };
  value.then(arrived, arrived);
  return value;
}
