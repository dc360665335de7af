/**
 * tiny: items/s of a trivial cell (x + 1) through 2 `thread` clones, in order, against
 * Piscina (2 threads) running the same function with an ordered in-flight window: keep
 * W tasks submitted, consume the results in submission order. Piscina is scanned first
 * over W and over its `concurrentTasksPerWorker` (1 is its default; more lets it post
 * several tasks to a busy worker, which more than doubles its rate on tiny tasks), and
 * the engine is compared side by side with the best configuration. Held to ratio ≥ 2.
 *
 * Both sides start every run idle (the engine's source is gated, so its clones don't
 * fill the queue in the background while Piscina runs) and end at the last result.
 */
import { Piscina } from "piscina";
import { GatedPipeline, ScalableIncrement } from "../scaling/cells.js";
import { interleaveRuns, orderedWindow, roundRatios, timeRun, type RunSide } from "../scaling/runs.js";
import { round } from "../lib/stats.js";
import { held, type BenchLine, type Suite, type SuiteContext } from "../lib/suite.js";

const SUITE = "tiny";
const TARGET = 2;
const THREADS = 2;
/** Items per timed run of each side. */
const ENGINE_ITEMS = 60_000;
const PISCINA_ITEMS = 15_000;
/** The Piscina windows tried: from 2 per thread up, well past where it stops gaining. */
const WINDOWS = [4, 16, 64, 256];
/** Piscina's `concurrentTasksPerWorker` values tried (1 is its default). */
const CONCURRENCY = [1, 4, 16];

function engineSide(pipeline: GatedPipeline<number, ScalableIncrement>): RunSide {
  let expected = 1; // item i is i + 1; checking every value checks order and exactly-once
  pipeline.sink.onValue = (value) => {
    if (value !== expected) throw new Error(`tiny: engine delivered ${value}, expected ${expected}`);
    expected++;
  };
  return {
    name: "engine",
    items: ENGINE_ITEMS,
    async run(items) {
      pipeline.source.grant(items);
      for (let i = 0; i < items; i++) await pipeline.pull();
    },
  };
}

function piscinaSide(pool: Piscina, window: number, concurrency: number): RunSide {
  let base = 0;
  return {
    name: `piscina W=${window} concurrentTasksPerWorker=${concurrency}`,
    items: PISCINA_ITEMS,
    async run(items) {
      const first = base;
      base += items;
      await orderedWindow(
        items,
        window,
        (i) => pool.run(first + i) as Promise<number>,
        (result, i) => {
          if (result !== first + i + 1) throw new Error(`tiny: piscina returned ${result} for ${first + i}`);
        },
      );
    },
  };
}

function piscinaPool(concurrency: number): Piscina {
  return new Piscina({
    filename: new URL("../scaling/workers/tiny-task.mjs", import.meta.url).href,
    minThreads: THREADS,
    maxThreads: THREADS,
    concurrentTasksPerWorker: concurrency,
  });
}

/** Best of 3 runs (after a warm-up) for every W and concurrentTasksPerWorker. */
interface PiscinaBest {
  readonly window: number;
  readonly concurrency: number;
  readonly rate: number;
}

async function scanPiscina(context: SuiteContext): Promise<{ best: PiscinaBest; grid: Record<string, number> }> {
  const grid: Record<string, number> = {};
  let best: PiscinaBest = { window: 0, concurrency: 0, rate: 0 };
  for (const concurrency of CONCURRENCY) {
    context.log(`piscina concurrentTasksPerWorker=${concurrency}: ordered window W in ${WINDOWS.join(", ")}`);
    const pool = piscinaPool(concurrency);
    try {
      for (const window of WINDOWS) {
        const side = piscinaSide(pool, window, concurrency);
        await side.run(side.items); // warm-up
        let rate = 0;
        for (let i = 0; i < 3; i++) rate = Math.max(rate, await timeRun(side));
        grid[`W=${window},c=${concurrency}`] = Math.round(rate);
        if (rate > best.rate) best = { window, concurrency, rate };
      }
    } finally {
      await pool.destroy();
    }
  }
  return { best, grid };
}

async function* run(context: SuiteContext): AsyncGenerator<BenchLine> {
  const { best, grid } = await scanPiscina(context);
  yield {
    suite: SUITE,
    case: `piscina ${THREADS} threads, ordered window: scan of W and concurrentTasksPerWorker (best of 3 runs each)`,
    itemsPerSecond: Math.round(best.rate),
    bestWindow: best.window,
    bestConcurrentTasksPerWorker: best.concurrency,
    grid,
  };

  const pipeline = new GatedPipeline(ScalableIncrement, (i: number) => i);
  pipeline.scalable.scaleUp(THREADS, "thread");
  const pool = piscinaPool(best.concurrency);
  try {
    await pipeline.deploy();
    const engine = engineSide(pipeline);
    const piscina = piscinaSide(pool, best.window, best.concurrency);
    context.log(`engine (${THREADS} thread clones) vs ${piscina.name}, ${context.rounds} rounds`);
    const rates = await interleaveRuns([engine, piscina], context.rounds, 2);
    const { ratio, ratios } = roundRatios(rates, engine.name, piscina.name);
    yield held(
      {
        suite: SUITE,
        case: `x+1 through ${THREADS} thread clones, ordered, vs piscina ${THREADS} threads with its best ordered window`,
        itemsPerSecond: Math.round(rates.median[engine.name]!),
        piscinaItemsPerSecond: Math.round(rates.median[piscina.name]!),
        piscinaWindow: best.window,
        piscinaConcurrentTasksPerWorker: best.concurrency,
        rounds: context.rounds,
        ratios: ratios.map((r) => round(r, 3)),
      },
      round(ratio, 3),
      TARGET,
    );
  } finally {
    pipeline.source.open();
    await pipeline.undeploy();
    await pool.destroy();
  }
}

export const tiny: Suite = {
  name: SUITE,
  description: "items/s of x+1 through 2 thread clones, ordered, vs Piscina (2 threads) with its best ordered window",
  run,
};
