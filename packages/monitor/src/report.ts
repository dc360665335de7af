/**
 * The one place the dashboard asks the engine for its bottleneck report: @cellflow/core's
 * `analyze` (true rate per stage, the bottleneck, suggested clone counts) over the
 * window's events, limited to the monitored pipeline.
 *
 * @module
 */
import { analyze, type ProfileReport, type RecordedEvents } from "@cellflow/core";

export function reportOf(events: RecordedEvents, pipelinePath: string): ProfileReport {
  return analyze(events, { under: pipelinePath });
}
