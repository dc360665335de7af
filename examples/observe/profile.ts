/**
 * Finding the bottleneck before scaling it: the seed's scale-up pipeline (source 1 unit,
 * multiplier 4, printer 2) profiled as it is, then with the multiplier scaled up to the
 * clone count the first report suggests, then to 4 clones. Each report names the stage
 * that limits the pipeline; the last also shows what the engine's events look like.
 *
 * Run it: `npx tsx examples/observe/profile.ts [--unit 20]`
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { parseArgs } from "node:util";
import { CHANNELS, formatReport, profile, type CellRunEvent, type Profile } from "@cellflow/core";
import { PlainPipeline, ScaledPipeline } from "../scaleup/cells.js";

/** Profiles the pipeline for 10 pulls after the first one; `clones` 0 is the plain pipeline. */
export async function profiled(clones: number, unitMs: number): Promise<Profile> {
  const pipeline = clones === 0 ? new PlainPipeline(null, "my_pipeline") : new ScaledPipeline(null, "my_pipeline");
  pipeline.setUnit(unitMs);
  if (pipeline instanceof ScaledPipeline) await pipeline.scalableMultiplier.scaleUp(clones);
  await pipeline.deploy();
  try {
    await pipeline.pull(); // the first item pays for the start-up
    return await profile(pipeline, { pulls: 10 });
  } finally {
    await pipeline.undeploy();
  }
}

export async function main(print: (line: string) => void = console.log, unitMs = 20): Promise<void> {
  print("Without a scalable cell:");
  const plain = await profiled(0, unitMs);
  print(formatReport(plain));

  // The report suggests a clone count for the bottleneck: scale it up that far.
  const suggested = plain.suggestions.find((s) => s.cell === plain.bottleneck)?.suggested ?? 1;
  for (const clones of [suggested, 4]) {
    print(`\nWith the multiplier scaled up to ${clones} clones:`);
    print(formatReport(await profiled(clones, unitMs)));
  }

  // The events behind the reports, for your own tools: one per cell run.
  const runs: CellRunEvent[] = [];
  const listener = (message: unknown) => runs.push(message as CellRunEvent);
  subscribe(CHANNELS.cellRun, listener);
  const pipeline = new PlainPipeline(null, "my_pipeline");
  pipeline.setUnit(unitMs);
  await pipeline.deploy();
  await pipeline.pull();
  await pipeline.undeploy();
  unsubscribe(CHANNELS.cellRun, listener);
  for (const run of runs) {
    const own = run.end - run.start - run.waited;
    print(`${run.cell} on ${run.lane}: ${(own / unitMs).toFixed(1)} units of its own, ${(run.waited / unitMs).toFixed(1)} waiting for inputs`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { unit: { type: "string", default: "20" } } });
  await main(console.log, Number(values.unit));
}
