/**
 * slow-clone: SPEC 3.11, "a slow clone never holds the rest back". A scalable cell with
 * four clones, one of them 10× slower than the other three (100 vs 10 ms per item),
 * pulled as fast as it delivers: async clones (items that wait on a timer), thread
 * clones (items that block their thread, as CPU work would), and remote clones on four
 * `cellflow worker` processes of which one is 10× slower (a real redis-server). Held, per method: items
 * delivered per second ÷ the summed rates of the clones, ≥ 0.95. Each clone's rate is
 * measured, not assumed: the items it ran ÷ the time it spent on them.
 *
 * Side by side in the same run, the same async cell with queueCapacity fixed at 8 (what
 * "auto" allowed four clones before it could grow): there the slow clone's item blocks
 * the head of the queue while the fast clones, their items done, wait for room.
 */
import type { CloneMethodName } from "@cellflow/core";
import { fileURLToPath } from "node:url";
import { remote } from "@cellflow/bullmq";
import { UnevenPipeline, type UnevenItem } from "../scaling/uneven-cells.js";
import { startRedis } from "../../packages/bullmq/test/redis-server.js";
import { startWorker } from "../../packages/bullmq/test/workers.js";
import { round } from "../lib/stats.js";
import { held, type BenchLine, type Suite, type SuiteContext } from "../lib/suite.js";

const SUITE = "slow-clone";
const TARGET = 0.95;
const FAST_MS = 10;
const SLOW_MS = 100;
const CLONES = 4;
/** Steady state: timed from the completion of item SKIP to that of the last. */
const ITEMS = 1300;
const SKIP = 100;

interface Run {
  readonly perSecond: number;
  readonly summedRates: number;
  readonly cloneRates: number[];
}

async function run(method: CloneMethodName, capacity: number | "auto"): Promise<Run> {
  await using pipeline = new UnevenPipeline(null, "slow_clone");
  const inner = pipeline.scaled.uneven;
  inner.numbering.setValue(new SharedArrayBuffer(4));
  inner.fastMs.setValue(FAST_MS);
  inner.slowMs.setValue(SLOW_MS);
  inner.waitBy.setValue(method === "async" ? "timer" : "block");
  pipeline.scaled.queueCapacity.setValue(capacity);
  pipeline.scaled.scaleUp(CLONES, method);
  await pipeline.deploy();
  return await measure(pipeline); // awaited here: \`await using\` undeploys when this returns
}

/**
 * Pulls ITEMS items in steady state (timed from item SKIP), checking their order, and
 * each clone's (or worker's) rate from the items it ran and its busy time.
 */
async function measure(pipeline: { pull(): Promise<{ item: UnevenItem }> }): Promise<Run> {
  const clones = new Map<number, { items: number; busyMs: number }>();
  let from = 0;
  for (let i = 0; i < ITEMS; i++) {
    const { item } = await pipeline.pull();
    if (item.x !== i) throw new Error(`slow-clone: item ${item.x} arrived as the ${i}th`);
    const stats = clones.get(item.clone) ?? { items: 0, busyMs: 0 };
    stats.items++;
    stats.busyMs += item.busyMs;
    clones.set(item.clone, stats);
    if (i + 1 === SKIP) from = performance.now();
  }
  const perSecond = ((ITEMS - SKIP) * 1000) / (performance.now() - from);
  const cloneRates = [...clones.values()].map((c) => (c.items * 1000) / c.busyMs).sort((a, b) => a - b);
  return { perSecond, summedRates: cloneRates.reduce((a, b) => a + b, 0), cloneRates };
}

const unevenCells = fileURLToPath(new URL("../scaling/uneven-cells.ts", import.meta.url));

/** Four remote worker processes (one 10× slower, by its environment), four remote clones. */
async function remoteRun(): Promise<Run> {
  const redis = await startRedis();
  const workers = await Promise.all(
    [SLOW_MS, FAST_MS, FAST_MS, FAST_MS].map((ms) =>
      startWorker(["--module", unevenCells, "--redis", redis.url, "--queue", "uneven"], { ...process.env, UNEVEN_ITEM_MS: String(ms) }),
    ),
  );
  try {
    await using pipeline = new UnevenPipeline(null, "slow_clone");
    pipeline.scaled.uneven.waitBy.setValue("block"); // each worker's time comes from its environment
    pipeline.scaled.scaleUp(CLONES, remote({ redis: redis.url, queue: "uneven" }));
    await pipeline.deploy();
    return await measure(pipeline);
  } finally {
    for (const w of workers) await w.stop();
    await redis.stop();
  }
}

function figures(r: Run) {
  return {
    itemsPerSecond: round(r.perSecond, 4),
    summedCloneRates: round(r.summedRates, 4),
    cloneRates: r.cloneRates.map((rate) => round(rate, 3)),
  };
}

async function* lines(context: SuiteContext): AsyncGenerator<BenchLine> {
  for (const method of ["async", "thread"] as const) {
    context.log(`${CLONES} ${method} clones, one ${SLOW_MS} ms per item, three ${FAST_MS} ms (queueCapacity "auto")`);
    const r = await run(method, "auto");
    yield held(
      {
        suite: SUITE,
        case: `${CLONES} ${method} clones, one 10× slower (${SLOW_MS} vs ${FAST_MS} ms), queueCapacity "auto"`,
        ...figures(r),
        items: ITEMS - SKIP,
      },
      round(r.perSecond / r.summedRates, 3),
      TARGET,
    );
  }
  context.log(`${CLONES} remote clones on 4 worker processes, one ${SLOW_MS} ms per item, three ${FAST_MS} ms`);
  const r = await remoteRun();
  yield held(
    {
      suite: SUITE,
      case: `4 remote workers (one per clone's worth), one 10× slower (${SLOW_MS} vs ${FAST_MS} ms), queueCapacity "auto"`,
      ...figures(r),
      items: ITEMS - SKIP,
    },
    round(r.perSecond / r.summedRates, 3),
    TARGET,
  );
  context.log(`the same ${CLONES} async clones with queueCapacity fixed at 8`);
  const fixed = await run("async", 8);
  yield {
    suite: SUITE,
    case: "4 async clones, one 10× slower, queueCapacity fixed at 8 (no room to grow)",
    ...figures(fixed),
    toSummedRates: round(fixed.perSecond / fixed.summedRates, 3),
  };
}

export const slowClone: Suite = {
  name: SUITE,
  description: "a scalable cell with one clone 10× slower than three others: delivered ÷ summed clone rates",
  run: lines,
};
