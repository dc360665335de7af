/**
 * SPEC 3.6 — an error thrown by the cell's own `onPull` in a thread or process clone is
 * not a crash: it surfaces at the matching `pull()` as a CellPullError naming the cell
 * path, with the remote error (message and stack) as `cause`; the clone keeps serving.
 */
import { describe, expect, it } from "vitest";
import { CellPullError, type CloneCrashEvent } from "@cellflow/core";
import { ScalableTrouble, cloneKey, methodOf, type TroubleItem, type Where } from "../fixtures/thread-cells.js";
import { harness, pullOutcomes } from "./harness.js";

describe.each(["thread", "process"] as const)('an error thrown in the onPull of a "%s" clone', (method) => {
  it("surfaces at the matching pull as CellPullError with the remote message and stack as cause", async () => {
    const builtin = { 2: "RangeError", 5: "TypeError" } as const;
    const make = (i: number): TroubleItem =>
      i === 2 || i === 5
        ? { x: i, trouble: { kind: "throw", message: `item ${i} is bad`, builtin: builtin[i] } }
        : { x: i, trouble: { kind: "ok" } };
    const { pipeline, scalable, sinks } = harness(ScalableTrouble, make, ["output", "where"]);
    scalable.scaleUp(2, method);
    const crashes: CloneCrashEvent[] = [];
    scalable.events.on("cloneCrashed", (e) => crashes.push(e));
    await pipeline.deploy();
    try {
      const outcomes = await pullOutcomes(pipeline, 8);
      expect(outcomes.map((o) => o === "ok")).toEqual([true, true, false, true, true, false, true, true]);
      for (const i of [2, 5]) {
        const error = outcomes[i] as CellPullError;
        expect(error).toBeInstanceOf(CellPullError);
        expect(error.cellPath).toBe("p.sc.trouble");
        expect(error.message).toContain(`item ${i} is bad`);
        const cause = error.cause as Error;
        // JavaScript's own error classes keep their class across the boundary, as with async clones.
        expect(cause).toBeInstanceOf(i === 2 ? RangeError : TypeError);
        expect(cause.name).toBe(i === 2 ? "RangeError" : "TypeError");
        expect(cause.message).toBe(`item ${i} is bad`);
        // The stack is the remote one: it points into the cell's module, where onPull threw.
        expect(cause.stack).toContain("TroubleCell.onPull");
        expect(cause.stack).toContain("fixtures/thread-cells.ts");
      }
      // The other items came through in order; no clone died or was replaced.
      expect(sinks.output!.values).toEqual([0, 10, 30, 40, 60, 70]);
      const where = sinks.where!.values as Where[];
      expect(where.every((w) => methodOf(w) === method)).toBe(true);
      expect(new Set(where.map(cloneKey)).size).toBe(2);
      expect(crashes).toEqual([]);
      expect(scalable.cloneCount).toBe(2);
    } finally {
      await pipeline.undeploy();
    }
  });
});
