/**
 * `profile(pipeline, { pulls | ms })`: pull a deployed pipeline for a while with a
 * recorder attached, and report where the time went.
 *
 * @module
 */
import type { Cell } from "../cells/cell.js";
import { CellPullError, EndOfStreamError, InvalidArgumentError } from "../errors/runtime-errors.js";
import type { RecordedEvents } from "./events.js";
import { Recorder } from "./recorder.js";
import type { ProfileReport } from "./report.js";

export interface ProfileOptions {
  /** Pull this many times, failed pulls included (or until the stream ends). */
  readonly pulls?: number;
  /** Pull for this many milliseconds (or until the stream ends). */
  readonly ms?: number;
  /** Events to keep of each kind (see `RecorderOptions.capacity`). */
  readonly capacity?: number;
  /** Time every cell run (see `RecorderOptions.everyRun`). */
  readonly everyRun?: boolean;
}

/** A report with the events it was made from (for `toChromeTrace`, say). */
export interface Profile extends ProfileReport {
  readonly events: RecordedEvents;
  /** Pulls that delivered. */
  readonly pulls: number;
  /** Pulls that failed because a cell threw (they are in the report's errors too). */
  readonly failedPulls: number;
}

/**
 * Pulls the deployed `pipeline` `pulls` times or for `ms` milliseconds (one pull at a
 * time, as a consumer would; stops early at the end of a finite stream), recording the
 * engine's events, and returns the bottleneck report of that span. A pull that fails
 * because a cell threw (`CellPullError`) is counted and profiling goes on, as the
 * pipeline would for a consumer that skips failed items; any other failure (the
 * pipeline is not deployed, say) ends it with that error. Scale and tune, then profile
 * again.
 */
export async function profile(pipeline: Cell, options: ProfileOptions): Promise<Profile> {
  const { pulls, ms } = options;
  if ((pulls === undefined) === (ms === undefined)) throw new InvalidArgumentError("profile() needs one of { pulls } or { ms }.");
  if (pulls !== undefined && (!Number.isInteger(pulls) || pulls < 1)) throw new InvalidArgumentError(`profile() pulls must be a positive integer, got ${String(pulls)}.`);
  if (ms !== undefined && !(ms > 0)) throw new InvalidArgumentError(`profile() ms must be positive, got ${String(ms)}.`);
  const recorder = new Recorder({
    ...(options.capacity === undefined ? {} : { capacity: options.capacity }),
    ...(options.everyRun === undefined ? {} : { everyRun: options.everyRun }),
  }).start();
  let done = 0;
  let failed = 0;
  try {
    const until = ms === undefined ? Infinity : performance.now() + ms;
    while ((pulls === undefined || done + failed < pulls) && performance.now() < until) {
      try {
        await pipeline.pull();
      } catch (error) {
        if (error instanceof EndOfStreamError) break;
        if (!(error instanceof CellPullError)) throw error;
        failed++;
        continue;
      }
      done++;
    }
  } finally {
    recorder.stop();
  }
  const events = recorder.events();
  return { ...recorder.report({ under: pipeline.path }), events, pulls: done, failedPulls: failed };
}
