/**
 * scaleup: the seed's scale-up example (source 1 unit, multiplier 4, printer 2) with
 * 10 / 40 / 20 ms units, run with the multiplier unscaled (0 clones) and scaled up to
 * 1, 2 and 4 async clones. Each line holds measured ÷ theoretical throughput (1/70,
 * 1/50, 2/50 and 1/20 items per ms) to ≥ 0.97.
 *
 * Steady state: each run pulls ITEMS items and times from the completion of item SKIP
 * to the completion of the last, so starting up (the first items, which also wait for
 * the queue to fill) does not count; the median of REPEATS runs is held.
 */
import { PlainPipeline, ScaledPipeline } from "../../examples/scaleup/cells.js";
import { median, round } from "../lib/stats.js";
import { held, type BenchLine, type Suite, type SuiteContext } from "../lib/suite.js";

const SUITE = "scaleup";
const TARGET = 0.97;
const UNIT_MS = 10;
const ITEMS = 40;
/** Timing starts at the completion of this item (1-based). */
const SKIP = 2;
const REPEATS = 3;
const CLONES = [0, 1, 2, 4] as const;

/**
 * Items per ms the seed's analysis predicts: 1/7 per unit unscaled; clones overlap
 * source + multiplier (clones/5 per unit); the printer caps it at 1/2 per unit.
 */
function theoreticalPerMs(clones: number): number {
  const perUnit = clones === 0 ? 1 / 7 : Math.min(clones / 5, 1 / 2);
  return perUnit / UNIT_MS;
}

/** One run: items per ms in steady state, and whether the values came out in order. */
async function steadyRun(clones: number): Promise<{ perMs: number; ordered: boolean }> {
  await using pipeline = clones === 0 ? new PlainPipeline(null, "scaleup") : new ScaledPipeline(null, "scaleup");
  pipeline.setUnit(UNIT_MS);
  if (pipeline instanceof ScaledPipeline) pipeline.scalableMultiplier.scaleUp(clones, "async");
  const values: number[] = [];
  pipeline.printer.onValue = (value) => values.push(value);
  await pipeline.deploy();
  let from = 0;
  for (let i = 1; i <= ITEMS; i++) {
    await pipeline.pull();
    if (i === SKIP) from = performance.now();
  }
  const perMs = (ITEMS - SKIP) / (performance.now() - from);
  // The source emits c and ±1 alternately, so item c is c * (c even ? 1 : -1).
  const ordered = values.length === ITEMS && values.every((v, c) => v === c * (c % 2 === 0 ? 1 : -1));
  return { perMs, ordered };
}

async function* run(context: SuiteContext): AsyncGenerator<BenchLine> {
  for (const clones of CLONES) {
    context.log(`${clones === 0 ? "no scalable cell" : `${clones} async clone(s)`}: ${REPEATS} runs of ${ITEMS} items`);
    const runs: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      const { perMs, ordered } = await steadyRun(clones);
      if (!ordered) throw new Error(`scaleup: values out of order with ${clones} clone(s)`);
      runs.push(perMs);
    }
    const measured = median(runs);
    const theoretical = theoreticalPerMs(clones);
    yield held(
      {
        suite: SUITE,
        case: clones === 0 ? "10/40/20 ms, no scalable cell" : `10/40/20 ms, ${clones} async clone${clones > 1 ? "s" : ""}`,
        clones,
        itemsPerSecond: round(measured * 1000, 4),
        theoreticalItemsPerSecond: round(theoretical * 1000, 4),
        items: ITEMS,
        timedFromItem: SKIP,
        runs: runs.map((r) => round(r / theoretical, 4)),
      },
      round(measured / theoretical, 4),
      TARGET,
    );
  }
}

export const scaleup: Suite = {
  name: SUITE,
  description: "the 10/40/20 ms scale-up example with 0, 1, 2, 4 async clones: measured ÷ theoretical throughput",
  run,
};
