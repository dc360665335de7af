/**
 * Where time goes: records the scale-up example with its multiplier on two worker
 * threads, writes the run's Chrome trace (open it in https://ui.perfetto.dev) and its
 * concurrency diagram, and prints each cell's busy time.
 *
 *   npx tsx examples/scaleup/trace.ts [output directory, default "."]
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { toConcurrencySvg, writeChromeTrace } from "@cellflow/core";
import { ScaledPipeline } from "./cells.js";
import { recordEvents } from "./record.js";

export async function main(print: (line: string) => void = console.log, outDir = "."): Promise<void> {
  const unitMs = 20;
  const recording = recordEvents(); // before deploy: the clones start on items then
  {
    await using pipeline = new ScaledPipeline(null, "my_pipeline");
    pipeline.setUnit(unitMs);
    pipeline.scalableMultiplier.scaleUp(2, "thread");
    await pipeline.deploy();
    for (let i = 0; i < 6; i++) await pipeline.pull();
  }
  const events = recording.stop();

  await writeChromeTrace(join(outDir, "trace.json"), events);
  writeFileSync(join(outDir, "concurrency.svg"), toConcurrencySvg(events, { unitMs, title: "2 thread clones" }));

  const busy = new Map<string, number>();
  for (const run of events.cellRuns) busy.set(run.cell, (busy.get(run.cell) ?? 0) + (run.end - run.start - run.waited));
  for (const [cell, ms] of busy) print(`${cell}: ${(ms / unitMs).toFixed(1)} units busy`);
  print(`lanes: ${[...new Set(events.cellRuns.map((run) => run.lane))].sort().join(", ")}`);
  print(`wrote ${join(outDir, "trace.json")} and ${join(outDir, "concurrency.svg")}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main(console.log, process.argv[2] ?? ".");
