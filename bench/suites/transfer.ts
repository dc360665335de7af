/**
 * transfer: 8 MB Float64Arrays through one `thread` clone whose cell touches one
 * element and returns the array, with `transferBuffers` on (the buffer moves, zero
 * copy, both ways), against a raw worker `postMessage` ping-pong that transfers the
 * buffer both ways. Held to ratio ≥ 0.9. The same with `transferBuffers` off (the
 * array is copied both ways) against a raw copying ping-pong, for reference.
 *
 * The engine's source hands out arrays from a pool that its sink refills, so neither
 * side allocates 8 MB per item; the raw loop ping-pongs one array.
 */
import { Worker } from "node:worker_threads";
import { GatedPipeline, ScalableTouch } from "../scaling/cells.js";
import { interleaveRuns, roundRatios, type RunSide } from "../scaling/runs.js";
import { round } from "../lib/stats.js";
import { held, type BenchLine, type Suite, type SuiteContext } from "../lib/suite.js";

const SUITE = "transfer";
const TARGET = 0.9;
const BYTES = 8 * 1024 * 1024;
const LENGTH = BYTES / Float64Array.BYTES_PER_ELEMENT;
/** Items per timed run: a transfer is cheap, a copy of 8 MB both ways is not. */
const TRANSFER_ITEMS = 5000;
const COPY_ITEMS = 30;

type Side = RunSide & { close(): Promise<void> };

async function engineSide(transfer: boolean): Promise<Side> {
  const pool: Float64Array[] = [];
  const pipeline = new GatedPipeline(ScalableTouch, () => pool.pop() ?? new Float64Array(LENGTH));
  pipeline.scalable.transferBuffers.setValue(transfer);
  pipeline.scalable.scaleUp(1, "thread");
  pipeline.sink.onValue = (array) => {
    if (array.length !== LENGTH) throw new Error(`transfer: the engine delivered ${array.length} elements`);
    pool.push(array);
  };
  await pipeline.deploy();
  return {
    name: `engine ${transfer ? "transfer" : "copy"}`,
    items: transfer ? TRANSFER_ITEMS : COPY_ITEMS,
    async run(items) {
      pipeline.source.grant(items);
      for (let i = 0; i < items; i++) await pipeline.pull();
    },
    async close() {
      pipeline.source.open();
      await pipeline.undeploy();
    },
  };
}

function rawSide(transfer: boolean): Side {
  const worker = new Worker(new URL("../scaling/workers/transfer-echo.mjs", import.meta.url));
  let array = new Float64Array(LENGTH);
  let failure: unknown = null;
  let resolve: ((array: Float64Array<ArrayBuffer>) => void) | null = null;
  worker.on("message", (echoed: Float64Array<ArrayBuffer>) => {
    const settle = resolve!;
    resolve = null;
    settle(echoed);
  });
  worker.on("error", (error) => (failure = error));
  const roundTrip = () =>
    new Promise<Float64Array<ArrayBuffer>>((settle) => {
      resolve = settle;
      worker.postMessage({ array, transfer }, transfer ? [array.buffer] : []);
    });
  return {
    name: `raw ${transfer ? "transfer" : "copy"}`,
    items: transfer ? TRANSFER_ITEMS : COPY_ITEMS,
    async run(items) {
      for (let i = 0; i < items; i++) array = await roundTrip();
      if (failure !== null) throw failure;
      if (array.length !== LENGTH) throw new Error(`transfer: the raw loop got ${array.length} elements`);
    },
    close: async () => void (await worker.terminate()),
  };
}

async function* run(context: SuiteContext): AsyncGenerator<BenchLine> {
  const sides: Side[] = [];
  try {
    sides.push(await engineSide(true), rawSide(true), await engineSide(false), rawSide(false));
    context.log(`${sides.map((s) => s.name).join(", ")}: ${context.rounds} rounds`);
    const rates = await interleaveRuns(sides, context.rounds, 1);
    const rate = (name: string) => Math.round(rates.median[name]!);

    const moved = roundRatios(rates, "engine transfer", "raw transfer");
    yield held(
      {
        suite: SUITE,
        case: "8 MB Float64Array through 1 thread clone, transferBuffers=true, vs raw postMessage ping-pong with transfer",
        itemsPerSecond: rate("engine transfer"),
        rawItemsPerSecond: rate("raw transfer"),
        megabytes: BYTES / 2 ** 20,
        rounds: context.rounds,
        ratios: moved.ratios.map((r) => round(r, 3)),
      },
      round(moved.ratio, 3),
      TARGET,
    );
    const copied = roundRatios(rates, "engine copy", "raw copy");
    yield {
      suite: SUITE,
      case: "8 MB Float64Array through 1 thread clone, transferBuffers=false (copy), vs raw copying ping-pong",
      itemsPerSecond: Math.round(rates.median["engine copy"]! * 10) / 10,
      rawItemsPerSecond: Math.round(rates.median["raw copy"]! * 10) / 10,
      toRaw: round(copied.ratio, 3),
      transferOverCopy: round(rates.median["engine transfer"]! / rates.median["engine copy"]!, 3),
      megabytes: BYTES / 2 ** 20,
      rounds: context.rounds,
    };
  } finally {
    for (const side of sides) await side.close();
  }
}

export const transfer: Suite = {
  name: SUITE,
  description: "8 MB Float64Arrays through a thread clone with transfer vs a raw postMessage ping-pong",
  run,
};
