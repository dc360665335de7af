/**
 * channel: the parent <-> clone call, comlink against the engine's typed messages.
 *
 * SPEC section 7 names comlink as the RPC candidate for thread clones. A clone call is
 * one request and one reply; this suite measures exactly that round trip both ways,
 * one call in flight (a single clone waiting for its item) and 16 in flight (several
 * managers), side by side. Evidence for the choice in scaling/channel/channel-clone.ts.
 */
import { Worker } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { compareInterleaved } from "../lib/compare.js";
import { round } from "../lib/stats.js";
import type { BenchLine, Suite, SuiteContext } from "../lib/suite.js";
import type { Op } from "../lib/timing.js";

const SUITE = "channel";

interface Echo {
  run(inputs: { input: number }): { output: number };
}

function typedChannel(worker: Worker): (inputs: { input: number }) => Promise<Record<string, unknown>> {
  let nextId = 1;
  const pending = new Map<number, (value: Record<string, unknown>) => void>();
  worker.on("message", (reply: { id: number; value: Record<string, unknown> }) => {
    const resolve = pending.get(reply.id)!;
    pending.delete(reply.id);
    resolve(reply.value);
  });
  return (inputs) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      worker.postMessage({ id, op: "run", inputs });
    });
}

function inFlight(call: (i: number) => Promise<unknown>, width: number): Op {
  let i = 0;
  if (width === 1) return () => call(i++);
  return () => Promise.all(Array.from({ length: width }, () => call(i++)));
}

async function* run(context: SuiteContext): AsyncGenerator<BenchLine> {
  const comlinkWorker = new Worker(new URL("../workers/comlink-echo.mjs", import.meta.url));
  const typedWorker = new Worker(new URL("../workers/typed-echo.mjs", import.meta.url));
  try {
    const remote = Comlink.wrap<Echo>(nodeEndpoint(comlinkWorker));
    const typed = typedChannel(typedWorker);
    for (const width of [1, 16]) {
      context.log(`round trips, ${width} in flight: typed messages vs comlink`);
      const result = await compareInterleaved(
        inFlight((i) => typed({ input: i }), width),
        inFlight((i) => remote.run({ input: i }) as Promise<unknown>, width),
        { rounds: context.rounds, roundMs: context.roundMs, warmupMs: context.warmupMs, itemsPerCall: width },
      );
      yield {
        suite: SUITE,
        case: `round trip, ${width} in flight: typed messages vs comlink`,
        itemsPerSecond: Math.round(result.subjectPerSecond),
        comlinkItemsPerSecond: Math.round(result.baselinePerSecond),
        typedToComlink: round(result.ratio, 3),
      };
    }
    remote[Comlink.releaseProxy]();
  } finally {
    await Promise.all([comlinkWorker.terminate(), typedWorker.terminate()]);
  }
}

export const channel: Suite = {
  name: SUITE,
  description: "parent<->clone round trip: the engine's typed messages vs comlink (evidence, not held)",
  run,
};
