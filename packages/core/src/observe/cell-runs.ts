/**
 * Recording single cells' runs for the cell-run channel. `SingleCell` calls `recordRun`
 * only when the channel has subscribers; `Input.pull` calls `noteInputWait` only while a
 * run is recorded. Nothing here runs when nobody listens.
 *
 * @module
 */
import * as internal from "../cells/internal-members.js";
import { isPromiseLike, type MaybePromise } from "../util/maybe-promise.js";
import { publishCellRun } from "./channels.js";
import { now } from "./clock.js";
import type { Lane } from "./events.js";

/** @internal One run being recorded: when it began, and the input waits so far. */
export interface RunRecord {
  readonly start: number;
  waited: number;
  /** Input pulls of this run still waiting (several may overlap: `Promise.all`). */
  waiting: number;
  /** When the current stretch of waiting began (while `waiting > 0`). */
  waitingSince: number;
}

/** What a recorded cell looks like from here (a SingleCell; structural, to keep imports one-way). */
interface RecordedCell {
  readonly path: string;
  readonly parent: RecordedCell | null;
  [internal.currentRun]: RunRecord | null;
  [internal.lane]: string | undefined;
}

/** The lane of `cell`'s events: its root's (a clone's host has one), else "main". */
export function laneOf(cell: { readonly parent: unknown }): Lane {
  let root = cell as RecordedCell;
  while (root.parent !== null) root = root.parent;
  return root[internal.lane] ?? "main";
}

/**
 * Runs `pull` (the cell's own pull, which sees the run set and does not record again)
 * and publishes the run once it settles. The pull's result is returned as it is (the
 * engine's hand-over paths compare it by identity); the recording reacts to it alongside.
 */
export function recordRun(cell: RecordedCell, pull: () => MaybePromise<unknown>): MaybePromise<unknown> {
  const run: RunRecord = { start: now(), waited: 0, waiting: 0, waitingSince: 0 };
  cell[internal.currentRun] = run;
  let result: MaybePromise<unknown>;
  try {
    result = pull();
  } catch (error) {
    finish(cell, run, true);
    throw error;
  }
  if (!isPromiseLike(result)) finish(cell, run, false);
  else
    result.then(
      () => finish(cell, run, false),
      () => finish(cell, run, true),
    );
  return result;
}

function finish(cell: RecordedCell, run: RunRecord, failed: boolean): void {
  if (cell[internal.currentRun] === run) cell[internal.currentRun] = null;
  const end = now();
  const waited = run.waiting > 0 ? run.waited + (end - run.waitingSince) : run.waited;
  publishCellRun({ cell: cell.path, lane: laneOf(cell), start: run.start, end, waited, failed });
}

/** An input pull of a recorded run is waiting for `value`: the time until it arrives is not the cell's. */
export function noteInputWait(run: RunRecord, value: PromiseLike<unknown>): void {
  if (run.waiting++ === 0) run.waitingSince = now();
  const arrived = () => {
    if (--run.waiting === 0) run.waited += now() - run.waitingSince;
  };
  value.then(arrived, arrived);
}
