/**
 * cpu: a CPU-bound cell (the Hasher of examples/scaling/cpu-threads.ts, WORK xorshift
 * rounds ≈ 10 ms per item) scaled with `thread` clones ×1 and ×2 on this 2-core
 * machine, against Piscina (2 threads) running the same function with an ordered window.
 * Held: speedup ×2 ÷ ×1 ≥ 1.85, and ×2 ÷ Piscina ≥ 0.95. The same with `process`
 * clones: their speedup is held to 1.85 too; their ratio to Piscina is reported.
 *
 * All sides run side by side in rounds (bench/scaling/runs.ts); each run starts idle
 * and ends at its last ordered result. The engine's sources are gated, so clones never
 * work in the background while another side is timed.
 */
import { performance } from "node:perf_hooks";
import { Piscina } from "piscina";
import type { CloneMethodName } from "@cellflow/core";
import { GatedPipeline, ScalableHash } from "../scaling/cells.js";
import hashTask from "../scaling/workers/hash-task.mjs";
import { interleaveRuns, orderedWindow, roundRatios, type RunSide } from "../scaling/runs.js";
import { round } from "../lib/stats.js";
import { held, type BenchLine, type Suite, type SuiteContext } from "../lib/suite.js";

const SUITE = "cpu";
const SPEEDUP_TARGET = 1.85;
const PISCINA_TARGET = 0.95;
/** Xorshift rounds per item: about 10 ms here, so a message round trip is ~0.5% of an item. */
const WORK = 6_000_000;
/** Items per timed run: 0.6 s for one clone, 0.3 s for two. */
const ITEMS = 60;
/** Piscina's ordered window: 2 tasks per thread, like the engine's auto queue capacity. */
const PISCINA_WINDOW = 4;
/** Seeds cycle through 1..SEEDS, so every result can be checked against a precomputed table. */
const SEEDS = 32;

const seedOf = (i: number) => (i % SEEDS) + 1;
const expected: number[] = [];

/** A gated pipeline with `clones` clones of `method`, as a timed side; tracks the main thread's busy share. */
type EngineSide = RunSide & { busy(): number; close(): Promise<void> };

async function engineSide(method: CloneMethodName, clones: number): Promise<EngineSide> {
  const pipeline = new GatedPipeline(ScalableHash, seedOf);
  pipeline.scalable.inner.work.setValue(WORK);
  pipeline.scalable.scaleUp(clones, method);
  let i = 0;
  pipeline.sink.onValue = (hash) => {
    if (hash !== expected[i % SEEDS]) {
      throw new Error(`cpu: ${method} ×${clones} item ${i} is ${hash}, expected ${expected[i % SEEDS]}`);
    }
    i++;
  };
  await pipeline.deploy();
  let idle = 0;
  let active = 0;
  return {
    name: `${method} ×${clones}`,
    items: ITEMS,
    async run(items) {
      const before = performance.eventLoopUtilization();
      pipeline.source.grant(items);
      for (let n = 0; n < items; n++) await pipeline.pull();
      const used = performance.eventLoopUtilization(before);
      idle += used.idle;
      active += used.active;
    },
    busy: () => active / (active + idle),
    async close() {
      pipeline.source.open();
      await pipeline.undeploy();
    },
  };
}

function piscinaSide(pool: Piscina): RunSide {
  let base = 0;
  return {
    name: "piscina",
    items: ITEMS,
    async run(items) {
      const first = base;
      base += items;
      await orderedWindow(
        items,
        PISCINA_WINDOW,
        (i) => pool.run({ seed: seedOf(first + i), work: WORK }) as Promise<number>,
        (hash, i) => {
          if (hash !== expected[(first + i) % SEEDS]) throw new Error(`cpu: piscina item ${first + i} is ${hash}`);
        },
      );
    },
  };
}

async function* run(context: SuiteContext): AsyncGenerator<BenchLine> {
  context.log(`precomputing ${SEEDS} hashes of ${WORK} rounds`);
  const start = performance.now();
  for (let s = 1; s <= SEEDS; s++) expected.push(hashTask({ seed: s, work: WORK }));
  const itemMs = (performance.now() - start) / SEEDS;

  const pool = new Piscina({
    filename: new URL("../scaling/workers/hash-task.mjs", import.meta.url).href,
    minThreads: 2,
    maxThreads: 2,
  });
  const engines: EngineSide[] = [];
  try {
    for (const method of ["thread", "process"] as const) {
      for (const clones of [1, 2]) engines.push(await engineSide(method, clones));
    }
    const piscina = piscinaSide(pool);
    const sides: RunSide[] = [...engines, piscina];
    context.log(`${sides.map((s) => s.name).join(", ")}: ${context.rounds} rounds of ${ITEMS} items (~${itemMs.toFixed(1)} ms each)`);
    const rates = await interleaveRuns(sides, context.rounds, 1);
    const rate = (name: string) => Math.round(rates.median[name]! * 10) / 10;

    for (const method of ["thread", "process"] as const) {
      const one = `${method} ×1`;
      const two = `${method} ×2`;
      const speedup = roundRatios(rates, two, one);
      yield held(
        {
          suite: SUITE,
          case: `${method} clones ×2 vs ×1: speedup`,
          itemsPerSecond: rate(two),
          oneCloneItemsPerSecond: rate(one),
          itemMs: round(itemMs, 3),
          mainThreadBusy: round(engines.find((e) => e.name === two)!.busy(), 3),
          rounds: context.rounds,
          ratios: speedup.ratios.map((r) => round(r, 3)),
        },
        round(speedup.ratio, 3),
        SPEEDUP_TARGET,
      );
      const vsPiscina = roundRatios(rates, two, "piscina");
      const line = {
        suite: SUITE,
        case: `${method} clones ×2 vs piscina 2 threads (ordered window ${PISCINA_WINDOW})`,
        itemsPerSecond: rate(two),
        piscinaItemsPerSecond: rate("piscina"),
        rounds: context.rounds,
        ratios: vsPiscina.ratios.map((r) => round(r, 3)),
      };
      // Piscina runs threads; the process figure is reported for reference, not held.
      yield method === "thread"
        ? held(line, round(vsPiscina.ratio, 3), PISCINA_TARGET)
        : { ...line, toPiscina: round(vsPiscina.ratio, 3) };
    }
  } finally {
    for (const engine of engines) await engine.close();
    await pool.destroy();
  }
}

export const cpu: Suite = {
  name: SUITE,
  description: "a ~10 ms CPU-bound cell with thread/process clones ×1 and ×2 vs Piscina (2 threads)",
  run,
};
