/**
 * Pipelining (issue #10): a clone handle that declares `batchesInFlight` > 1 (remote
 * clones do) gets up to that many batches out at once. A fake clone method holds the
 * batches it is given and the test completes them in an order fast-check picks, in
 * chunks, out of order across batches; parameter changes come between pulls. Each item
 * leaves once and in order, with the parameter values of its claim; values are applied
 * only while no batch is out; several batches really were out at once; a crash with
 * several batches out is handled once and loses nothing.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Connection, Output, Pipeline, SingleCell, type CloneCrashEvent } from "@cellflow/core";
import {
  createLocalClone,
  registerCloneMethod,
  type CloneHandle,
  type CloneRecipe,
  type ItemResult,
} from "@cellflow/core/clone-methods";
import { CloneCrashedError } from "../../src/errors/runtime-errors.js";
import { Collector, scalableOf, workerClass } from "./cells.js";

/** A batch a pipelined clone holds until the test runs it. */
interface HeldBatch {
  readonly owner: PipelinedClone;
  readonly inputs: readonly Readonly<Record<string, unknown>>[];
  readonly onResults: (results: ItemResult[]) => void;
  readonly resolve: (ms: number) => void;
  readonly reject: (error: unknown) => void;
  /** The local clone that runs this batch's items (one per batch out: they run side by side). */
  readonly runner: CloneHandle;
  /** Order of sending, per clone. */
  readonly seq: number;
  next: number;
}

/** Every batch out to any pipelined clone, oldest first. */
const held: HeldBatch[] = [];
let wakeDriver: (() => void) | null = null;
/** Settings of the next clones made (per test run). */
const settings = { depth: 3, perItemMs: 1 };
/** Batches that ended while an older batch of the same clone was still out. */
let endedAhead = 0;

/** Resolves once a batch is out (at once if one is). */
function batchOut(): Promise<void> {
  if (held.length > 0) return Promise.resolve();
  return new Promise((resolve) => (wakeDriver = resolve));
}

class PipelinedClone implements CloneHandle {
  readonly method = "pipelined";
  readonly batchesInFlight = settings.depth;
  /** With `perItemMs` reported per item, the window is batchTargetMs ÷ perItemMs items. */
  readonly batchTargetMs = 10;
  readonly #perItemMs = settings.perItemMs;
  readonly #runners: CloneHandle[];
  readonly #free: CloneHandle[] = [];
  /** Batches out now, the most at once, and values applied while a batch was out. */
  out = 0;
  maxOut = 0;
  #sent = 0;
  appliedWhileOut = 0;
  /** Died (`crash`), and the batches sent after that (each fails at once). */
  dead = false;
  sentAfterDeath = 0;
  static readonly made: PipelinedClone[] = [];

  constructor(recipe: CloneRecipe) {
    this.#runners = Array.from({ length: this.batchesInFlight }, () => createLocalClone(recipe));
    PipelinedClone.made.push(this);
  }

  async deploy(): Promise<void> {
    for (const runner of this.#runners) await runner.deploy();
    this.#free.push(...this.#runners);
  }

  async run(): Promise<Record<string, unknown>> {
    throw new Error("a pipelined clone gets batches only");
  }

  runBatch(inputs: readonly Readonly<Record<string, unknown>>[], onResults: (results: ItemResult[]) => void): Promise<number> {
    if (this.dead) {
      this.sentAfterDeath++;
      return Promise.reject(new CloneCrashedError("p.scalable", this.method, "dead"));
    }
    const runner = this.#free.pop();
    if (runner === undefined) throw new Error(`more than ${this.batchesInFlight} batches out`);
    this.out++;
    this.maxOut = Math.max(this.maxOut, this.out);
    return new Promise<number>((resolve, reject) => {
      held.push({ owner: this, inputs, onResults, resolve, reject, runner, seq: this.#sent++, next: 0 });
      const wake = wakeDriver;
      wakeDriver = null;
      wake?.();
    });
  }

  /** Runs the next `count` items of `batch` (at least one), handing their results over; ends the batch after its last. */
  async advance(batch: HeldBatch, count: number): Promise<void> {
    const results: ItemResult[] = [];
    const end = Math.min(batch.inputs.length, batch.next + Math.max(1, count));
    for (; batch.next < end; batch.next++) {
      try {
        results.push({ outputs: await batch.runner.run(batch.inputs[batch.next]!) });
      } catch (error) {
        results.push({ error });
      }
    }
    batch.onResults(results);
    if (batch.next === batch.inputs.length) this.#end(batch, () => batch.resolve(batch.inputs.length * this.#perItemMs));
  }

  /** The clone dies: every batch it has out fails with CloneCrashedError. */
  crash(): void {
    this.dead = true;
    for (const batch of held.filter((b) => b.owner === this)) {
      this.#end(batch, () => batch.reject(new CloneCrashedError("p.scalable", this.method, "killed by the test")));
    }
  }

  #end(batch: HeldBatch, settle: () => void): void {
    held.splice(held.indexOf(batch), 1);
    if (held.some((b) => b.owner === this && b.seq < batch.seq)) endedAhead++;
    this.#free.push(batch.runner);
    this.out--;
    settle();
  }

  async applyParameters(parameters: Parameters<CloneHandle["applyParameters"]>[0]): Promise<void> {
    if (this.out > 0) this.appliedWhileOut++;
    for (const runner of this.#runners) await runner.applyParameters(parameters);
  }

  async reset(): Promise<void> {
    for (const runner of this.#runners) await runner.reset();
  }

  async undeploy(): Promise<void> {
    for (const runner of this.#runners) await runner.undeploy();
  }
}

registerCloneMethod({ name: "pipelined", create: (recipe) => new PipelinedClone(recipe) });

/** Emits 0, 1, 2, ... synchronously, recording for each the parameter value the test last set (what the item must run with). */
class ClaimRecorder extends SingleCell {
  readonly output = new Output<number>(this, "output");
  knob = 1; // the worker's default factor
  readonly seen: number[] = [];
  protected onPull(): void {
    this.seen.push(this.knob);
    this.output.setValue(this.seen.length - 1);
  }
}

const encode = (x: number, v: number) => x * 1000 + v;

function build(clones: number) {
  const { Worker, stats } = workerClass(async (x, self) => encode(x, await self.factor.pull()));
  const Scalable = scalableOf(Worker);
  const p = new Pipeline(null, "p");
  const source = new ClaimRecorder(p, "source");
  const scalable = new Scalable(p, "scalable");
  const sink = new Collector(p, "sink");
  new Connection(source.output, scalable.input);
  new Connection(scalable.output, sink.input);
  scalable.scaleUp(clones, "pipelined");
  return { p, source, scalable, sink, stats, template: scalable.worker };
}

/** Runs held batches until `done()`: each step advances the batch `pick` chooses by `count` items. */
async function drive(steps: readonly { pick: number; count: number }[], done: () => boolean): Promise<void> {
  for (let i = 0; !done(); i++) {
    await batchOut();
    if (done()) return;
    const step = steps[i % steps.length]!;
    const batch = held[step.pick % held.length]!;
    await batch.owner.advance(batch, step.count);
  }
}

describe("clones with several batches in flight (batchesInFlight > 1)", () => {
  it("every item leaves once, in order, with its claim's parameter values, whatever order the batches finish in", async () => {
    let pipelined = 0; // runs in which a clone had more than one batch out
    let outOfOrder = 0; // runs in which a later batch of a clone ended before an earlier one
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.constantFrom(10, 5, 3.4, 2.5), // windows of 1, 2, 3, 4 items
        fc.integer({ min: 5, max: 40 }),
        fc.array(fc.record({ pick: fc.nat(8), count: fc.integer({ min: 1, max: 3 }) }), { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: 0, max: 40 }), { maxLength: 3 }),
        async (depth, clones, perItemMs, pulls, steps, changesAt) => {
          settings.depth = depth;
          settings.perItemMs = perItemMs;
          PipelinedClone.made.length = 0;
          const ahead = endedAhead;
          const { p, source, sink, template } = build(clones);
          await p.deploy();
          let finished = false;
          const driver = drive(steps, () => finished);
          try {
            for (let i = 0; i < pulls; i++) {
              const k = changesAt.indexOf(i);
              if (k >= 0) {
                source.knob = 2 + k;
                template.factor.setValue(2 + k);
              }
              await p.pull();
            }
          } finally {
            await p.undeploy(); // lets the batches out finish: the driver runs them
            finished = true;
            wakeDriver?.();
            await driver;
          }
          expect(sink.values).toEqual(Array.from({ length: pulls }, (_, x) => encode(x, source.seen[x]!)));
          for (const clone of PipelinedClone.made) {
            expect(clone.appliedWhileOut).toBe(0);
            expect(clone.out).toBe(0);
            expect(clone.maxOut).toBeLessThanOrEqual(depth);
          }
          if (PipelinedClone.made.some((c) => c.maxOut > 1)) pipelined++;
          if (endedAhead > ahead) outOfOrder++;
        },
      ),
      { numRuns: 60 },
    );
    expect(held).toEqual([]);
    expect(pipelined).toBeGreaterThan(0);
    expect(outOfOrder).toBeGreaterThan(0);
  });

  it("a clone that dies with several batches out is reported once; the items without results run again, in order, once", async () => {
    settings.depth = 3;
    settings.perItemMs = 5; // windows of 2
    PipelinedClone.made.length = 0;
    const { p, source, sink, scalable, stats } = build(1);
    const crashes: CloneCrashEvent[] = [];
    scalable.events.on("cloneCrashed", (e) => crashes.push(e));
    await p.deploy();
    let finished = false;
    try {
      // Wait until the clone has all three batches out (eager filling), then finish a part of the second.
      while (held.length < 3) await new Promise<void>((resolve) => (wakeDriver = resolve));
      const first = PipelinedClone.made[0]!;
      expect(first.out).toBe(3);
      await first.advance(held[1]!, 1);
      // Its place is taken by the next batch (the window grew to 2); then the clone dies with three out.
      while (held.length < 3) await new Promise<void>((resolve) => (wakeDriver = resolve));
      first.crash();
      // The replacement runs the rest: one at a time (they crashed a clone), then batches again.
      const driver = drive([{ pick: 0, count: 1 }], () => finished);
      for (let i = 0; i < 20; i++) await p.pull();
      expect(sink.values).toEqual(Array.from({ length: 20 }, (_, x) => encode(x, 1)));
      expect(crashes).toHaveLength(1);
      expect(crashes[0]).toMatchObject({ method: "pipelined", replaced: true, retried: true });
      expect(PipelinedClone.made).toHaveLength(2);
      expect(first.sentAfterDeath).toBe(0); // once one batch came back crashed, nothing more went to it
      await p.undeploy();
      finished = true;
      wakeDriver?.();
      await driver;
    } finally {
      finished = true;
      if (p.isDeployed) await p.undeploy();
    }
    // Nothing ran twice: the batches held when the clone died had not run, the item that had gave its result.
    const runs = stats.instances.flatMap((i) => i.seen);
    expect(new Set(runs).size).toBe(runs.length);
    for (let x = 0; x < 20; x++) expect(runs).toContain(x);
    expect(source.seen.length).toBeGreaterThanOrEqual(20);
  });
});
