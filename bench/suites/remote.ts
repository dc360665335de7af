/**
 * remote: SPEC 8 — items/s through remote clones (`@cellflow/bullmq`, 2 `cellflow worker`
 * processes on this machine, ordered) vs a hand-rolled ordered map over bare BullMQ
 * workers (2 processes, bench/remote/bare-worker.mjs, one job per item, an in-flight
 * window of 256, results in order through QueueEvents), each side at its best of the
 * concurrencies tried. Tiny items (x + 1): held ≥ 3 (one job per item is the baseline's
 * cost; batching queue slots into jobs is the engine's edge). ~1 ms CPU-bound items:
 * held ≥ 0.9, with items/s ÷ what 2 cores allow reported for both sides.
 *
 * One redis-server on a free loopback port for the whole suite; sides measured one after
 * the other, RUNS times alternating, median per side.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { remote } from "@cellflow/bullmq";
import { RemoteBenchPipeline } from "../remote/remote-cells.js";
import { startRedis, type RedisServer } from "../../packages/bullmq/test/redis-server.js";
import { startWorker, type WorkerProcess } from "../../packages/bullmq/test/workers.js";
import { median, round } from "../lib/stats.js";
import { held, type BenchLine, type Suite, type SuiteContext } from "../lib/suite.js";

const SUITE = "remote";
const WINDOW = 256;
const RUNS = 3;
const cells = fileURLToPath(new URL("../remote/remote-cells.ts", import.meta.url));
const bareWorker = fileURLToPath(new URL("../remote/bare-worker.mjs", import.meta.url));

interface Case {
  readonly name: string;
  readonly cpuMs: number;
  readonly items: number;
  readonly target: number;
}

const CASES: readonly Case[] = [
  { name: "tiny items (x + 1)", cpuMs: 0, items: 4000, target: 3 },
  { name: "~1 ms CPU-bound items", cpuMs: 1, items: 1500, target: 0.9 },
];

let queues = 0;
const fresh = (prefix: string) => `${prefix}-${queues++}`;

/** cellflow: a scalable cell with `clones` remote clones, served by 2 workers at `concurrency`. */
async function cellflowSide(redis: RedisServer, c: Case, clones: number, concurrency: number): Promise<number> {
  const queue = fresh("cellflow");
  const workers = await Promise.all(
    [0, 1].map(() => startWorker(["--module", cells, "--redis", redis.url, "--queue", queue, "--concurrency", String(concurrency)])),
  );
  try {
    const pipeline = new RemoteBenchPipeline(null, "remote_bench");
    pipeline.items.item.cpuMs.setValue(c.cpuMs);
    pipeline.items.scaleUp(clones, remote({ redis: redis.url, queue }));
    await pipeline.deploy();
    try {
      const warm = Math.floor(c.items / 10);
      for (let i = 0; i < warm; i++) await pipeline.pull();
      const started = performance.now();
      for (let i = warm; i < c.items; i++) {
        const { result } = await pipeline.pull();
        if (result !== i + 1) throw new Error(`remote: item ${i} gave ${result}`);
      }
      return ((c.items - warm) * 1000) / (performance.now() - started);
    } finally {
      await pipeline.undeploy();
    }
  } finally {
    await stopAll(workers);
  }
}

/** The baseline: one job per item, at most WINDOW in flight, taken in order. */
async function bareSide(redis: RedisServer, c: Case, concurrency: number): Promise<number> {
  const queueName = fresh("bare");
  const workers = await Promise.all([0, 1].map(() => startBare(redis.url, queueName, concurrency)));
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(queueName, { connection, skipVersionCheck: true });
  // From the stream's start: with the default ("$", from now), completions that happen
  // before its first read are missed and the ordered wait never ends.
  const events = new QueueEvents(queueName, { connection: { host: "127.0.0.1", port: redis.port }, skipVersionCheck: true, lastEventId: "0-0" });
  await events.waitUntilReady();
  const done = new Map<string, number>();
  let wake: (() => void) | null = null;
  events.on("completed", ({ jobId, returnvalue }) => {
    done.set(jobId, Number(returnvalue));
    wake?.();
  });
  try {
    let sent = 0;
    const send = () => queue.add("item", { x: sent, cpuMs: c.cpuMs }, { jobId: `${queueName}-${sent++}`, removeOnComplete: true });
    const warm = Math.floor(c.items / 10);
    let started = 0;
    const pending: Promise<unknown>[] = [];
    while (sent < Math.min(WINDOW, c.items)) pending.push(send());
    await Promise.all(pending);
    for (let i = 0; i < c.items; i++) {
      if (i === warm) started = performance.now();
      const id = `${queueName}-${i}`;
      while (!done.has(id)) await new Promise<void>((resolve) => (wake = resolve));
      const result = done.get(id)!;
      done.delete(id);
      if (result !== i + 1) throw new Error(`bare: item ${i} gave ${result}`);
      if (sent < c.items) await send();
    }
    return ((c.items - warm) * 1000) / (performance.now() - started);
  } finally {
    await events.close();
    await queue.close();
    connection.disconnect();
    await stopAll(workers);
  }
}

async function startBare(url: string, queue: string, concurrency: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [bareWorker, url, queue, String(concurrency)], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("serving") && resolve());
    child.once("exit", (code) => reject(new Error(`bare worker exited with ${code}`)));
  });
  return child;
}

async function stopAll(workers: Array<WorkerProcess | ChildProcess>): Promise<void> {
  await Promise.all(
    workers.map((w) =>
      "stop" in w
        ? w.stop()
        : new Promise<void>((resolve) => {
            if (w.exitCode !== null) return resolve();
            w.once("exit", () => resolve());
            w.kill("SIGTERM");
          }),
    ),
  );
}

async function* lines(context: SuiteContext): AsyncGenerator<BenchLine> {
  const redis = await startRedis();
  try {
    for (const c of CASES) {
      // Each side at its best: clones × worker concurrency for cellflow, job concurrency for the baseline.
      const cellflowSetups = c.cpuMs === 0 ? [[2, 1], [4, 2]] : [[2, 1], [4, 1]];
      const bareSetups = c.cpuMs === 0 ? [16, 64] : [1, 4];
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let r = 0; r < RUNS; r++) {
        context.log(`${c.name}: run ${r + 1}/${RUNS}`);
        let best = 0;
        for (const [clones, concurrency] of cellflowSetups) best = Math.max(best, await cellflowSide(redis, c, clones!, concurrency!));
        ours.push(best);
        let bestBare = 0;
        for (const concurrency of bareSetups) bestBare = Math.max(bestBare, await bareSide(redis, c, concurrency));
        theirs.push(bestBare);
      }
      const mine = median(ours);
      const bare = median(theirs);
      const limit = c.cpuMs > 0 ? 2000 / c.cpuMs : undefined;
      yield held(
        {
          suite: SUITE,
          case: `${c.name} through 2 remote workers, ordered, vs bare BullMQ (window ${WINDOW})`,
          itemsPerSecond: round(mine, 4),
          bareItemsPerSecond: round(bare, 4),
          ...(limit !== undefined ? { toTwoCores: round(mine / limit, 3), bareToTwoCores: round(bare / limit, 3) } : {}),
          runs: ours.map((v, i) => round(v / theirs[i]!, 3)),
        },
        round(mine / bare, 3),
        c.target,
      );
    }
  } finally {
    await redis.stop();
  }
}

export const remoteSuite: Suite = {
  name: SUITE,
  description: "items/s through remote clones on 2 worker processes vs an ordered map over bare BullMQ workers",
  run: lines,
};
