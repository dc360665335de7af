/**
 * overhead: what the engine costs when the cells do no work.
 *
 * - The 3-cell example (source -> multiplier -> printer that stores instead of printing)
 *   against a hand-written async chain of the same three functions. Held to ratio ≥ 0.33,
 *   the median over 9 fresh processes (bench/workers/overhead-process.ts; see
 *   lib/fresh-processes.ts for why).
 * - The per-cell pull lock: async-mutex's `Mutex.runExclusive` against the engine's
 *   `Serializer`, alone (uncontended, contended) and as the lock of the 3-cell pipeline.
 *   Evidence for SPEC section 7 ("async-mutex where it earns its place"); not held.
 */
import { Connection, InputPort, OutputPort, Pipeline, ScalableCell, type Cell, type CompositeCell } from "@cellflow/core";
import { Mutex } from "async-mutex";
import { MultiplierCell, MyPipeline, PrinterCell, SourceCell } from "../../examples/basics/three-cells.js";
import { Serializer } from "../../packages/core/src/util/serializer.js";
import * as internal from "../../packages/core/src/cells/internal-members.js";
import { compareInterleaved, type CompareOptions, type Comparison } from "../lib/compare.js";
import { heldAcrossProcesses, inFreshProcesses } from "../lib/fresh-processes.js";
import { round } from "../lib/stats.js";
import type { BenchLine, Suite, SuiteContext } from "../lib/suite.js";
import type { Op } from "../lib/timing.js";

const SUITE = "overhead";
const PIPELINE_TARGET = 0.33;
/** Callers queued on one lock at once in the contended lock case. */
const CONTENDERS = 8;

// ---- the two sides of the held comparison ------------------------------------------------

/** The 3-cell example, deployed, with a printer that stores instead of printing. */
export async function deployedThreeCells(): Promise<{ pipeline: MyPipeline; pull: Op }> {
  const pipeline = new MyPipeline(null, "overhead");
  const stored = { value: 0 };
  pipeline.printer.print = (value) => {
    stored.value = value;
  };
  await pipeline.deploy();
  return { pipeline, pull: () => pipeline.pull() };
}

/** The same three functions, chained by hand: what the pipeline would be without an engine. */
export function handWrittenChain(): Op {
  let counter = 0;
  const stored = { value: 0 };
  const source = (): [number, number] => {
    const c = counter++;
    return [c, c % 2 === 0 ? 1 : -1];
  };
  const multiply = async (a: number, b: number): Promise<number> => a * b;
  const sink = async (x: number): Promise<void> => {
    stored.value = x;
  };
  // One awaited call per item, like `await pipeline.pull()` on the other side.
  return async () => {
    const [a, b] = source();
    await sink(await multiply(a, b));
  };
}

function compareOptions(context: SuiteContext, itemsPerCall = 1): CompareOptions {
  return { rounds: context.rounds, roundMs: context.roundMs, warmupMs: context.warmupMs, itemsPerCall };
}

async function* pipelineVsChain(context: SuiteContext): AsyncGenerator<BenchLine> {
  const worker = new URL("../workers/overhead-process.ts", import.meta.url);
  const runs = await inFreshProcesses<Comparison>(worker, [], context, "3-cell pipeline vs hand-written chain");
  const line = { suite: SUITE, case: "3-cell pipeline vs hand-written async chain", rounds: context.rounds, roundMs: context.roundMs };
  yield heldAcrossProcesses(line, runs, PIPELINE_TARGET);
}

// ---- lock: async-mutex vs Serializer -----------------------------------------------------

/** A lock as the engine uses one: run a task exclusively, hand back its result. */
interface Lock {
  run(task: () => Promise<void>): Promise<void> | void;
}

const serializerLock = (): Lock => {
  const serializer = new Serializer();
  return { run: (task) => serializer.run(task) };
};

const mutexLock = (): Lock => {
  const mutex = new Mutex();
  return { run: (task) => mutex.runExclusive(task) };
};

/** What a pulled cell does under its lock: an async onPull with nothing to wait for. */
const asyncTask = async (): Promise<void> => {};

const uncontended = (lock: Lock): Op => async () => {
  await lock.run(asyncTask);
};

const contended = (lock: Lock): Op => () => {
  const runs: Array<Promise<void> | void> = [];
  for (let i = 0; i < CONTENDERS; i++) runs.push(lock.run(asyncTask));
  return Promise.all(runs);
};

/** Swaps every cell's pull lock for an async-mutex Mutex: what the engine would be with it. */
function useMutexAsPullLock(cell: Cell): void {
  const mutex = new Mutex();
  // The engine keys its pull path by symbol (a user's field can't replace it); the bench may.
  const internals = cell as unknown as Record<symbol, () => unknown>;
  const pullOnce = internals[internal.pullOnce]!.bind(cell);
  internals[internal.pullInternal] = () => mutex.runExclusive(async () => pullOnce());
  for (const child of (cell as { children?: Cell[] }).children ?? []) useMutexAsPullLock(child);
}

function lockLine(name: string, mutexPerSecond: number, serializerPerSecond: number, ratio: number): BenchLine {
  return {
    suite: SUITE,
    case: `lock: async-mutex vs Serializer (${name})`,
    itemsPerSecond: Math.round(mutexPerSecond),
    serializerItemsPerSecond: Math.round(serializerPerSecond),
    mutexToSerializer: round(ratio, 3),
  };
}

async function* lockCases(context: SuiteContext): AsyncGenerator<BenchLine> {
  context.log("lock: uncontended");
  let r = await compareInterleaved(uncontended(mutexLock()), uncontended(serializerLock()), compareOptions(context));
  yield lockLine("uncontended, async task", r.subjectPerSecond, r.baselinePerSecond, r.ratio);

  context.log(`lock: contended by ${CONTENDERS}`);
  r = await compareInterleaved(contended(mutexLock()), contended(serializerLock()), compareOptions(context, CONTENDERS));
  yield lockLine(`${CONTENDERS} contenders, async task`, r.subjectPerSecond, r.baselinePerSecond, r.ratio);

  context.log("lock: as the pull lock of the 3-cell pipeline");
  const withMutex = await deployedThreeCells();
  const withSerializer = await deployedThreeCells();
  useMutexAsPullLock(withMutex.pipeline);
  try {
    r = await compareInterleaved(withMutex.pull, withSerializer.pull, compareOptions(context));
    yield lockLine("pull lock of the 3-cell pipeline", r.subjectPerSecond, r.baselinePerSecond, r.ratio);
  } finally {
    await withMutex.pipeline.undeploy();
    await withSerializer.pipeline.undeploy();
  }
}

// ---- scalable-cell cases -----------------------------------------------------------------

/** The example's multiplier inside a scalable cell. */
class ScalableMultiplier extends ScalableCell {
  readonly multiplier = new MultiplierCell(this, "multiplier");
  readonly inputA = new InputPort<number>(this, "input_a");
  readonly inputB = new InputPort<number>(this, "input_b");
  readonly output = new OutputPort<number>(this, "output");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.inputA, this.multiplier.inputA);
    new Connection(this.inputB, this.multiplier.inputB);
    new Connection(this.multiplier.output, this.output);
  }
}

/** The 3-cell example with the multiplier scaled up: the queue, managers and clone host on every item. */
class ScaledThreeCells extends Pipeline {
  readonly source = new SourceCell(this, "source");
  readonly scalable = new ScalableMultiplier(this, "scalable_multiplier");
  readonly printer = new PrinterCell(this, "printer");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output1, this.scalable.inputA);
    new Connection(this.source.output2, this.scalable.inputB);
    new Connection(this.scalable.output, this.printer.input);
  }
}

async function* scalableCases(context: SuiteContext): AsyncGenerator<BenchLine> {
  for (const clones of [1, 2]) {
    context.log(`3-cell pipeline through a scalable cell, ${clones} async clone(s), vs the plain pipeline`);
    const scaled = new ScaledThreeCells(null, "scaled");
    scaled.printer.print = () => {};
    scaled.scalable.scaleUp(clones);
    await scaled.deploy();
    const plain = await deployedThreeCells();
    try {
      const r = await compareInterleaved(() => scaled.pull(), plain.pull, compareOptions(context));
      yield {
        suite: SUITE,
        case: `3-cell pipeline, multiplier in a scalable cell with ${clones} async clone${clones > 1 ? "s" : ""}, vs plain pipeline`,
        itemsPerSecond: Math.round(r.subjectPerSecond),
        plainItemsPerSecond: Math.round(r.baselinePerSecond),
        toPlain: round(r.ratio, 3),
      };
    } finally {
      await scaled.undeploy();
      await plain.pipeline.undeploy();
    }
  }
}

// ---- the suite ---------------------------------------------------------------------------

export const overhead: Suite = {
  name: SUITE,
  description: "pulls/s of the 3-cell example with no work vs a hand-written async chain; pull-lock cost",
  async *run(context) {
    yield* pipelineVsChain(context);
    yield* lockCases(context);
    yield* scalableCases(context);
  },
};
