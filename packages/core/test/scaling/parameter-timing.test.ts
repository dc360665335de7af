/**
 * SPEC 2.6 + 3 (issue #8, item 6) — when a runtime parameter change reaches a scaled cell.
 * The rule: a change of a parameter of the inner cell (or anything inside it) applies to
 * every item claimed after it (its inputs pulled from upstream), on every clone; items
 * claimed before run with the values in force at their claim. The values are read once
 * the item's inputs are in, in the same synchronous step when nothing upstream waited.
 *
 * To know each claim's moment exactly, the source (synchronous) records, in its own
 * `onPull`, the value the test last set: that is the value the item must run with.
 * Results are therefore monotone in ticket (= output) order: an item never sees an older
 * value than an earlier one.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Connection, Output, Pipeline, SingleCell } from "@cellflow/core";
import { Collector, scalableOf, sleep, workerClass, yields, type Work } from "./cells.js";

/** The value the test set last (a plain variable, so the source can read it synchronously). */
interface Knob {
  value: number;
}

/** Emits 0, 1, 2, ... synchronously, recording for each the knob's value at its pull. */
class ClaimRecorder extends SingleCell {
  readonly output = new Output<number>(this, "output");
  knob: Knob = { value: 1 }; // the worker's default factor
  /** The knob's value when item i was pulled. */
  readonly seen: number[] = [];
  /** Called at the end of each pull, after the value is set (an optional hook for a test). */
  afterPull: ((item: number) => void) | null = null;
  protected onPull(): void {
    const item = this.seen.length;
    this.seen.push(this.knob.value);
    this.output.setValue(item);
    this.afterPull?.(item);
  }
}

/** What the worker makes of item x under parameter value v: both readable from the result. */
const encode = (x: number, v: number) => x * 1000 + v;
const valueOf = (result: number) => result % 1000;

/** The worker: reads `factor` (the parameter under test) after its delay, at the end of the item. */
function stamping(delay: (x: number) => Promise<void> | void): Work {
  return async (x, self) => {
    await delay(x);
    return encode(x, await self.factor.pull());
  };
}

/** Delay code: 0–3 = that many microtask yields, 4–6 = a 1–3 ms timer. */
const wait = (code: number) => (code < 4 ? yields(code) : sleep(code - 3));

type Kind = "unscaled" | "no-scaling" | "queue";

/** `source -> worker -> sink`, the worker scaled (kind "queue", "no-scaling") or a plain cell. */
function build(kind: Kind, work: Work, options: { clones?: number; capacity?: number } = {}) {
  const { Worker, stats } = workerClass(work);
  const p = new Pipeline(null, "p");
  const source = new ClaimRecorder(p, "source");
  const sink = new Collector(p, "sink");
  if (kind === "unscaled") {
    const worker = new Worker(p, "worker");
    new Connection(source.output, worker.input);
    new Connection(worker.output, sink.input);
    return { p, source, sink, stats, template: worker, scalable: null };
  }
  const scalable = new (scalableOf(Worker))(p, "scalable");
  new Connection(source.output, scalable.input);
  new Connection(scalable.output, sink.input);
  if (kind === "no-scaling") scalable.scalingStrategy.setValue("no-scaling");
  if (options.capacity !== undefined) scalable.queueCapacity.setValue(options.capacity);
  void scalable.scaleUp(options.clones ?? 1);
  return { p, source, sink, stats, template: scalable.worker, scalable };
}

/** Sets the parameter on the template and the knob together, in one synchronous step. */
function setter(template: { factor: { setValue(v: number): void } }, knob: Knob) {
  return (value: number) => {
    knob.value = value;
    template.factor.setValue(value);
  };
}

/**
 * The rule, checked on delivered results: each equals the worker applied with the value
 * its source pull saw; values never go back in output order; and every item claimed after
 * a set (pulled from the source later) has that set's value or a newer one.
 */
function expectClaimTimeValues(results: number[], seen: number[], sets: ReadonlyArray<{ atPull: number; value: number }>) {
  const got = results.map(valueOf);
  expect(results.map((r) => Math.floor(r / 1000))).toEqual(results.map((_, i) => i));
  expect(got).toEqual(seen.slice(0, results.length));
  for (let i = 1; i < got.length; i++) expect(got[i]!, `item ${i} after ${i - 1}`).toBeGreaterThanOrEqual(got[i - 1]!);
  for (const { atPull, value } of sets) {
    for (let i = atPull; i < got.length; i++) expect(got[i]!, `item ${i}, claimed after setting ${value}`).toBeGreaterThanOrEqual(value);
  }
}

describe("a parameter change applies to every item claimed after it", () => {
  it("property: async clones, random clones, delays, capacity, scaling and sets: each item has its claim's value", async () => {
    let prefetchedAcrossSet = 0; // sets made while items claimed before them were not delivered yet
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 12 }),
        fc.array(
          fc.oneof(
            { weight: 4, arbitrary: fc.constant<{ op: "pull" }>({ op: "pull" }) },
            { weight: 2, arbitrary: fc.record({ op: fc.constant<"set">("set"), pace: fc.integer({ min: 0, max: 5 }) }) },
            // Clones that start later, and clones that leave (their claims go to others).
            { weight: 1, arbitrary: fc.record({ op: fc.constant<"scale">("scale"), up: fc.boolean() }) },
          ),
          { minLength: 1, maxLength: 30 },
        ),
        async (clones, capacity, delays, ops) => {
          const line = build("queue", stamping((x) => wait(delays[x % delays.length]!)), { clones, capacity });
          const { p, source, sink } = line;
          const set = setter(line.template, source.knob);
          const sets: Array<{ atPull: number; value: number }> = [];
          let value = 1;
          const scaling: Promise<void>[] = [];
          await p.deploy();
          try {
            let pulls = 0;
            for (const op of ops) {
              if (op.op === "pull") {
                await p.pull();
                pulls++;
              } else if (op.op === "scale") {
                if (op.up) scaling.push(line.scalable!.scaleUp(1));
                else if (line.scalable!.cloneCount > 1) scaling.push(line.scalable!.scaleDown(1));
              } else {
                // Set at a random moment relative to the background claims.
                await wait(op.pace);
                set(++value);
                sets.push({ atPull: source.seen.length, value });
                if (source.seen.length > pulls) prefetchedAcrossSet++;
              }
            }
            for (let i = 0; i < 4; i++, pulls++) await p.pull(); // the items claimed after the last sets
            await Promise.all(scaling);
            expect(sink.values).toHaveLength(pulls);
            expectClaimTimeValues(sink.values, source.seen, sets);
          } finally {
            await p.undeploy();
          }
        },
      ),
      { numRuns: 60 },
    );
    // The property was exercised: sets did land while items claimed before them waited.
    expect(prefetchedAcrossSet).toBeGreaterThan(0);
  });

  it("deterministic: unscaled, no-scaling and one clone with capacity 1, sets between pulls and during a claim", async () => {
    // Sets between pulls wait until the scaled cell's queue is idle (its one prefetched item
    // done). Unscaled and no-scaling pull the source within each pipeline pull, so such a
    // set applies from the next pull; one clone with capacity 1 has claimed exactly one
    // item ahead, so it applies from the pull after next. `{ during }` makes the source's
    // next pull queue the set in a microtask: the item is claimed with the old value, and
    // the set lands before its clone starts it, so it runs with the old value; the unscaled
    // worker, which reads its parameter after its input, sees the new one (the one place
    // where reading the values at the claim differs from reading them in the cell).
    type Step = "pull" | number | { readonly during: number };
    const script: Step[] = ["pull", "pull", 5, "pull", "pull", "pull", 6, 7, "pull", { during: 9 }, "pull", "pull", 10, "pull", "pull", "pull"];
    const runs: Record<Kind, number[]> = { unscaled: [], "no-scaling": [], queue: [] };
    for (const kind of ["unscaled", "no-scaling", "queue"] as const) {
      const line = build(kind, stamping(() => undefined), { clones: 1, capacity: 1 });
      const { p, source, sink, stats } = line;
      const set = setter(line.template, source.knob);
      await p.deploy();
      try {
        for (const step of script) {
          if (step === "pull") {
            await p.pull();
            continue;
          }
          // Idle: the clone finished the item claimed ahead of the last pull and the queue
          // is full (capacity 1), so nothing is claimed until the next pull.
          if (kind === "queue") await idle(() => source.seen.length === sink.values.length + 1 && stats.finished.length === source.seen.length);
          if (typeof step === "number") {
            set(step);
            continue;
          }
          source.afterPull = () => {
            source.afterPull = null;
            queueMicrotask(() => set(step.during));
          };
        }
        runs[kind] = sink.values.map(valueOf);
        if (kind !== "unscaled") expectClaimTimeValues(sink.values, source.seen, []);
      } finally {
        await p.undeploy();
      }
    }
    expect(runs.unscaled).toEqual([1, 1, 5, 5, 5, 7, 9, 9, 10, 10, 10]);
    expect(runs["no-scaling"]).toEqual([1, 1, 5, 5, 5, 7, 7, 9, 10, 10, 10]);
    expect(runs.queue).toEqual([1, 1, 1, 5, 5, 5, 7, 7, 9, 10, 10]);
  });
});

/** Waits until `condition` holds, one macrotask turn at a time (the engine works in microtasks in between). */
async function idle(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}
