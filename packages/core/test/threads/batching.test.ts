/**
 * Batching — thread and process clones whose items are quick get several items per
 * message (the manager's window grows with the measured speed; see clone-manager.ts).
 * The guarantees stay those of one item per message: input order, exactly-once, a
 * cell error or an uncloneable value fails only its own item, and a clone that dies
 * mid-batch has the batch's items run again on its replacement, in order.
 *
 * Items are TroubleCell items that do nothing special (x -> 10x, no delay) except the
 * few that ask for trouble, which come only once the windows have grown (`arm`).
 */
import { existsSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { CellPullError, CloneCrashedError, DataCloneError, type CloneCrashEvent, type ScalableCell } from "@cellflow/core";
import { ScalableNapping, ScalableTrouble, markerPath, removeMarkers, type Trouble, type TroubleItem } from "../fixtures/thread-cells.js";
import { eventually, harness, pullOutcomes } from "./harness.js";
import { managersOf } from "../engine-internals.js";

afterAll(removeMarkers);

/** The managers' windows (internals): above 1 means several items went per message. */
const windows = (scalable: ScalableCell) => managersOf(scalable).map((m) => m.windowSize);

/**
 * A scalable TroubleCell fed by a source whose items do nothing special until `arm()`:
 * from then on, item `base + k` does `troubles[k]` (and carries `callbacks[k]`, a
 * function no structured clone can carry), where `base` is the first item made after
 * the call. So the trouble comes once the windows have grown, however long that took.
 */
function troubled(troubles: Record<number, Trouble>, callbacks: Record<number, () => number> = {}) {
  let base = Infinity;
  const make = (i: number): TroubleItem => {
    const k = i - base;
    return { x: i, trouble: troubles[k] ?? { kind: "ok" }, ...(callbacks[k] ? { callback: callbacks[k] } : {}) };
  };
  const parts = harness(ScalableTrouble, make, ["output"]);
  const crashes: CloneCrashEvent[] = [];
  parts.scalable.events.on("cloneCrashed", (e) => crashes.push(e));
  /** Pulls plain items until a window is above 1 (batching), then arms the troubles; returns `base`. */
  const arm = async (): Promise<number> => {
    const deadline = Date.now() + 15_000;
    let pulled = 0;
    while (Math.max(...windows(parts.scalable)) <= 1 || pulled < 200) {
      if (Date.now() > deadline) throw new Error("the windows never grew above 1");
      await parts.pipeline.pull();
      pulled++;
    }
    base = parts.source.next;
    return base;
  };
  return { ...parts, crashes, arm, outputs: () => parts.sinks.output!.values };
}

const tens = (n: number, skip: readonly number[] = []) =>
  Array.from({ length: n }, (_, i) => 10 * i).filter((_, i) => !skip.includes(i));

describe.each(["thread", "process"] as const)('batched "%s" clones', (method) => {
  it("deliver quick items in input order, each exactly once, several per message", async () => {
    const { pipeline, scalable, source, outputs, arm } = troubled({});
    scalable.scaleUp(2, method);
    await pipeline.deploy();
    try {
      await arm(); // pulls until the windows grew: several items per message from then on
      const n = outputs().length + 2000;
      while (outputs().length < n) await pipeline.pull();
      expect(outputs()).toEqual(tens(n));
      // Exactly once: the source was pulled for the items delivered plus at most a queue's worth ahead.
      expect(source.pulls).toBeGreaterThanOrEqual(n);
      expect(source.next).toBe(source.pulls);
    } finally {
      await pipeline.undeploy();
    }
  });

  it("fail only the item whose cell throws, or whose input or output cannot be cloned, mid-batch", async () => {
    const { pipeline, scalable, crashes, outputs, arm } = troubled(
      { 300: { kind: "throw", message: "bad item" }, 303: { kind: "function-output" } },
      { 306: () => 306 },
    );
    scalable.scaleUp(2, method);
    await pipeline.deploy();
    try {
      const base = await arm();
      const before = outputs().length;
      const outcomes = await pullOutcomes(pipeline, base + 600 - before);
      const failed = outcomes.flatMap((o, i) => (o === "ok" ? [] : [[before + i - base, o] as const]));
      expect(failed.map(([k, e]) => [k, e.constructor])).toEqual([
        [300, CellPullError],
        [303, DataCloneError],
        [306, DataCloneError],
      ]);
      expect(failed[0]![1].message).toContain('"p.sc');
      expect(String((failed[0]![1] as CellPullError).cause)).toContain("bad item");
      expect(failed[1]![1].message).toContain('output port "output"');
      expect(failed[2]![1].message).toContain('input port "input"');
      expect(outputs()).toEqual(tens(base + 600, [base + 300, base + 303, base + 306]));
      expect(crashes).toEqual([]);
    } finally {
      await pipeline.undeploy();
    }
  });

  it("run the items of a batch whose clone died again on the replacement, in order", async () => {
    const uncaughtMarker = markerPath(`${method}-batch-uncaught`);
    const { pipeline, scalable, crashes, outputs, arm } = troubled({
      300: { kind: "uncaught", marker: uncaughtMarker },
      1000: { kind: "exit", marker: markerPath(`${method}-batch-exit`) },
    });
    scalable.scaleUp(2, method);
    await pipeline.deploy();
    try {
      const base = await arm();
      const outcomes = await pullOutcomes(pipeline, base + 1500 - outputs().length);
      expect(outcomes.filter((o) => o !== "ok")).toEqual([]);
      expect(outputs()).toEqual(tens(base + 1500));
      expect(await eventually(() => crashes.length >= 2)).toBe(true);
      expect(crashes).toHaveLength(2);
      for (const e of crashes) {
        expect(e).toMatchObject({ method, replaced: true, retried: true });
        expect(e.error).toBeInstanceOf(CloneCrashedError);
      }
      const details = crashes.map((e) => (e.error as CloneCrashedError).detail).join("\n");
      if (method === "thread") expect(details).toContain(`uncaught at top level on item ${base + 300}`);
      // A process clone records its uncaught error instead of printing it to the runner's stderr.
      else expect(readFileSync(uncaughtMarker, "utf8")).toContain(`uncaught: uncaught at top level on item ${base + 300}`);
      expect(scalable.cloneCount).toBe(2);
    } finally {
      await pipeline.undeploy();
    }
  });

  it("fail only an item that kills every clone it runs on, after 3 crashes; its batch mates get through", async () => {
    const { pipeline, scalable, crashes, outputs, arm } = troubled({ 300: { kind: "exit", marker: null } });
    scalable.scaleUp(2, method);
    await pipeline.deploy();
    try {
      const base = await arm();
      const before = outputs().length;
      const outcomes = await pullOutcomes(pipeline, base + 600 - before);
      const failed = outcomes.flatMap((o, i) => (o === "ok" ? [] : [[before + i - base, o] as const]));
      expect(failed.map(([k, e]) => [k, e.constructor])).toEqual([[300, CloneCrashedError]]);
      expect(outputs()).toEqual(tens(base + 600, [base + 300]));
      expect(await eventually(() => crashes.length >= 3)).toBe(true);
      expect(crashes.map((e) => e.retried)).toEqual([true, true, false]);
      expect(crashes.every((e) => e.replaced)).toBe(true);
      expect(scalable.cloneCount).toBe(2);
    } finally {
      await pipeline.undeploy();
    }
  });

  it("hand back the items done before one that hangs, without waiting for it; a kill then reruns it", async () => {
    const marker = markerPath(`${method}-batch-hang`);
    const { pipeline, scalable, crashes, outputs, arm } = troubled({ 300: { kind: "hang", marker } });
    scalable.scaleUp(1, method); // one clone: the hanging item's batch mates are on it too
    await pipeline.deploy();
    try {
      const base = await arm();
      // Every item before the hanging one comes through, though it shares a batch with some of them.
      while (outputs().length < base + 300) await pipeline.pull();
      expect(outputs()).toEqual(tens(base + 300));
      expect(await eventually(() => existsSync(marker) && readFileSync(marker, "utf8") !== "")).toBe(true);
      await managersOf(scalable)[0]!.handle.kill(); // as a supervisor would
      while (outputs().length < base + 400) await pipeline.pull();
      expect(outputs()).toEqual(tens(base + 400));
      expect(await eventually(() => crashes.length >= 1)).toBe(true);
      expect(crashes).toHaveLength(1);
      expect(crashes[0]).toMatchObject({ method, replaced: true, retried: true });
    } finally {
      await pipeline.undeploy();
    }
  });

  it("lose no result of an item that ends while the results before it go back (a partial reply sent during its wait)", async () => {
    // Every 20th item waits 8 ms, longer than the clone's partial-reply interval: the
    // results before it go back mid-batch. An item result pushed to the list just sent
    // was lost, and its pull waited forever (found with remote workers, issue #10).
    const { pipeline, scalable, sinks } = harness(ScalableNapping, (i) => i);
    await scalable.scaleUp(1, method);
    await pipeline.deploy();
    try {
      let widest = 1;
      for (let i = 0; i < 200; i++) {
        await pipeline.pull();
        widest = Math.max(widest, ...windows(scalable));
      }
      expect(sinks.output!.values).toEqual(Array.from({ length: 200 }, (_, i) => i + 1000));
      expect(widest).toBeGreaterThan(1); // it batched
    } finally {
      await pipeline.undeploy();
    }
  });
});
