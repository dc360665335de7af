/**
 * Hardening, case 11 (first part): crashes of thread clones with `replaceCrashedClones`
 * off. The item of a clone that died runs again on a surviving clone, in order, also when
 * the source feeds another cell too; nothing hangs.
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CloneCrashedError, Connection, Pipeline, type Cell, type CloneCrashEvent } from "@cellflow/core";
import { ScalableCrash } from "./fixtures.js";
import { Collect, NumberSource, pullOutcomes, undeployQuietly, withinDeadline } from "./util.js";

const deployed: Cell[] = [];
afterEach(async () => {
  for (const p of deployed.splice(0)) await undeployQuietly(p);
});

const markers: string[] = [];
afterAll(() => {
  for (const path of markers.splice(0)) rmSync(path, { force: true });
});

/** A marker file unique to this run: the crash happens once per marker, the rerun succeeds. */
function marker(name: string): string {
  const path = join(tmpdir(), `cellflow-hardening-${process.pid}-${Date.now()}-${markers.length}-${name}`);
  markers.push(path);
  return path;
}

async function deploy(p: Pipeline): Promise<void> {
  deployed.push(p);
  await withinDeadline(p.deploy(), 10_000);
}

/** source -> scalable CrashCell (thread clones) -> outputs, wheres; the source also feeds `plain` when asked. */
function build(options: { limit?: number; alsoPlain: boolean }) {
  const p = new Pipeline(null, "p");
  const source = new NumberSource(p, "source");
  if (options.limit !== undefined) source.limit = options.limit;
  const scalable = new ScalableCrash(p, "sc");
  scalable.stopGraceMs.setValue(300); // undeploy after a hang need not wait long for a stuck clone
  const outputs = new Collect(p, "outputs");
  const wheres = new Collect<string>(p, "wheres");
  new Connection(source.output, scalable.input);
  new Connection(scalable.output, outputs.input);
  new Connection(scalable.where, wheres.input);
  let plain: Collect | null = null;
  if (options.alsoPlain) {
    plain = new Collect(p, "plain");
    new Connection(source.output, plain.input);
  }
  const crashes: CloneCrashEvent[] = [];
  scalable.events.on("cloneCrashed", (e) => crashes.push(e));
  /** Resolves at the next cloneCrashed event (bounded by the caller). */
  const nextCrash = () => new Promise<CloneCrashEvent>((resolve) => scalable.events.once("cloneCrashed", resolve));
  return { p, source, scalable, outputs, wheres, plain, crashes, nextCrash };
}

const tens = (n: number) => Array.from({ length: n }, (_, i) => 10 * i);

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
