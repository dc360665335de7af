/**
 * Batching — thread and process clones whose items are quick get several items per
 * message (the manager's window grows with the measured speed; see clone-manager.ts).
 * The guarantees stay those of one item per message: input order, exactly-once, a
 * cell error or an uncloneable value fails only its own item, and a clone that dies
 * mid-batch has the batch's items run again on its replacement, in order.
 *
 * Items are TroubleCell items that do nothing special (x -> 10x, no delay) except the
 * few that ask for trouble, placed after a warm-up long enough for the windows to grow.
 */
import { afterAll, describe, expect, it } from "vitest";
import { CellPullError, CloneCrashedError, DataCloneError, type CloneCrashEvent } from "@cellflow/core";
import { ScalableTrouble, markerPath, removeMarkers, type Trouble, type TroubleItem } from "../fixtures/thread-cells.js";
import { eventually, harness, pullOutcomes } from "./harness.js";

afterAll(removeMarkers);

/** The managers' windows (internals): above 1 means several items went per message. */
interface Internals {
  strategy: { managers: Array<{ windowSize: number }> };
}
const windows = (scalable: unknown) => (scalable as Internals).strategy.managers.map((m) => m.windowSize);

function troubled(troubles: Record<number, Trouble>, extra: Record<number, { callback: () => number }> = {}) {
  const make = (i: number): TroubleItem => ({ x: i, trouble: troubles[i] ?? { kind: "ok" }, ...extra[i] });
  const parts = harness(ScalableTrouble, make, ["output"]);
  const crashes: CloneCrashEvent[] = [];
  parts.scalable.events.on("cloneCrashed", (e) => crashes.push(e));
  return { ...parts, crashes, outputs: () => parts.sinks.output!.values };
}

const tens = (n: number, skip: readonly number[] = []) =>
  Array.from({ length: n }, (_, i) => 10 * i).filter((_, i) => !skip.includes(i));

describe.each(["thread", "process"] as const)('batched "%s" clones', (method) => {
  it("deliver quick items in input order, each exactly once, several per message", async () => {
    const { pipeline, scalable, source, outputs } = troubled({});
    scalable.scaleUp(2, method);
    await pipeline.deploy();
    try {
      const n = 3000;
      let widest = 1;
      for (let i = 0; i < n; i++) {
        await pipeline.pull();
        if (i % 100 === 0) widest = Math.max(widest, ...windows(scalable));
      }
      expect(outputs()).toEqual(tens(n));
      expect(widest).toBeGreaterThan(1);
      // Exactly once: the source was pulled for the items delivered plus at most a queue's worth ahead.
      expect(source.pulls).toBeGreaterThanOrEqual(n);
      expect(source.next).toBe(source.pulls);
    } finally {
      await pipeline.undeploy();
    }
  });

  it("fail only the item whose cell throws, or whose input or output cannot be cloned, mid-batch", async () => {
    const { pipeline, scalable, crashes, outputs } = troubled(
      { 1500: { kind: "throw", message: "bad item 1500" }, 1503: { kind: "function-output" } },
      { 1506: { callback: () => 1506 } },
    );
    scalable.scaleUp(2, method);
    await pipeline.deploy();
    try {
      const outcomes = await pullOutcomes(pipeline, 1400);
      expect(Math.max(...windows(scalable))).toBeGreaterThan(1); // the trouble comes in batches
      outcomes.push(...(await pullOutcomes(pipeline, 600)));
      const failed = outcomes.flatMap((o, i) => (o === "ok" ? [] : [[i, o] as const]));
      expect(failed.map(([i, e]) => [i, e.constructor])).toEqual([
        [1500, CellPullError],
        [1503, DataCloneError],
        [1506, DataCloneError],
      ]);
      expect(failed[0]![1].message).toContain('"p.sc');
      expect(String((failed[0]![1] as CellPullError).cause)).toContain("bad item 1500");
      expect(failed[1]![1].message).toContain('output port "output"');
      expect(failed[2]![1].message).toContain('input port "input"');
      expect(outputs()).toEqual(tens(2000, [1500, 1503, 1506]));
      expect(crashes).toEqual([]);
    } finally {
      await pipeline.undeploy();
    }
  });

  it("run the items of a batch whose clone died again on the replacement, in order", async () => {
    const { pipeline, scalable, crashes, outputs } = troubled({
      1500: { kind: "uncaught", marker: markerPath(`${method}-batch-uncaught`) },
      2500: { kind: "exit", marker: markerPath(`${method}-batch-exit`) },
    });
    scalable.scaleUp(2, method);
    await pipeline.deploy();
    try {
      const outcomes = await pullOutcomes(pipeline, 1400);
      expect(Math.max(...windows(scalable))).toBeGreaterThan(1); // the crash comes in a batch
      outcomes.push(...(await pullOutcomes(pipeline, 1600)));
      expect(outcomes.filter((o) => o !== "ok")).toEqual([]);
      expect(outputs()).toEqual(tens(3000));
      expect(await eventually(() => crashes.length >= 2)).toBe(true);
      expect(crashes).toHaveLength(2);
      for (const e of crashes) {
        expect(e).toMatchObject({ method, replaced: true, retried: true });
        expect(e.error).toBeInstanceOf(CloneCrashedError);
      }
      expect(scalable.cloneCount).toBe(2);
    } finally {
      await pipeline.undeploy();
    }
  });

  it("fail only an item that kills every clone it runs on, after 3 crashes; its batch mates get through", async () => {
    const { pipeline, scalable, crashes, outputs } = troubled({ 1500: { kind: "exit", marker: null } });
    scalable.scaleUp(2, method);
    await pipeline.deploy();
    try {
      const outcomes = await pullOutcomes(pipeline, 1400);
      expect(Math.max(...windows(scalable))).toBeGreaterThan(1);
      outcomes.push(...(await pullOutcomes(pipeline, 600)));
      const failed = outcomes.flatMap((o, i) => (o === "ok" ? [] : [[i, o] as const]));
      expect(failed.map(([i, e]) => [i, e.constructor])).toEqual([[1500, CloneCrashedError]]);
      expect(outputs()).toEqual(tens(2000, [1500]));
      expect(await eventually(() => crashes.length >= 3)).toBe(true);
      expect(crashes.map((e) => e.retried)).toEqual([true, true, false]);
      expect(crashes.every((e) => e.replaced)).toBe(true);
      expect(scalable.cloneCount).toBe(2);
    } finally {
      await pipeline.undeploy();
    }
  });
});
