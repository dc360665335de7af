/**
 * Hardening, case 11 (first part): crashes of thread clones with `replaceCrashedClones`
 * off. The item of a clone that died runs again on a surviving clone, in order, also when
 * the source feeds another cell too; nothing hangs.
 */
import { describe, expect, it } from "vitest";
import { CloneCrashedError } from "@cellflow/core";
import { build, deploy, marker, tens } from "./crash-harness.js";
import { pullOutcomes } from "./util.js";

describe("case 11: replaceCrashedClones off, two thread clones, one dies mid-item", () => {
  for (const mode of ["exit", "uncaught"] as const) {
    it(`case 11: the surviving clone runs the crashed item, in order (${mode}; the source also feeds another cell)`, async () => {
      const { p, scalable, outputs, plain, crashes } = build({ alsoPlain: true });
      scalable.replaceCrashedClones.setValue(false);
      scalable.crash.crashOn.setValue(3);
      scalable.crash.mode.setValue(mode);
      scalable.crash.marker.setValue(marker(`replace-off-${mode}`));
      void scalable.scaleUp(2, "thread");
      await deploy(p);
      const n = 8;
      expect(await pullOutcomes(p, n, 2_500)).toEqual(Array(n).fill("ok"));
      expect(outputs.values).toEqual(tens(n));
      if (plain !== null) expect(plain.values).toEqual(Array.from({ length: n }, (_, i) => i));
      expect(crashes).toHaveLength(1);
      expect(crashes[0]).toMatchObject({ method: "thread", replaced: false, retried: true });
      expect(crashes[0]!.error).toBeInstanceOf(CloneCrashedError);
      expect(scalable.cloneCount).toBe(1);
    });
  }
});
