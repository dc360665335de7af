/**
 * The scale-up example of PyPipeline's guide, in cellflow: a source (1 unit), a
 * multiplier (4 units) and a printer (2 units). It runs the pipeline without a scalable
 * cell, then with the multiplier scaled up to 1, 2 and 4 async clones, printing every
 * value with the time its iteration took and the bottleneck report of the run (recorded
 * with a `Recorder`), then measured vs theoretical throughput.
 *
 *   pnpm scaleup [--unit 100] [--items 6] [--clones 0,1,2,4] [--trace trace.json]
 *
 * With `--trace <file>` it also writes each configuration's Chrome trace (open it in
 * https://ui.perfetto.dev) to the file name with the clone count added before the
 * extension: `--trace trace.json` writes trace-0.json, trace-1.json, trace-2.json and
 * trace-4.json.
 */
import { parseArgs } from "node:util";
import { Recorder, formatReport, writeChromeTrace, type RecordedEvents } from "@cellflow/core";
import { DEFAULT_UNIT_MS, PlainPipeline, ScaledPipeline } from "./cells.js";

/** Items per time unit the seed's analysis predicts for each clone count. */
export function theoreticalThroughput(clones: number): number {
  if (clones === 0) return 1 / 7; // source + multiplier + printer, one after the other
  return Math.min(clones / 5, 1 / 2); // clones overlap source + multiplier; the printer caps at 1/2
}

export interface RunResult {
  readonly clones: number;
  readonly values: number[];
  /** Duration of each pull, in time units. */
  readonly iterationUnits: number[];
  /** Items per unit after the first item (steady state). */
  readonly measured: number;
  readonly theoretical: number;
  /** What the run published on the diagnostics channels, from before deploy to the last pull. */
  readonly events: RecordedEvents;
  /** The bottleneck report of the run, as text (`formatReport`). */
  readonly report: string;
}

export interface ScaleupOptions {
  unitMs?: number;
  items?: number;
  clones?: readonly number[];
  /** Where lines go; defaults to the console. */
  log?: (line: string) => void;
  /** Write each configuration's Chrome trace to this file name with the clone count added: trace.json → trace-2.json. */
  trace?: string;
}

/** The trace file of one configuration: `trace.json` → `trace-2.json` (`trace` → `trace-2`). */
export function traceFile(trace: string, clones: number): string {
  const dot = trace.lastIndexOf(".");
  return dot > trace.lastIndexOf("/") && dot > 0 ? `${trace.slice(0, dot)}-${clones}${trace.slice(dot)}` : `${trace}-${clones}`;
}

/**
 * Runs one configuration: `clones === 0` is the pipeline without a scalable cell. A
 * recorder listens from before deploy (so the clones' first items are in) to the last
 * pull; the result carries its events and its bottleneck report.
 */
export async function runOnce(clones: number, unitMs: number, items: number, log: (line: string) => void): Promise<RunResult> {
  using recorder = new Recorder().start();
  await using pipeline = clones === 0 ? new PlainPipeline(null, "my_pipeline") : new ScaledPipeline(null, "my_pipeline");
  pipeline.setUnit(unitMs);
  if (pipeline instanceof ScaledPipeline) pipeline.scalableMultiplier.scaleUp(clones);
  const values: number[] = [];
  pipeline.printer.onValue = (value) => values.push(value);
  await pipeline.deploy();

  const iterationUnits: number[] = [];
  const start = performance.now();
  let firstDone = start;
  let previous = start;
  for (let i = 0; i < items; i++) {
    await pipeline.pull();
    const now = performance.now();
    if (i === 0) firstDone = now;
    iterationUnits.push((now - previous) / unitMs);
    log(`   ${String(values[i]).padEnd(5)} (${iterationUnits[i]!.toFixed(1)} units)`);
    previous = now;
  }
  recorder.stop();
  const steadyUnits = (previous - firstDone) / unitMs;
  const measured = items > 1 ? (items - 1) / steadyUnits : 1 / iterationUnits[0]!;
  const events = recorder.events();
  const report = formatReport(recorder.report({ under: pipeline.path }));
  return { clones, values, iterationUnits, measured, theoretical: theoreticalThroughput(clones), events, report };
}

export async function main(options: ScaleupOptions = {}): Promise<RunResult[]> {
  const unitMs = options.unitMs ?? DEFAULT_UNIT_MS;
  const items = options.items ?? 6;
  const cloneCounts = options.clones ?? [0, 1, 2, 4];
  const log = options.log ?? ((line: string) => console.log(line));

  log(`cellflow scale-up example: source 1 unit, multiplier 4 units, printer 2 units (1 unit = ${unitMs} ms)`);
  const results: RunResult[] = [];
  for (const [index, clones] of cloneCounts.entries()) {
    const label = clones === 0 ? "no scalable cell" : `multiplier scaled up ${clones}x (async clones)`;
    log(`\n[${index + 1}/${cloneCounts.length}] ${label}, ${items} items. Execution results:`);
    const result = await runOnce(clones, unitMs, items, log);
    results.push(result);
    for (const line of result.report.split("\n")) log(`   ${line}`);
    if (options.trace !== undefined) {
      const file = traceFile(options.trace, clones);
      await writeChromeTrace(file, result.events, { processName: `scaleup, ${label}` });
      log(`   trace: ${file} (${result.events.cellRuns.length} cell runs, ${result.events.cloneItems.length} clone items)`);
    }
  }

  log(`\nThroughput (items per unit, steady state after the first item):`);
  log(`   clones  theoretical  measured  measured/theoretical`);
  for (const r of results) {
    log(
      `   ${String(r.clones).padStart(6)}  ${r.theoretical.toFixed(3).padStart(11)}  ${r.measured.toFixed(3).padStart(8)}  ${(r.measured / r.theoretical).toFixed(2).padStart(20)}`,
    );
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const usage =
    "usage: scaleup [--unit <ms per unit, > 0>] [--items <n >= 1>] [--clones <list of counts >= 0, e.g. 0,1,2,4>] [--trace <file>]\n" +
    "  --trace <file>  write each configuration's Chrome trace (open in https://ui.perfetto.dev), the clone count\n" +
    "                  added to the name: --trace trace.json writes trace-0.json, trace-1.json, trace-2.json, trace-4.json";
  let values: { unit?: string; items?: string; clones?: string; trace?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        unit: { type: "string", default: String(DEFAULT_UNIT_MS) },
        items: { type: "string", default: "6" },
        clones: { type: "string", default: "0,1,2,4" },
        trace: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const unitMs = Number(values.unit);
  const items = Number(values.items);
  const clones = values.clones!.split(",").map(Number);
  if (!(unitMs > 0) || !Number.isInteger(items) || items < 1 || clones.some((c) => !Number.isInteger(c) || c < 0)) {
    console.error(usage);
    process.exit(2);
  }
  await main({ unitMs, items, clones, ...(values.trace !== undefined ? { trace: values.trace } : {}) });
}
