/**
 * SPEC 2.10 + 3 — reset() of a deployed pipeline with a scalable cell starts over from
 * the first value: queued and in-flight items are dropped, clones reset, and the stream
 * runs again as after deploy — also while the clone managers are busy pulling a slow
 * source in the background.
 */
import { describe, expect, it } from "vitest";
import { Connection, EndOfStreamError, Output, Pipeline, SingleCell } from "@cellflow/core";
import { withinDeadline } from "../helpers.js";
import { Collector, line, scalableOf, sleep, workerClass, yields } from "./cells.js";

describe("reset with a scalable cell", () => {
  it("starts over from the first value, dropping what was queued", async () => {
    const { p, source, scalable, sink } = line(async (x) => {
      await (x % 3 === 0 ? sleep(1) : yields(x % 4));
      return x * 2;
    });
    await scalable.scaleUp(3);
    await p.deploy();
    for (let i = 0; i < 7; i++) await p.pull();
    await scalable.whenIdle(); // the queue is full of items 7..
    await withinDeadline(p.reset());
    expect(sink.values).toEqual([]); // the collector reset too
    for (let i = 0; i < 7; i++) await p.pull();
    expect(sink.values).toEqual([0, 2, 4, 6, 8, 10, 12]);
    await p.undeploy();
  });

  it("starts over after the end of a finite stream", async () => {
    const { p, scalable, sink } = line((x) => x, { limit: 3 });
    await scalable.scaleUp(2);
    await p.deploy();
    for await (const _ of p);
    expect(sink.values).toEqual([0, 1, 2]);
    await expect(p.pull()).rejects.toBeInstanceOf(EndOfStreamError);
    await p.reset();
    for await (const _ of p);
    expect(sink.values).toEqual([0, 1, 2]);
    await p.undeploy();
  });

  it("starts over from the first value while clone managers are pulling a slow source", async () => {
    /** Each pull takes a little while, and reads its counter only when it is done. */
    class SlowSource extends SingleCell {
      readonly output = new Output<number>(this, "output");
      n = 0;
      protected async onPull(): Promise<void> {
        await sleep(2);
        this.output.setValue(this.n++);
      }
      protected override onReset(): void {
        this.n = 0;
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
    await scalable.scaleUp(2);
    await p.deploy();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) await p.pull();
      expect(sink.values, `round ${round}`).toEqual([0, 1, 2, 3]);
      await sleep(1); // a manager is now in the middle of pulling the source
      await withinDeadline(p.reset());
    }
    await p.undeploy();
  });
});
