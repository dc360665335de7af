/**
 * The wiring both case-11 files use: a source into a scalable CrashCell (thread clones),
 * collectors on its outputs, crash events recorded, and marker files so a crash happens
 * once per marker. Importing it registers the hooks that undeploy and clean up.
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach } from "vitest";
import { Connection, Pipeline, type Cell, type CloneCrashEvent } from "@cellflow/core";
import { ScalableCrash } from "./fixtures.js";
import { Collect, NumberSource, undeployQuietly, withinDeadline } from "./util.js";

const deployed: Cell[] = [];
afterEach(async () => {
  for (const p of deployed.splice(0)) await undeployQuietly(p);
});

const markers: string[] = [];
afterAll(() => {
  for (const path of markers.splice(0)) rmSync(path, { force: true });
});

/** A marker file unique to this run: the crash happens once per marker, the rerun succeeds. */
export function marker(name: string): string {
  const path = join(tmpdir(), `cellflow-hardening-${process.pid}-${Date.now()}-${markers.length}-${name}`);
  markers.push(path);
  return path;
}

export async function deploy(p: Pipeline): Promise<void> {
  deployed.push(p);
  await withinDeadline(p.deploy(), 10_000);
}

/** source -> scalable CrashCell (thread clones) -> outputs, wheres; the source also feeds `plain` when asked. */
export function build(options: { limit?: number; alsoPlain: boolean }) {
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

export const tens = (n: number) => Array.from({ length: n }, (_, i) => 10 * i);
