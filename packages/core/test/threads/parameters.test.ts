/**
 * SPEC 2.6 and 3.8 — parameter values set on the inner cell (the template) reach every
 * thread and process clone: a ConfigParameter set before deploy is what the clone's
 * `onDeploy` reads; a RuntimeParameter changed between pulls reaches every clone before
 * the next item it starts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OuterScalable, ScalableMath, cloneKey, methodOf, type Where } from "../fixtures/thread-cells.js";
import { harness } from "./harness.js";

/** Splits outputs after a parameter change into the ones computed with the old and the new value. */
function classify(xs: number[], outputs: number[], old: (x: number) => number, updated: (x: number) => number) {
  return outputs.map((y, i) => {
    if (y === updated(xs[i]!)) return "new";
    if (y === old(xs[i]!)) return "old";
    return `unexpected ${y} for ${xs[i]}`;
  });
}

describe("parameters of thread and process clones", () => {
  const { pipeline, scalable, sinks, source } = harness(ScalableMath, (i) => i, ["output", "where"]);
  const outputs = () => sinks.output!.values as number[];
  const where = () => sinks.where!.values as Where[];

  beforeAll(async () => {
    scalable.scaleUp(1, "thread");
    scalable.scaleUp(1, "process");
    scalable.math.offset.setValue(1000); // config: before deploy, read in the clones' onDeploy
    await pipeline.deploy();
  });
  afterAll(() => pipeline.undeploy());

  it("a ConfigParameter set on the template before deploy is what every clone's onDeploy read", async () => {
    for (let i = 0; i < 8; i++) await pipeline.pull();
    expect(outputs()).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((x) => x + 1000));
    expect(new Set(where().map((w) => methodOf(w)))).toEqual(new Set(["thread", "process"]));
  });

  it("a RuntimeParameter changed between pulls reaches every clone before its next item", async () => {
    for (const [from, to] of [
      [1, 3],
      [3, -2],
    ] as const) {
      const start = outputs().length;
      scalable.math.factor.setValue(to);
      for (let i = 0; i < 16; i++) await pipeline.pull();
      const xs = source.sent.slice(start, start + 16);
      const kinds = classify(xs, outputs().slice(start), (x) => x * from + 1000, (x) => x * to + 1000);
      // Items already run when the value changed (at most what the queue holds) keep the
      // old value; from the first item with the new value on, every item has it.
      const firstNew = kinds.indexOf("new");
      expect(firstNew).toBeGreaterThanOrEqual(0);
      expect(firstNew).toBeLessThanOrEqual(4); // queue capacity "auto" for 2 clones
      expect(kinds.slice(0, firstNew).every((k) => k === "old")).toBe(true);
      expect(kinds.slice(firstNew).every((k) => k === "new")).toBe(true);
      // Both the thread and the process clone ran items with the new value.
      const newWhere = where().slice(start + firstNew);
      expect(new Set(newWhere.map((w) => methodOf(w)))).toEqual(new Set(["thread", "process"]));
    }
  });
});

describe("parameters of a scalable cell nested in a thread clone", () => {
  it("a RuntimeParameter set on the nested template reaches the nested clones inside the thread", async () => {
    const { pipeline, scalable, sinks, source } = harness(OuterScalable, (i) => i, ["output", "where"]);
    scalable.nested.scaleUp(1, "async");
    scalable.nested.math.offset.setValue(7);
    scalable.scaleUp(1, "thread");
    await pipeline.deploy();
    try {
      for (let i = 0; i < 4; i++) await pipeline.pull();
      expect(sinks.output!.values).toEqual([7, 8, 9, 10]);
      scalable.nested.math.factor.setValue(100);
      for (let i = 0; i < 12; i++) await pipeline.pull();
      const xs = source.sent.slice(4, 16);
      const kinds = classify(xs, (sinks.output!.values as number[]).slice(4), (x) => x + 7, (x) => 100 * x + 7);
      const firstNew = kinds.indexOf("new");
      expect(firstNew).toBeGreaterThanOrEqual(0);
      expect(firstNew).toBeLessThanOrEqual(2);
      expect(kinds.slice(firstNew).every((k) => k === "new")).toBe(true);
      expect(new Set((sinks.where!.values as Where[]).map(cloneKey)).size).toBe(1); // the nested async clone in the worker
    } finally {
      await pipeline.undeploy();
    }
  });
});
