/**
 * Hardening, case 11 (second part): a thread clone that dies of a top-level throw in a
 * timer, while busy with an item or while idle, is always reported as a `cloneCrashed`
 * event (and the pipeline goes on).
 */
import { describe, expect, it } from "vitest";
import { CloneCrashedError } from "@cellflow/core";
import { build, deploy, marker, tens } from "./crash-harness.js";
import { pullOutcomes, withinDeadline } from "./util.js";

/**
 * A hang bound, not a speed check: the crash and the replacement thread's start can take
 * seconds on a loaded machine (seen: over 2.5 s with other suites running alongside).
 */
const CRASH_DEADLINE_MS = 10_000;

describe("case 11: a thread clone that dies of a top-level throw in a timer emits cloneCrashed", () => {
  it("case 11: mid-item (the item never settles): the event comes, and the item runs again", async () => {
    const { p, scalable, outputs, crashes, nextCrash } = build({ alsoPlain: false });
    scalable.crash.crashOn.setValue(2);
    scalable.crash.mode.setValue("uncaught");
    scalable.crash.marker.setValue(marker("uncaught-mid-item"));
    void scalable.scaleUp(1, "thread");
    await deploy(p);
    const crashed = nextCrash();
    expect(await pullOutcomes(p, 5, CRASH_DEADLINE_MS)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    const event = await withinDeadline(crashed, CRASH_DEADLINE_MS);
    expect(event).toMatchObject({ method: "thread", replaced: true, retried: true });
    expect((event.error as CloneCrashedError).detail).toContain("uncaught at top level on item 2");
    expect(outputs.values).toEqual(tens(5));
    expect(crashes).toHaveLength(1);
  });

  it("case 11: while idle at the end of a finite stream: the event comes without any further pull", async () => {
    const { p, scalable, outputs, nextCrash } = build({ alsoPlain: false, limit: 3 });
    scalable.crash.crashOn.setValue(2);
    scalable.crash.mode.setValue("uncaught-after");
    scalable.crash.afterMs.setValue(50);
    scalable.crash.marker.setValue(marker("uncaught-idle-end"));
    void scalable.scaleUp(1, "thread");
    await deploy(p);
    const crashed = nextCrash();
    expect(await pullOutcomes(p, 3, CRASH_DEADLINE_MS)).toEqual(["ok", "ok", "ok"]);
    expect(outputs.values).toEqual(tens(3));
    // Item 2 succeeded; 50 ms later its thread throws at top level while it has nothing to do.
    const event = await withinDeadline(crashed, CRASH_DEADLINE_MS);
    expect(event.method).toBe("thread");
    expect(event.error).toBeInstanceOf(CloneCrashedError);
    expect((event.error as CloneCrashedError).detail).toContain("uncaught at top level after item 2");
    expect(await pullOutcomes(p, 2)).toEqual(["EndOfStreamError", "EndOfStreamError"]);
  });

  it("case 11: while idle with a full queue: the event comes, and later pulls go on in order", async () => {
    const { p, scalable, outputs, nextCrash } = build({ alsoPlain: false });
    scalable.queueCapacity.setValue(2);
    scalable.crash.crashOn.setValue(1);
    scalable.crash.mode.setValue("uncaught-after");
    scalable.crash.afterMs.setValue(50);
    scalable.crash.marker.setValue(marker("uncaught-idle-full"));
    void scalable.scaleUp(1, "thread");
    await deploy(p);
    const crashed = nextCrash();
    expect(await pullOutcomes(p, 1, CRASH_DEADLINE_MS)).toEqual(["ok"]);
    // Items 1 and 2 fill the queue (capacity 2); the clone then waits for room, idle, and dies.
    const event = await withinDeadline(crashed, CRASH_DEADLINE_MS);
    expect(event.method).toBe("thread");
    expect((event.error as CloneCrashedError).detail).toContain("uncaught at top level after item 1");
    expect(await pullOutcomes(p, 4, CRASH_DEADLINE_MS)).toEqual(["ok", "ok", "ok", "ok"]);
    expect(outputs.values).toEqual(tens(5));
    expect(scalable.cloneCount).toBe(1);
  });
});
