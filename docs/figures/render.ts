/**
 * The figures of docs/where-time-goes.md, from real runs: the scale-up example
 * (examples/scaleup) with 0, 1, 2 and 4 async clones of the multiplier, 1 unit = 20 ms,
 * 8 items each, recorded from before deploy to the last pull. Writes
 *
 *   docs/images/concurrency-<clones>.svg   the concurrency diagram (toConcurrencySvg)
 *   docs/figures/trace-<clones>.json       the Chrome trace (toChromeTrace; open it in https://ui.perfetto.dev)
 *
 * Run from the repository root: npx tsx docs/figures/render.ts [--unit 20] [--items 8]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { toChromeTrace, toConcurrencySvg } from "@cellflow/core";
import { runOnce } from "../../examples/scaleup/main.js";

/** The same colour for a cell in every figure. */
const COLOURS = { source: "#4e79a7", multiplier: "#f28e2b", printer: "#59a14f" } as const;

const root = fileURLToPath(new URL("../..", import.meta.url));
const { values } = parseArgs({ options: { unit: { type: "string", default: "20" }, items: { type: "string", default: "8" } } });
const unitMs = Number(values.unit);
const items = Number(values.items);
mkdirSync(`${root}/docs/images`, { recursive: true });

for (const clones of [0, 1, 2, 4]) {
  const result = await runOnce(clones, unitMs, items, () => {});
  const events = result.events;
  const what = clones === 0 ? "no scalable cell" : `${clones} async clone${clones > 1 ? "s" : ""} of the multiplier`;
  const title = `${what}: ${result.measured.toFixed(2)} items per unit (theory ${result.theoretical.toFixed(2)})`;
  const svg = `${root}/docs/images/concurrency-${clones}.svg`;
  const trace = `${root}/docs/figures/trace-${clones}.json`;
  writeFileSync(svg, toConcurrencySvg(events, { unitMs, title, colours: COLOURS }));
  writeFileSync(trace, JSON.stringify(toChromeTrace(events, { processName: `scaleup, ${what}` })) + "\n");
  console.log(`${clones} clones: ${events.cellRuns.length} cell runs, ${events.cloneItems.length} clone items -> docs/images/concurrency-${clones}.svg, docs/figures/trace-${clones}.json`);
}
