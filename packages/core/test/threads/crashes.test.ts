/**
 * SPEC 3.7 — crashes lose nothing. A worker thread or child process that dies mid-item
 * (an uncaught error thrown at top level, `process.exit(7)`, SIGKILL from inside or from
 * outside, `worker.terminate()`) has its item run again on another clone, in order; the
 * scalable cell replaces the clone (or drops it, with `replaceCrashedClones` off) and
 * reports it as a `cloneCrashed` event. An item that kills every clone it runs on fails
 * after 3 crashes with CloneCrashedError at its own pull; later items still work.
 */
import { readFileSync, existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { CloneCrashedError, type CloneCrashEvent } from "@cellflow/core";
import { ScalableTrouble, cloneKey, markerPath, methodOf, removeMarkers, type Trouble, type TroubleItem, type Where } from "../fixtures/thread-cells.js";
import { eventually, harness, pullOutcomes } from "./harness.js";
import { managersOf } from "../engine-internals.js";

afterAll(removeMarkers);

/** A scalable TroubleCell whose item i does `troubles[i]` (default: nothing special). */
function troubled(troubles: Record<number, Trouble>) {
  const parts = harness(ScalableTrouble, (i): TroubleItem => ({ x: i, trouble: troubles[i] ?? { kind: "ok" } }), ["output", "where"]);
  const crashes: CloneCrashEvent[] = [];
  parts.scalable.events.on("cloneCrashed", (e) => crashes.push(e));
  const outputs = () => parts.sinks.output!.values;
  const where = () => parts.sinks.where!.values as Where[];
  return { ...parts, crashes, outputs, where };
}

const tens = (n: number, from = 0) => Array.from({ length: n - from }, (_, i) => 10 * (from + i));


describe.each(["thread", "process"] as const)('a "%s" clone that dies mid-item', (method) => {
  it("has the item run again on another clone, in order, and is replaced and reported", async () => {
    const uncaughtMarker = markerPath(`${method}-uncaught`);
    const troubles: Record<number, Trouble> = {
      2: { kind: "uncaught", marker: uncaughtMarker },
      5: { kind: "exit", marker: markerPath(`${method}-exit`) },
    };
    if (method === "process") troubles[8] = { kind: "sigkill", marker: markerPath("process-sigkill") };
    const { pipeline, scalable, crashes, outputs, where } = troubled(troubles);
    scalable.scaleUp(2, method);
    await pipeline.deploy();
    try {
      const outcomes = await pullOutcomes(pipeline, 11);
      expect(outcomes).toEqual(Array(11).fill("ok"));
      expect(outputs()).toEqual(tens(11));

      const expected = method === "process" ? 3 : 2;
      expect(await eventually(() => crashes.length >= expected)).toBe(true);
      expect(crashes).toHaveLength(expected);
      for (const e of crashes) {
        expect(e).toMatchObject({ method, replaced: true, retried: true });
        expect(e.error).toBeInstanceOf(CloneCrashedError);
        expect(e.error.message).toContain('"p.sc"');
      }
      const details = crashes.map((e) => (e.error as CloneCrashedError).detail).join("\n");
      if (method === "thread") {
        expect(details).toContain("uncaught at top level on item 2");
        expect(details).toContain("exited with code 7");
      } else {
        expect(details).toContain("code 1"); // an uncaught error ends a Node process with code 1
        // The process clone recorded its uncaught error instead of printing it to the runner's stderr.
        expect(readFileSync(uncaughtMarker, "utf8")).toContain("uncaught: uncaught at top level on item 2");
        expect(details).toContain("code 7");
        expect(details).toContain("SIGKILL");
      }
      // Replacements did the work after the crashes: more clones than the two we started with.
      expect(where().every((w) => methodOf(w) === method)).toBe(true);
      expect(new Set(where().map(cloneKey)).size).toBeGreaterThan(2);
      expect(scalable.cloneCount).toBe(2);
    } finally {
      await pipeline.undeploy();
    }
  });
});

describe("a clone killed from outside mid-item", () => {
  it("process: SIGKILL from the parent; the item runs again on the replacement, in order", async () => {
    const marker = markerPath("process-hang");
    const { pipeline, scalable, crashes, outputs, where } = troubled({ 3: { kind: "hang", marker } });
    scalable.scaleUp(2, "process");
    await pipeline.deploy();
    try {
      for (let i = 0; i < 3; i++) await pipeline.pull();
      const fourth = pipeline.pull(); // waits for item 3, which hangs in a child process
      expect(await eventually(() => existsSync(marker) && readFileSync(marker, "utf8") !== "")).toBe(true);
      const victim = JSON.parse(readFileSync(marker, "utf8")) as Where;
      expect(methodOf(victim)).toBe("process");
      process.kill(victim.pid, "SIGKILL");
      await fourth;
      for (let i = 0; i < 4; i++) await pipeline.pull();
      expect(outputs()).toEqual(tens(8));
      expect(where()[3]!.pid).not.toBe(victim.pid);
      expect(await eventually(() => crashes.length === 1)).toBe(true);
      expect(crashes[0]).toMatchObject({ method: "process", replaced: true, retried: true });
      expect((crashes[0]!.error as CloneCrashedError).detail).toContain("SIGKILL");
    } finally {
      await pipeline.undeploy();
    }
  });

  it("thread: worker.terminate() by a supervisor; the item runs again on the replacement, in order", async () => {
    const marker = markerPath("thread-hang");
    const { pipeline, scalable, crashes, outputs, where } = troubled({ 3: { kind: "hang", marker } });
    scalable.scaleUp(1, "thread");
    await pipeline.deploy();
    try {
      for (let i = 0; i < 3; i++) await pipeline.pull();
      const fourth = pipeline.pull();
      expect(await eventually(() => existsSync(marker) && readFileSync(marker, "utf8") !== "")).toBe(true);
      const victim = JSON.parse(readFileSync(marker, "utf8")) as Where;
      const [manager] = managersOf(scalable);
      await manager!.handle.kill(); // Worker.terminate() of the only clone, which is stuck in item 3
      await fourth;
      for (let i = 0; i < 4; i++) await pipeline.pull();
      expect(outputs()).toEqual(tens(8));
      expect(where()[3]!.threadId).not.toBe(victim.threadId);
      expect(await eventually(() => crashes.length === 1)).toBe(true);
      expect(crashes[0]).toMatchObject({ method: "thread", replaced: true, retried: true });
      expect(scalable.cloneCount).toBe(1);
    } finally {
      await pipeline.undeploy();
    }
  });
});

describe("replaceCrashedClones = false", () => {
  it("drops the dead clone (replaced=false) and the remaining clone finishes the work in order", async () => {
    const { pipeline, scalable, crashes, outputs, where } = troubled({ 3: { kind: "exit", marker: markerPath("drop-exit") } });
    scalable.replaceCrashedClones.setValue(false);
    scalable.scaleUp(1, "thread");
    scalable.scaleUp(1, "process");
    await pipeline.deploy();
    try {
      expect(await pullOutcomes(pipeline, 10)).toEqual(Array(10).fill("ok"));
      expect(outputs()).toEqual(tens(10));
      expect(await eventually(() => crashes.length === 1)).toBe(true);
      const [crash] = crashes;
      expect(crash).toMatchObject({ replaced: false, retried: true });
      expect((crash!.error as CloneCrashedError).detail).toContain("code 7");
      expect(scalable.cloneCount).toBe(1);
      // From the crashed item on, the survivor (the other method) ran everything.
      const survivor = crash!.method === "thread" ? "process" : "thread";
      expect(where().slice(3).every((w) => methodOf(w) === survivor)).toBe(true);
      expect(new Set(where().slice(3).map(cloneKey)).size).toBe(1);
    } finally {
      await pipeline.undeploy();
    }
  });

  it("a clone being scaled down that dies mid-item is dropped; its item runs on the one that stays", async () => {
    // Every item from 3 on hangs once in a child process: the process clone gets stuck
    // in one of them while the thread clone serves the rest.
    const marker = markerPath("scale-down-hang");
    const hang: Trouble = { kind: "hang", marker, onlyInProcess: true };
    const { pipeline, scalable, crashes, outputs, where } = troubled(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [i + 3, hang])));
    scalable.replaceCrashedClones.setValue(false);
    // A small fixed capacity: the thread clone's batches (quick items) could otherwise
    // claim all of items 3..32 before the process clone gets one, on a loaded machine.
    scalable.queueCapacity.setValue(4);
    scalable.scaleUp(1, "thread");
    scalable.scaleUp(1, "process"); // the newest: scaleDown(1) removes it
    await pipeline.deploy();
    try {
      for (let i = 0; i < 3; i++) await pipeline.pull();
      const pulling = pullOutcomes(pipeline, 7);
      expect(await eventually(() => existsSync(marker) && readFileSync(marker, "utf8") !== "")).toBe(true);
      const victim = JSON.parse(readFileSync(marker, "utf8")) as Where;
      const down = scalable.scaleDown(1); // waits for the process clone's item...
      process.kill(victim.pid, "SIGKILL"); // ...which dies instead
      await down;
      expect(await pulling).toEqual(Array(7).fill("ok"));
      expect(await pullOutcomes(pipeline, 5)).toEqual(Array(5).fill("ok"));
      expect(outputs()).toEqual(tens(15));
      expect(scalable.cloneCount).toBe(1);
      expect(where().slice(3).every((w) => methodOf(w) === "thread")).toBe(true);
      expect(crashes).toHaveLength(1);
      expect(crashes[0]).toMatchObject({ method: "process", replaced: false, retried: true });
    } finally {
      await pipeline.undeploy();
    }
  });
});

describe("an item that kills every clone it runs on", () => {
  it("fails after 3 crashes with CloneCrashedError at its own pull; later items still work", async () => {
    const { pipeline, scalable, crashes, outputs } = troubled({ 3: { kind: "exit", marker: null } });
    scalable.scaleUp(2, "thread");
    await pipeline.deploy();
    try {
      const outcomes = await pullOutcomes(pipeline, 8);
      expect(outcomes.map((o) => (o === "ok" ? o : o.name))).toEqual(["ok", "ok", "ok", "CloneCrashedError", "ok", "ok", "ok", "ok"]);
      const error = outcomes[3] as CloneCrashedError;
      expect(error).toBeInstanceOf(CloneCrashedError);
      expect(error.cellPath).toBe("p.sc");
      expect(error.method).toBe("thread");
      expect(error.detail).toContain("code 7");
      expect(outputs()).toEqual([0, 10, 20, 40, 50, 60, 70]);
      expect(await eventually(() => crashes.length === 3)).toBe(true);
      expect(crashes.map((e) => e.retried)).toEqual([true, true, false]);
      expect(crashes.every((e) => e.replaced)).toBe(true);
      expect(scalable.cloneCount).toBe(2);
      expect(await pullOutcomes(pipeline, 2)).toEqual(["ok", "ok"]);
    } finally {
      await pipeline.undeploy();
    }
  });
});
