/**
 * A clone stuck in its item (a busy loop, a promise that never settles) must not hang
 * undeploy() or reset(): after `stopGraceMs` thread and process clones are killed and
 * async clones left behind; reset starts over with fresh clones.
 */
import { Connection, Pipeline, type CompositeCell } from "@cellflow/core";
import { describe, expect, it } from "vitest";
import { ScalableStuck } from "../fixtures/stuck-cells.js";
import { ItemSource, Sink } from "./harness.js";

class StuckPipeline extends Pipeline {
  readonly source = new ItemSource<number>(this, "source");
  readonly sc = new ScalableStuck(this, "sc");
  readonly sink = new Sink<number>(this, "sink");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output, this.sc.input);
    new Connection(this.sc.output, this.sink.input);
  }
}

describe.each(["thread", "process", "async"] as const)("a %s clone stuck in its item", (method) => {
  it("does not hang reset() or undeploy(), and reset starts over", async () => {
    const pipeline = new StuckPipeline(null, "p");
    pipeline.sc.stopGraceMs.setValue(200);
    pipeline.sc.stuck.busyLoop.setValue(method !== "async"); // never block the test's own thread
    pipeline.sc.scaleUp(2, method);
    await pipeline.deploy();
    for (let i = 0; i < 3; i++) await pipeline.pull();
    expect(pipeline.sink.values).toEqual([0, 1, 2]);

    await pipeline.reset(); // a clone holds item 3 forever
    for (let i = 0; i < 3; i++) await pipeline.pull();
    expect(pipeline.sink.values).toEqual([0, 1, 2]); // the sink was reset too

    const started = performance.now();
    await pipeline.undeploy(); // item 3 is stuck again
    expect(pipeline.isDeployed).toBe(false);
    expect(performance.now() - started).toBeLessThan(10_000); // generous: the grace is 200 ms
  }, 30_000);
});
