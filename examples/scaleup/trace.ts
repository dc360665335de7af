/**
 * Where time goes: records the scale-up example with its multiplier on two worker
 * threads, prints the bottleneck report, and writes the run's Chrome trace (open it in
 * https://ui.perfetto.dev) and its concurrency diagram.
 *
 *   npx tsx examples/scaleup/trace.ts [output directory, default "."]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Recorder, formatReport, toConcurrencySvg, writeChromeTrace } from "@cellflow/core";
import { ScaledPipeline } from "./cells.js";

export async function main(print: (line: string) => void = console.log, outDir = "."): Promise<void> {
  const unitMs = 20;
  const recorder = new Recorder().start(); // before deploy: the clones start on items then
  {
    await using pipeline = new ScaledPipeline(null, "my_pipeline");
    pipeline.setUnit(unitMs);
    await pipeline.scalableMultiplier.scaleUp(2, "thread");
    await pipeline.deploy();
    for (let i = 0; i < 6; i++) await pipeline.pull();
  }
  recorder.stop();
  print(formatReport(recorder.report()));

  const events = recorder.events();
  await writeChromeTrace(join(outDir, "trace.json"), events);
  writeFileSync(join(outDir, "concurrency.svg"), toConcurrencySvg(events, { unitMs, title: "2 thread clones" }));
  print(`lanes: ${[...new Set(events.cellRuns.map((run) => run.lane))].sort().join(", ")}`);
  print(`wrote ${join(outDir, "trace.json")} and ${join(outDir, "concurrency.svg")}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main(console.log, process.argv[2] ?? ".");
