/**
 * SPEC 2.6 + 3.8 (issue #8, item 6) — a runtime parameter change reaches thread and
 * process clones at a defined item: every item claimed (inputs pulled) after the change
 * runs with the new value, on every clone; items claimed before keep the old one, even
 * when they wait in a clone's batch while the change is made. So results are monotone in
 * output order, and each matches the value in force at its claim, which the source
 * records (synchronously, in its own pull). Two clones in REAL worker threads / child
 * processes; tiny items, so the clones batch them and hold claimed items between messages.
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import type { CloneCrashEvent } from "@cellflow/core";
import { ScalableExitingStamp, ScalableStamp } from "../fixtures/parameter-cells.js";
import { eventually, harness } from "./harness.js";

const ITEMS = 30;

describe.each(["thread", "process"] as const)('parameter changes and "%s" clones', (method) => {
  /** The value the test set last, read by the source in its pull. */
  const knob = { value: 1 }; // StampCell's default factor
  /** The knob's value when item i was pulled: the value item i must run with. */
  const seen: number[] = [];
  const { pipeline, scalable, sinks } = harness(ScalableStamp, (i) => {
    seen[i] = knob.value;
    return i;
  });
  const results = () => sinks.output!.values as number[];
  const set = (value: number) => {
    knob.value = value;
    scalable.stamp.factor.setValue(value);
  };

  beforeAll(async () => {
    await scalable.scaleUp(2, method);
    await pipeline.deploy();
  });
  afterAll(() => pipeline.undeploy());

  it(`property: ${ITEMS} items with sets at random moments; each item has the value of its claim`, async () => {
    let value = 1;
    let heldAcrossSet = 0; // sets made while items claimed before them were not delivered yet
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: ITEMS - 1 }), pace: fc.integer({ min: 0, max: 3 }) }), {
          minLength: 1,
          maxLength: 5,
        }),
        async (sets) => {
          const start = results().length;
          const setsAt = new Map<number, number[]>();
          for (const { at, pace } of sets) setsAt.set(at, [...(setsAt.get(at) ?? []), pace]);
          const made: Array<{ claimedBefore: number; value: number }> = [];
          for (let i = 0; i < ITEMS; i++) {
            for (const pace of setsAt.get(i) ?? []) {
              // Let the clones run a little (a timer or microtasks) so the set lands among their batches.
              await (pace === 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, pace - 1)));
              set(++value);
              made.push({ claimedBefore: seen.length, value });
              if (seen.length > results().length) heldAcrossSet++;
            }
            await pipeline.pull();
          }
          const got = results().slice(start);
          const items = got.map((r) => Math.floor(r / 1000));
          const values = got.map((r) => r % 1000);
          expect(items).toEqual(Array.from({ length: ITEMS }, (_, i) => start + i));
          // Each result has the value its source pull saw...
          expect(values).toEqual(items.map((x) => seen[x]));
          // ...so values never go back in output order...
          for (let i = 1; i < values.length; i++) expect(values[i]!).toBeGreaterThanOrEqual(values[i - 1]!);
          // ...and every item claimed after a set has its value (or a newer one).
          for (const { claimedBefore, value: v } of made) {
            items.forEach((x, i) => {
              if (x >= claimedBefore) expect(values[i]!, `item ${x}, claimed after setting ${v}`).toBeGreaterThanOrEqual(v);
            });
          }
        },
      ),
      { numRuns: 6 },
    );
    // The clones really held items claimed before a set (prefetched, batched) when it was made.
    expect(heldAcrossSet).toBeGreaterThan(0);
  });
});

describe("parameter changes and crashed thread clones", () => {
  it.each([true, false])(
    "an item claimed before a change and re-run after its clone crashed keeps its claim's value (replaceCrashedClones: %s)",
    async (replace) => {
      // Item 6 is claimed with value 1; the value becomes 2 while its clone works on it;
      // then the clone dies. The item runs again on a replacement built with value 2, or on
      // the other clone, which ran later items with 2: either way with 1, its claim's value.
      const marker = join(tmpdir(), `cellflow-parameter-timing-${process.pid}-${Date.now()}-${String(replace)}`);
      const knob = { value: 1 };
      const seen: number[] = [];
      const { pipeline, scalable, sinks } = harness(ScalableExitingStamp, (i) => {
        seen[i] = knob.value;
        return { x: i, exitMarker: i === 6 ? marker : null };
      });
      const crashes: CloneCrashEvent[] = [];
      scalable.events.on("cloneCrashed", (event) => crashes.push(event));
      scalable.replaceCrashedClones.setValue(replace);
      await scalable.scaleUp(2, "thread");
      await pipeline.deploy();
      try {
        for (let i = 0; i < 3; i++) await pipeline.pull();
        expect(await eventually(() => seen.length > 6)).toBe(true); // item 6 claimed
        knob.value = 2;
        scalable.stamp.factor.setValue(2);
        for (let i = 3; i < 12; i++) await pipeline.pull();
        knob.value = 3;
        scalable.stamp.factor.setValue(3);
        for (let i = 12; i < 20; i++) await pipeline.pull();
        const results = sinks.output!.values as number[];
        expect(results.map((r) => Math.floor(r / 1000))).toEqual(Array.from({ length: 20 }, (_, i) => i));
        expect(results.map((r) => r % 1000)).toEqual(seen.slice(0, 20));
        expect(seen[6]).toBe(1);
        expect(crashes.map((c) => [c.replaced, c.retried])).toEqual([[replace, true]]);
      } finally {
        await pipeline.undeploy();
        rmSync(marker, { force: true });
      }
    },
  );
});
