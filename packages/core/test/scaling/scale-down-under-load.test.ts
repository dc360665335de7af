/**
 * SPEC 3.7 — scale-down lets a clone finish its item first, so nothing is lost: under
 * load, with clones removed (and added) while the consumer pulls, every value pulled
 * from the source comes out, once, in order.
 */
import { describe, expect, it } from "vitest";
import { EndOfStreamError, InactiveError } from "@cellflow/core";
import { withinDeadline } from "../helpers.js";
import { Gate, line, sleep, waitFor, yields } from "./cells.js";

describe("scale-down while running", () => {
  it("loses nothing under load: every source value comes out, in order", async () => {
    const total = 60;
    const { p, source, scalable, sink, stats, template } = line(
      async (x) => {
        await (x % 4 === 0 ? sleep(1 + (x % 3)) : yields(x % 5));
        return x;
      },
      { limit: total },
    );
    await scalable.scaleUp(5);
    await p.deploy();
    // The consumer holds at 8, 20 and 30 items out until the scaling call of that point
    // is made (not finished: that may need pulls), so the calls land mid-stream however
    // fast the clones run, and the rest of each call overlaps the pulls.
    const milestones = [8, 20, 30];
    const issued = milestones.map(() => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      return { promise, resolve };
    });
    const issuedAt: number[] = [];
    const step = async (index: number, call: () => Promise<void>) => {
      await waitFor(() => sink.values.length >= milestones[index]!, `${milestones[index]} items out`);
      const running = call();
      issuedAt.push(sink.values.length);
      issued[index]!.resolve();
      await running;
    };
    const scaling = (async () => {
      await step(0, () => scalable.scaleDown(2));
      await step(1, () => scalable.scaleUp(2));
      await step(2, () => scalable.scaleDown(3));
      await scalable.scaleDown(1);
    })();
    const consuming = (async () => {
      for (;;) {
        for (let i = 0; i < milestones.length; i++) if (sink.values.length >= milestones[i]!) await issued[i]!.promise;
        try {
          await p.pull();
        } catch (error) {
          if (error instanceof EndOfStreamError) return;
          throw error;
        }
        await yields(3); // leave the scaling calls room to interleave
      }
    })();
    await withinDeadline(Promise.all([scaling, consuming]), 10_000);
    expect(issuedAt).toEqual(milestones); // the scaling really happened mid-stream
    expect(sink.values).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(source.pulls).toBe(total);
    expect(scalable.cloneCount).toBe(1);
    const clones = stats.instances.filter((w) => w !== template);
    expect(clones).toHaveLength(7);
    expect(clones.filter((c) => c.undeploys === 1)).toHaveLength(6);
    // Every item ran exactly once across all clones.
    expect(clones.flatMap((c) => c.seen).sort((a, b) => a - b)).toEqual(sink.values);
    await p.undeploy();
  });

  it("waits for the leaving clone to finish its item, and that item comes out", async () => {
    const gate = new Gate();
    const { p, source, scalable, sink, stats } = line(async (x) => {
      await gate.wait();
      return x;
    });
    await scalable.scaleUp(2);
    await p.deploy();
    await waitFor(() => stats.running === 2, "both clones busy");
    let scaledDown = false;
    const down = scalable.scaleDown(1).then(() => (scaledDown = true));
    await sleep(5);
    expect(scaledDown).toBe(false); // its item is still running
    gate.open();
    await withinDeadline(down);
    expect(scalable.cloneCount).toBe(1);
    for (let i = 0; i < 5; i++) await p.pull();
    expect(sink.values).toEqual([0, 1, 2, 3, 4]);
    await scalable.whenIdle();
    expect(source.pulls).toBeLessThanOrEqual(5 + 2); // capacity of 1 clone
    await p.undeploy();
  });

  it("scaled down to zero, queued items still come out; scaled up again, the stream resumes without a gap", async () => {
    const { p, source, scalable, sink } = line((x) => x);
    scalable.queueCapacity.setValue(4);
    await scalable.scaleUp(2);
    await p.deploy();
    await scalable.whenIdle();
    expect(source.pulls).toBe(4);
    await scalable.scaleDown(2);
    for (let i = 0; i < 4; i++) await p.pull();
    await expect(p.pull()).rejects.toBeInstanceOf(InactiveError);
    expect(source.pulls).toBe(4);
    await scalable.scaleUp(1);
    for (let i = 0; i < 3; i++) await p.pull();
    expect(sink.values).toEqual([0, 1, 2, 3, 4, 5, 6]);
    await p.undeploy();
  });
});
