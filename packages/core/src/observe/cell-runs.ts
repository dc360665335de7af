/**
 * Recording single cells' runs for the cell-run channel. `SingleCell` calls `startRun`
 * only when the channel has subscribers; `Input.pull` calls `noteInputWait` only while a
 * run is recorded. Nothing here runs when nobody listens.
 *
 * Recording is on the hot path while someone listens (`pnpm bench observe`), so a run
 * adds one object and no promise: its end is the release of the cell's pull lock
 * (`Serializer.releaseListener`), and its failure is what the cell records as one.
 *
 * @module
 */
import * as internal from "../cells/internal-members.js";
import type { Serializer } from "../util/serializer.js";
import { publishCellRun } from "./channels.js";
import { now } from "./clock.js";
import type { Lane } from "./events.js";

/** What a recorded cell looks like from here (a SingleCell; structural, to keep imports one-way). */
interface RecordedCell {
  readonly path: string;
  readonly parent: object | null;
  [internal.currentRun]: RunRecord | null;
  [internal.lane]: string | undefined;
  [internal.eventLabel]: EventLabel | null;
}

/** @internal What a cell's events say it is: looked up at its first recorded run. */
export interface EventLabel {
  readonly path: string;
  readonly lane: Lane;
}

/** @internal One run being recorded: when it began, its input waits so far, whether it failed. */
export class RunRecord {
  readonly start = now();
  waited = 0;
  /** Input pulls of this run still waiting (several may overlap: `Promise.all`). */
  waiting = 0;
  /** When the current stretch of waiting began (while `waiting > 0`). */
  waitingSince = 0;
  failed = false;

  constructor(private readonly cell: RecordedCell) {}

  /** The cell's pull lock was released: the run is over. */
  released(): void {
    const cell = this.cell;
    if (cell[internal.currentRun] === this) cell[internal.currentRun] = null;
    const end = now();
    const waited = this.waiting > 0 ? this.waited + (end - this.waitingSince) : this.waited;
    // A deployed cell keeps its place: its path and lane are looked up once.
    const label = (cell[internal.eventLabel] ??= { path: cell.path, lane: laneOf(cell) });
    publishCellRun({ cell: label.path, lane: label.lane, start: this.start, end, waited, failed: this.failed });
  }
}

/** The lane of `cell`'s events: its root's (a clone's host has one), else "main". */
export function laneOf(cell: { readonly parent: unknown }): Lane {
  let root = cell as RecordedCell;
  while (root.parent !== null) root = root.parent as RecordedCell;
  return root[internal.lane] ?? "main";
}

/**
 * Records the pull `cell` is starting, under `lock`: the run ends when the lock is
 * released (whatever way the pull ends), and fails if the cell records a failure.
 */
export function startRun(cell: RecordedCell, lock: Serializer): void {
  const run = new RunRecord(cell);
  cell[internal.currentRun] = run;
  lock.releaseListener = run;
}

/**
 * An input of `cell` is waiting for `value`: while the cell's run is recorded, the time
 * until it arrives is not the cell's own. Returns `value`.
 */
export function noteInputWait<T>(cell: { readonly [internal.currentRun]: RunRecord | null }, value: Promise<T>): Promise<T> {
  const run = cell[internal.currentRun];
  if (run === null) return value;
  if (run.waiting++ === 0) run.waitingSince = now();
  const arrived = () => {
    if (--run.waiting === 0) run.waited += now() - run.waitingSince;
  };
  value.then(arrived, arrived);
  return value;
}
