/**
 * SPEC 3.11 — a slow clone never holds the rest back. With queueCapacity "auto", while
 * the consumer waits for the oldest item and a slow clone still runs it, the free clones
 * keep taking items (the queue grows past its base capacity, up to a bound); an idle
 * pipeline's queue still fills to the base capacity only; an explicit capacity is never
 * exceeded. Outputs stay in input order, each once. The speed figure itself is held by
 * `pnpm bench slow-clone` (timing belongs in benchmarks, not unit tests).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Gate, line, sleep } from "./cells.js";

const CLONES = 4;
const BASE = 2 * CLONES; // "auto" for async clones
const BOUND = BASE + 16 * CLONES;

/** Item 0 waits on `gate` (whichever clone runs it): the head of the queue is blocked. */
function blockedHead(capacity?: number) {
  const gate = new Gate();
  const built = line(async (x) => {
    if (x === 0) await gate.wait();
    return x;
  });
  if (capacity !== undefined) built.scalable.queueCapacity.setValue(capacity);
  built.scalable.scaleUp(CLONES);
  return { ...built, gate };
}

describe("a clone whose item blocks the head of the queue", () => {
  it("leaves the other clones working while the consumer waits (auto capacity grows, bounded)", async () => {
    const { p, scalable, stats, sink, gate } = blockedHead();
    await p.deploy();
    try {
      const first = p.pull(); // waits for item 0
      await scalable.whenIdle({ whileWaiting: true });
      // The free clones ran past the base capacity, up to the bound, and stopped there.
      expect(stats.finished.length).toBeGreaterThan(BASE);
      expect(stats.finished.length).toBe(BOUND - 1);
      gate.open();
      await first;
      for (let i = 1; i < 100; i++) await p.pull();
      expect(sink.values).toEqual(Array.from({ length: 100 }, (_, i) => i));
    } finally {
      await p.undeploy();
    }
  });

  it("does not grow the queue of an idle pipeline (nobody waits for the head)", async () => {
    const { p, scalable, stats, gate } = blockedHead();
    await p.deploy();
    try {
      await scalable.whenIdle({ whileWaiting: true });
      expect(stats.finished.length).toBe(BASE - 1);
      gate.open();
    } finally {
      await p.undeploy();
    }
  });

  it("never exceeds an explicit queueCapacity", async () => {
    const { p, scalable, stats, sink, gate } = blockedHead(BASE);
    await p.deploy();
    try {
      const first = p.pull();
      await scalable.whenIdle({ whileWaiting: true });
      expect(stats.finished.length).toBe(BASE - 1);
      gate.open();
      await first;
      for (let i = 1; i < 20; i++) await p.pull();
      expect(sink.values).toEqual(Array.from({ length: 20 }, (_, i) => i));
    } finally {
      await p.undeploy();
    }
  });

  it("property: with random slow items and random pulls, every item arrives once, in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 6 }), { minLength: 20, maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        async (delays, clones) => {
          const { p, scalable, sink } = line(async (x) => {
            const d = delays[x % delays.length]!;
            if (d > 4) await sleep(d - 4); // a few items are much slower than the rest
            return x;
          });
          scalable.scaleUp(clones);
          await p.deploy();
          try {
            for (let i = 0; i < delays.length; i++) await p.pull();
          } finally {
            await p.undeploy();
          }
          expect(sink.values).toEqual(Array.from({ length: delays.length }, (_, i) => i));
        },
      ),
      { numRuns: 30 },
    );
  });
});
