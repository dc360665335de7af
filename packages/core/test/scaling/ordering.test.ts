/**
 * SPEC 3.3 — serialized input pulls and an ordered output queue: outputs leave a scalable
 * cell in input order however uneven its clones are. Property: random per-item delays
 * (microtask yields and 1–3 ms timers), 1–5 clones, random queue capacity, random
 * consumer pacing; the sink sees exactly f(0), f(1), ... and the source is never pulled
 * concurrently.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Connection, Output, Pipeline, SingleCell } from "@cellflow/core";
import { Collector, scalableOf, sleep, workerClass, yields } from "./cells.js";

/** A counter source that records whether two of its pulls ever overlapped. */
class CheckedSource extends SingleCell {
  readonly output = new Output<number>(this, "output");
  counter = 0;
  running = 0;
  overlapped = false;
  protected async onPull(): Promise<void> {
    this.running++;
    if (this.running > 1) this.overlapped = true;
    await yields(1);
    this.output.setValue(this.counter++);
    this.running--;
  }
}

/** Delay code: 0–3 = that many microtask yields, 4–6 = a 1–3 ms timer. */
const wait = (code: number) => (code < 4 ? yields(code) : sleep(code - 3));

describe("ordered output queue (property)", () => {
  it("outputs leave in input order whatever the clone delays, clone count and capacity", async () => {
    let overtakes = 0; // runs in which some clone finished before an older item's clone
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.option(fc.integer({ min: 1, max: 8 }), { nil: undefined }),
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 20 }),
        fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 5 }),
        async (clones, capacity, delays, consumerPace) => {
          const { Worker, stats } = workerClass(async (x) => {
            await wait(delays[x % delays.length]!);
            return 3 * x + 1;
          });
          const Scalable = scalableOf(Worker);
          const p = new Pipeline(null, "p");
          const source = new CheckedSource(p, "source");
          const scalable = new Scalable(p, "scalable");
          const sink = new Collector(p, "sink");
          new Connection(source.output, scalable.input);
          new Connection(scalable.output, sink.input);
          if (capacity !== undefined) scalable.queueCapacity.setValue(capacity);
          await scalable.scaleUp(clones);
          await p.deploy();
          try {
            for (let i = 0; i < delays.length; i++) {
              await p.pull();
              await wait(consumerPace[i % consumerPace.length]!);
            }
            expect(sink.values).toEqual(delays.map((_, i) => 3 * i + 1));
            expect(source.overlapped).toBe(false);
            if (stats.finished.some((x, i) => i > 0 && x < stats.finished[i - 1]!)) overtakes++;
          } finally {
            await p.undeploy();
          }
        },
      ),
      { numRuns: 40 },
    );
    // The property was exercised: in some runs clones really finished out of order.
    expect(overtakes).toBeGreaterThan(0);
  });

  it("a fast clone's later item waits for a slow clone's earlier one", async () => {
    // Item 0 takes long, items 1.. are instant: with 3 clones they finish first but
    // must not leave first.
    const { Worker, stats } = workerClass(async (x) => {
      if (x === 0) await sleep(15);
      return x;
    });
    const Scalable = scalableOf(Worker);
    const p = new Pipeline(null, "p");
    const source = new CheckedSource(p, "source");
    const scalable = new Scalable(p, "scalable");
    const sink = new Collector(p, "sink");
    new Connection(source.output, scalable.input);
    new Connection(scalable.output, sink.input);
    await scalable.scaleUp(3);
    await p.deploy();
    for (let i = 0; i < 6; i++) await p.pull();
    expect(stats.finished.indexOf(0)).toBeGreaterThan(stats.finished.indexOf(1));
    expect(sink.values).toEqual([0, 1, 2, 3, 4, 5]);
    await p.undeploy();
  });
});
