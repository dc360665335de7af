/**
 * Profiling cells that do next to nothing: the getting-started pipeline (a counter, a
 * multiplication, a print) is far quicker than timing its runs, so by default each cell
 * times only some runs and its events count the others (`CellRunEvent.runs`). The
 * report says so; `everyRun` times every run, at the cost it measures.
 *
 * Run it: `npx tsx examples/observe/quick-cells.ts [--pulls 20000]`
 */
import { parseArgs } from "node:util";
import { formatReport, profile, type Profile } from "@cellflow/core";
import { MyPipeline } from "../basics/three-cells.js";

/** Profiles `pulls` pulls of the three-cell pipeline, timing every run or only some. */
async function profiled(pulls: number, everyRun: boolean): Promise<Profile> {
  const pipeline = new MyPipeline(null, "my_pipeline");
  pipeline.printer.print = () => {}; // quiet: the point is how quick it is
  await pipeline.deploy();
  try {
    for (let i = 0; i < 1_000; i++) await pipeline.pull(); // warm up the JIT first
    return await profile(pipeline, { pulls, everyRun });
  } finally {
    await pipeline.undeploy();
  }
}

export async function main(print: (line: string) => void = console.log, pulls = 20_000): Promise<void> {
  const sampled = await profiled(pulls, false);
  const every = await profiled(pulls, true);
  print(formatReport(sampled));
  for (const cell of sampled.cells) print(`${cell.cell}: ${cell.items} runs, ${cell.timedRuns} timed, ${sampled.events.cellRuns.filter((e) => e.cell === cell.cell).length} events`);
  const rate = (p: Profile) => (p.pulls / p.ms) * 1000;
  print(`pulls/s while recording: ${rate(sampled).toFixed(0)} timing now and then, ${rate(every).toFixed(0)} timing every run`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { pulls: { type: "string", default: "20000" } } });
  await main(console.log, Number(values.pulls));
}
