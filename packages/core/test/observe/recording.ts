/** Recording a real run for the observe tests. */
import { Recorder, type Pipeline, type RecordedEvents } from "@cellflow/core";

/**
 * The events of `pulls` pulls of `pipeline`, recorded from before its deploy (clones start
 * on items then) to after its undeploy; `afterPulls` runs after the pulls, still deployed.
 * Every run is timed (the test cells are quick: by default only some of theirs would be),
 * unless `everyRun` is false.
 */
export async function recordPulls(pipeline: Pipeline, pulls: number, afterPulls?: () => Promise<void>, { everyRun = true } = {}): Promise<RecordedEvents> {
  const recorder = new Recorder({ everyRun }).start();
  try {
    await pipeline.deploy();
    try {
      for (let i = 0; i < pulls; i++) await pipeline.pull();
      await afterPulls?.();
    } finally {
      await pipeline.undeploy();
    }
  } finally {
    recorder.stop();
  }
  return recorder.events();
}
