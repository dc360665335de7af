/**
 * SPEC 2.10 through a scalable cell — a finite source ends the stream: every value before
 * the end comes out in order, pulling past the end throws EndOfStreamError (every time,
 * never a hang), and `for await` over the pipeline ends.
 */
import { describe, expect, it } from "vitest";
import { Connection, EndOfStreamError, Output, Pipeline, SingleCell } from "@cellflow/core";
import { withinDeadline } from "../helpers.js";
import { Collector, line, pullEach, scalableOf, sleep, workerClass, yields } from "./cells.js";

const uneven = async (x: number) => {
  await (x % 3 === 0 ? sleep(1) : yields(x % 4));
  return x + 100;
};

describe("finite streams through a scalable cell", () => {
  for (const clones of [1, 4]) {
    it(`pulling past the end throws EndOfStreamError, never hangs (${clones} clone(s))`, async () => {
      const { p, scalable, sink } = line(uneven, { limit: 7 });
      await scalable.scaleUp(clones);
      await p.deploy();
      const outcomes = await withinDeadline(pullEach(p, 10));
      expect(outcomes.slice(0, 7).every((o) => o === undefined)).toBe(true);
      for (const o of outcomes.slice(7)) expect(o).toBeInstanceOf(EndOfStreamError);
      expect((outcomes[7] as EndOfStreamError).cellPath).toBe("p.source"); // the cell whose stream ended
      expect(sink.values).toEqual([100, 101, 102, 103, 104, 105, 106]);
      await p.undeploy();
    });
  }

  it("for await over the pipeline yields once per value and ends", async () => {
    const { p, scalable, sink } = line(uneven, { limit: 9 });
    await scalable.scaleUp(3);
    await p.deploy();
    let iterations = 0;
    await withinDeadline(
      (async () => {
        for await (const _ of p) iterations++;
      })(),
    );
    expect(iterations).toBe(9);
    expect(sink.values).toEqual(Array.from({ length: 9 }, (_, i) => i + 100));
    await p.undeploy();
  });

  it("the pipeline knows how many pulls are left, counting what the queue holds", async () => {
    const { p, source, scalable } = line(uneven, { limit: 5 });
    await scalable.scaleUp(2);
    await p.deploy();
    expect(p.availablePulls()).toBe(5);
    await p.pull();
    await p.pull();
    // Eager filling moves the rest from the source into the queue, and finds the end.
    await scalable.whenIdle();
    expect(p.availablePulls()).toBe(3);
    for (let left = 2; left >= 0; left--) {
      await p.pull();
      expect(p.availablePulls()).toBe(left);
    }
    await p.undeploy();
  });

  it("counts each value once while a slow source is being pulled by a clone manager", async () => {
    class SlowSource extends SingleCell {
      readonly output = new Output<number>(this, "output");
      n = 0;
      protected async onPull(): Promise<void> {
        await sleep(3);
        this.output.setValue(this.n++);
      }
      protected override remainingPulls(): number {
        return 4 - this.n;
      }
    }
    const { Worker } = workerClass((x) => x);
    const Scalable = scalableOf(Worker);
    const p = new Pipeline(null, "p");
    const source = new SlowSource(p, "source");
    const scalable = new Scalable(p, "scalable");
    const sink = new Collector(p, "sink");
    new Connection(source.output, scalable.input);
    new Connection(scalable.output, sink.input);
    await scalable.scaleUp(1);
    await p.deploy();
    const seen = new Set<number>();
    for (let i = 0; i < 40 && source.n < 4; i++) {
      seen.add(p.availablePulls()); // sampled while the manager waits on the source
      await sleep(1);
    }
    expect([...seen].every((n) => n <= 4)).toBe(true);
    for (let i = 0; i < 4; i++) await p.pull();
    expect(sink.values).toEqual([0, 1, 2, 3]);
    expect(p.availablePulls()).toBe(0);
    await expect(p.pull()).rejects.toBeInstanceOf(EndOfStreamError);
    await p.undeploy();
  });

  it("an empty stream ends at the first pull", async () => {
    const { p, scalable } = line(uneven, { limit: 0 });
    await scalable.scaleUp(2);
    await p.deploy();
    await expect(withinDeadline(p.pull())).rejects.toBeInstanceOf(EndOfStreamError);
    let iterations = 0;
    for await (const _ of p) iterations++;
    expect(iterations).toBe(0);
    await p.undeploy();
  });
});
