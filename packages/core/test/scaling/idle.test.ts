/**
 * `ScalableCell.whenIdle()`: resolves once everything the cell does without another pull
 * is done (no clone starting, no input pull in flight, no item in a clone; every clone
 * waits for room), so tests count what eager filling did without a wall-clock guess.
 * Property: whatever the capacity, clone count, item and input delays and consumer pulls,
 * when it resolves the source's pull count is exactly the claimed-ahead count, and stays
 * so however long one waits after.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Connection, EndOfStreamError, Output, Pipeline, ScalableCell, SingleCell } from "@cellflow/core";
import { ScalableMath } from "../fixtures/thread-cells.js";
import { harness } from "../threads/harness.js";
import { Collector, Gate, line, scalableOf, sleep, workerClass, yields } from "./cells.js";

/** One macrotask turn. */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether `promise` settled after a few macrotask turns (a bounded look, not a wait for it). */
async function settlesSoon(promise: Promise<unknown>, turns = 5): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < turns && !settled; i++) await turn();
  return settled;
}

/** Delay code: 0–3 = that many microtask yields, 4–6 = a 1–3 ms timer. */
const wait = (code: number) => (code < 4 ? yields(code) : sleep(code - 3));

/** Emits 0, 1, 2, ... (`limit` values), each pull counted at its start and taking `delay(n)`. */
class SlowSource extends SingleCell {
  readonly output = new Output<number>(this, "output");
  counter = 0;
  pulls = 0;
  limit = Infinity;
  delay: (n: number) => Promise<void> = () => Promise.resolve();
  protected async onPull(): Promise<void> {
    this.pulls++;
    const n = this.counter++;
    await this.delay(n);
    this.output.setValue(n);
  }
  protected override remainingPulls(): number {
    return this.limit - this.counter;
  }
}

describe("whenIdle", () => {
  it("resolves once the queue is full, and again after each pull refills it", async () => {
    const { p, source, scalable, stats } = line((x) => x);
    scalable.queueCapacity.setValue(3);
    await scalable.scaleUp(2);
    await p.deploy();
    await scalable.whenIdle();
    expect(source.pulls).toBe(3);
    expect(stats.finished).toHaveLength(3);
    await p.pull();
    await scalable.whenIdle();
    expect(source.pulls).toBe(4);
    await sleep(5);
    expect(source.pulls).toBe(4);
    await p.undeploy();
  });

  it("resolves after the end of a finite stream, with what is left in the queue", async () => {
    const { p, source, scalable, sink } = line((x) => x, { limit: 3 });
    scalable.queueCapacity.setValue(6);
    await scalable.scaleUp(2);
    await p.deploy();
    await scalable.whenIdle();
    expect(source.pulls).toBe(3);
    expect(p.availablePulls()).toBe(3);
    for (let i = 0; i < 3; i++) await p.pull();
    await expect(p.pull()).rejects.toBeInstanceOf(EndOfStreamError);
    await scalable.whenIdle(); // past the end it fills only when pulled: nothing runs
    expect(sink.values).toEqual([0, 1, 2]);
    await p.undeploy();
  });

  it("waits for slow items: it resolves only once they are done", async () => {
    const { p, source, scalable, stats } = line(async (x) => {
      await sleep(10 + x);
      return x;
    });
    scalable.queueCapacity.setValue(4);
    await scalable.scaleUp(2);
    await p.deploy();
    await scalable.whenIdle();
    expect(stats.running).toBe(0);
    expect(stats.finished).toHaveLength(4);
    expect(source.pulls).toBe(4);
    await p.undeploy();
  });

  it("waits for slow input pulls", async () => {
    const p = new Pipeline(null, "p");
    const source = new SlowSource(p, "source");
    source.delay = () => sleep(5);
    const { Worker, stats } = workerClass();
    const scalable = new (scalableOf(Worker))(p, "scalable");
    new Connection(source.output, scalable.input);
    new Connection(scalable.output, new Collector(p, "sink").input);
    scalable.queueCapacity.setValue(3);
    await scalable.scaleUp(1);
    await p.deploy();
    await scalable.whenIdle();
    expect(source.pulls).toBe(3);
    expect(stats.finished).toHaveLength(3);
    await p.undeploy();
  });

  it("never resolves while an item waits on a gate; `whileWaiting` resolves once the rest is done", async () => {
    const gate = new Gate();
    const { p, source, scalable, stats } = line(async (x) => {
      await gate.wait();
      return x;
    });
    scalable.queueCapacity.setValue(5);
    await scalable.scaleUp(3);
    await p.deploy();
    const idle = scalable.whenIdle();
    await scalable.whenIdle({ whileWaiting: true });
    expect(stats.running).toBe(3); // one item per clone, waiting on the gate
    expect(source.pulls).toBe(3);
    expect(await settlesSoon(idle)).toBe(false);
    gate.open();
    await idle;
    expect(stats.running).toBe(0);
    expect(source.pulls).toBe(5);
    await p.undeploy();
  });

  it("resolves at once when there is nothing to run: not deployed, no clone, no scaling", async () => {
    const notDeployed = line();
    await notDeployed.scalable.scaleUp(1);
    await expect(notDeployed.scalable.whenIdle()).resolves.toBeUndefined();

    const noClone = line();
    await noClone.p.deploy();
    await noClone.scalable.whenIdle();
    expect(noClone.source.pulls).toBe(0);
    await noClone.p.undeploy();

    const inline = line();
    inline.scalable.scalingStrategy.setValue("no-scaling");
    await inline.scalable.scaleUp(2);
    await inline.p.deploy();
    await inline.scalable.whenIdle();
    expect(inline.source.pulls).toBe(0);
    await inline.p.undeploy();
  });

  it("waits for clones that are starting, and for a reset to be over", async () => {
    const { p, source, scalable } = line((x) => x);
    scalable.queueCapacity.setValue(2);
    await p.deploy();
    const starting = scalable.scaleUp(1); // not awaited
    await scalable.whenIdle();
    expect(source.pulls).toBe(2);
    await starting;
    await p.pull();
    const reset = p.reset(); // not awaited
    const idle = scalable.whenIdle();
    await reset;
    await idle;
    expect(source.pulls).toBe(3 + 2); // the reset dropped two queued items; the refill took two more
    await p.undeploy();
  });

  it("resolves when the cell is undeployed while someone waits", async () => {
    const gate = new Gate();
    const { p, scalable } = line(async (x) => {
      await gate.wait();
      return x;
    });
    scalable.stopGraceMs.setValue(20);
    await scalable.scaleUp(1);
    await p.deploy();
    const idle = scalable.whenIdle();
    expect(await settlesSoon(idle)).toBe(false);
    await p.undeploy(); // gives up on the gated item after the grace period
    await idle;
    gate.open();
  });

  it("works with thread clones", async () => {
    const { pipeline, source, scalable, sinks } = harness(ScalableMath, (i) => i, ["output"]);
    scalable.queueCapacity.setValue(4);
    scalable.scaleUp(2, "thread");
    await pipeline.deploy();
    try {
      await scalable.whenIdle();
      expect(source.pulls).toBe(4);
      for (let i = 0; i < 3; i++) await pipeline.pull();
      await scalable.whenIdle();
      expect(source.pulls).toBe(7);
      await sleep(20);
      expect(source.pulls).toBe(7);
      expect(sinks.output!.values).toEqual([0, 1, 2]);
    } finally {
      await pipeline.undeploy();
    }
  });
});

describe("ScalableCell.whenAllIdle", () => {
  it("waits until every scalable cell in a pipeline is idle at once", async () => {
    // source -> first -> second -> sink. The second's last claim takes an item from the
    // first after the first went idle, and the first refills (5 ms) after the second is
    // idle again: each was idle on its own, but not both at once until the refill is done.
    const firstWork = workerClass(async (x) => {
      await sleep(5);
      return x;
    });
    const secondWork = workerClass(async (x) => {
      if (x === 0) await sleep(15);
      return x;
    });
    const p = new Pipeline(null, "p");
    const source = new SlowSource(p, "source");
    const first = new (scalableOf(firstWork.Worker))(p, "first");
    const second = new (scalableOf(secondWork.Worker))(p, "second");
    const sink = new Collector(p, "sink");
    new Connection(source.output, first.input);
    new Connection(first.output, second.input);
    new Connection(second.output, sink.input);
    first.queueCapacity.setValue(3);
    second.queueCapacity.setValue(2);
    await first.scaleUp(2);
    await second.scaleUp(1);
    await p.deploy();
    await ScalableCell.whenAllIdle(p);
    // Idle together: the second holds 2 items, the first 3 more, all done.
    expect(source.pulls).toBe(5);
    expect(firstWork.stats.running).toBe(0);
    expect(firstWork.stats.finished).toHaveLength(5);
    expect(secondWork.stats.finished).toHaveLength(2);
    await p.pull();
    await ScalableCell.whenAllIdle(p);
    expect(source.pulls).toBe(6);
    expect(firstWork.stats.finished).toHaveLength(6);
    expect(sink.values).toEqual([0]);
    await p.undeploy();
  });
});

describe("whenIdle never resolves early (property)", () => {
  it("when it resolves, the source is ahead by the capacity (plus any stretch), and stays there", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
        async (clones, capacity, itemDelays, inputDelays, pulls, limit) => {
          const { Worker, stats } = workerClass(async (x) => {
            await wait(itemDelays[x % itemDelays.length]!);
            return x;
          });
          const p = new Pipeline(null, "p");
          const source = new SlowSource(p, "source");
          source.delay = (n) => wait(inputDelays[n % inputDelays.length]!);
          if (limit !== undefined) source.limit = limit;
          const scalable = new (scalableOf(Worker))(p, "scalable");
          const sink = new Collector(p, "sink");
          new Connection(source.output, scalable.input);
          new Connection(scalable.output, sink.input);
          if (capacity !== undefined) scalable.queueCapacity.setValue(capacity);
          await scalable.scaleUp(clones);
          await p.deploy();
          try {
            const consumed = Math.min(pulls, limit ?? Infinity);
            for (let i = 0; i < consumed; i++) await p.pull();
            await scalable.whenIdle();
            // "auto": two per async clone, at least two; and while a pull waited for a slow
            // head item, free clones may have run up to 16 per clone further ahead (SPEC 3.11,
            // the queue's stretch). A fixed capacity never stretches.
            const ahead = capacity ?? Math.max(2, 2 * clones);
            const stretch = capacity === undefined ? 16 * clones : 0;
            const least = Math.min(limit ?? Infinity, consumed + ahead);
            const most = Math.min(limit ?? Infinity, consumed + ahead + stretch);
            const expected = source.pulls;
            expect(expected).toBeGreaterThanOrEqual(least);
            expect(expected).toBeLessThanOrEqual(most);
            expect(stats.running).toBe(0);
            expect(stats.finished).toHaveLength(expected);
            // Nothing more happens, however long one waits: every delay is over by then.
            for (let i = 0; i < 3; i++) await turn();
            await sleep(5);
            expect(source.pulls).toBe(expected);
            expect(stats.finished).toHaveLength(expected);
            expect(sink.values).toEqual(Array.from({ length: consumed }, (_, i) => i));
          } finally {
            await p.undeploy();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
