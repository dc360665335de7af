/**
 * The crash property: thread and process clones of a cell that ends its own thread or
 * process (`process.exit(1)`) on chosen items, the first time only (a marker file per
 * case and item under os.tmpdir()), with `replaceCrashedClones` on or off (off: at least
 * one more clone than crashes, so a clone is always left). Whatever crashes, every item
 * comes out once, in order, with its value, and every crash is reported.
 */
import fc from "fast-check";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Connection, Pipeline } from "@cellflow/core";
import { ScalableCrash, StressCollector, StressSource } from "./cells.js";
import { crashOutput, sourceValue } from "./functions.js";
import type { StressOptions } from "./options.js";
import { checkThreads, childProcesses, errorKey, settle, threadCount, type CaseResult, type Violation } from "./runner.js";

export interface CrashSpec {
  readonly clones: ReadonlyArray<"thread" | "process">;
  readonly replace: boolean;
  /** Items (0-based) whose value crashes the clone that runs it, once. */
  readonly crashItems: readonly number[];
  readonly queueCapacity: number | null;
  /** Each entry is one action: a pull, or (true) two pulls issued together. */
  readonly pulls: readonly boolean[];
  /** A second collector reads the source directly (fan-out to a plain cell and the scalable one). */
  readonly fanOut: boolean;
  /** Exit in the middle of the item, or 3 ms after it (the clone dies while idle). */
  readonly when: "item" | "idle";
  /** Each source item takes 3 ms, so clones wait for their inputs when one dies. */
  readonly slowSource: boolean;
}

export function crashArb(o: StressOptions): fc.Arbitrary<CrashSpec> {
  const allowed: Array<"thread" | "process"> = [];
  if (o.features.has("threads") || !o.features.has("processes")) allowed.push("thread");
  if (o.features.has("processes")) allowed.push("process");
  return fc
    .record({
      clones: fc.array(fc.constantFrom(...allowed), { minLength: 1, maxLength: 3 }),
      replace: fc.boolean(),
      crashItems: fc.uniqueArray(fc.nat(7), { minLength: 1, maxLength: 2 }),
      queueCapacity: fc.option(fc.integer({ min: 1, max: 2 }), { nil: null }),
      pulls: fc.array(fc.boolean(), { minLength: 4, maxLength: 8 }),
      fanOut: fc.boolean(),
      when: fc.constantFrom<"item" | "idle">("item", "idle"),
      slowSource: fc.boolean(),
    })
    .map((raw) => {
      let clones = raw.clones;
      let crashItems = [...raw.crashItems].sort((a, b) => a - b);
      if (!raw.replace) {
        // Without replacement, keep at least one clone alive.
        if (clones.length < 2) clones = [...clones, clones[0]!];
        crashItems = crashItems.slice(0, clones.length - 1);
      }
      const items = raw.pulls.reduce((n, pair) => n + (pair ? 2 : 1), 0);
      crashItems = crashItems.filter((x) => x < items);
      if (crashItems.length === 0) crashItems = [0];
      return { ...raw, clones, crashItems };
    });
}

export function describeCrash(spec: CrashSpec): string {
  return (
    `  s0 (endless, item i -> 100 + i${spec.slowSource ? ", 3 ms per item" : ""}) -> crash (ScalableCrash, clones [${spec.clones.join(",")}], ` +
    `replaceCrashedClones ${spec.replace}${spec.queueCapacity !== null ? `, queueCapacity ${spec.queueCapacity}` : ""}, ` +
    `exits ${spec.when === "item" ? "in the middle of" : "3 ms after"} items [${spec.crashItems.join(",")}] once) -> c0${spec.fanOut ? "; s0 -> c1" : ""}\n` +
    `  actions: ${spec.pulls.map((pair) => (pair ? "pull+pull" : "pull")).join("; ")}; undeploy`
  );
}

let caseNumber = 0;

export async function runCrashCase(spec: CrashSpec, o: StressOptions): Promise<CaseResult> {
  const started = Date.now();
  const violations: Violation[] = [];
  const trace: string[] = [];
  const violate = (kind: string, detail: string) => {
    violations.push({ kind, detail });
    trace.push(`    !! ${kind}: ${detail}`);
  };
  const prefix = join(tmpdir(), `cellflow-stress-crash-${process.pid}-${++caseNumber}-${Date.now()}`);
  const before = new Set(childProcesses());
  const threadsBefore = threadCount();
  const source = { id: 0, base: 100, step: 1, length: -1, failItems: [] };

  const pipeline = new Pipeline(null, "root");
  const s0 = new StressSource(pipeline, "s0");
  s0.configure(source);
  if (spec.slowSource) s0.delayMs.setValue(3);
  const crash = new ScalableCrash(pipeline, "crash");
  crash.crash.crashItems.setValue(spec.crashItems.map((i) => sourceValue(source, i)));
  crash.crash.markerPrefix.setValue(prefix);
  crash.crash.crashWhen.setValue(spec.when);
  crash.replaceCrashedClones.setValue(spec.replace);
  if (spec.queueCapacity !== null) crash.queueCapacity.setValue(spec.queueCapacity);
  for (const method of spec.clones) void crash.scaleUp(1, method);
  const c0 = new StressCollector(pipeline, "c0");
  const c1 = spec.fanOut ? new StressCollector(pipeline, "c1") : null;
  new Connection(s0.output, crash.input);
  new Connection(crash.output, c0.input);
  if (c1 !== null) new Connection(s0.output, c1.input);
  const crashes: string[] = [];
  crash.events.on("cloneCrashed", (event) => crashes.push(`${event.method}${event.replaced ? " replaced" : " dropped"}`));

  let completed = 0;
  const deadline = 2 * o.pullDeadlineMs; // a crash costs a respawn
  try {
    const deployed = await settle(() => pipeline.deploy(), o.opDeadlineMs);
    if (deployed.kind !== "ok") {
      violate(deployed.kind === "hang" ? "hang:deploy" : "deploy-rejected", deployed.kind === "hang" ? "deploy() hung" : errorKey(deployed.error));
      return { violations, trace, ms: Date.now() - started };
    }
    let item = 0;
    const judge = (i: number, outcome: Awaited<ReturnType<typeof settle<unknown>>>): boolean => {
      if (outcome.kind === "hang") {
        violate("hang:pull", `pull ${i} did not settle within ${deadline} ms`);
        return false;
      }
      completed++;
      trace.push(`    pull ${i}: ${outcome.kind === "ok" ? "ok" : `error "${errorKey(outcome.error)}"`}`);
      if (outcome.kind === "error") violate("pull-outcome", `pull ${i}: expected ok, got error "${errorKey(outcome.error)}"`);
      return true;
    };
    for (const pair of spec.pulls) {
      trace.push(pair ? "  pull+pull" : "  pull");
      const first = item++;
      const a = settle(() => pipeline.pull(), deadline);
      const b = pair ? settle(() => pipeline.pull(), deadline) : null;
      const second = pair ? item++ : -1;
      const okA = judge(first, await a);
      const okB = b === null ? true : judge(second, await b);
      if (!okA || !okB) break;
    }
    const expect = (name: string, records: typeof c0.records, f: (i: number) => number) => {
      const got = records.map((r) => ("value" in r ? r.value : `error "${errorKey(r.error)}"`));
      const want = Array.from({ length: completed }, (_, i) => f(i));
      if (JSON.stringify(got.slice(0, completed)) !== JSON.stringify(want) || got.length > item) {
        violate("sink-record", `${name}: expected [${want.join(", ")}], got [${got.join(", ")}]`);
      }
    };
    expect("c0", c0.records, (i) => crashOutput(sourceValue(source, i)));
    if (c1 !== null) expect("c1", c1.records, (i) => sourceValue(source, i));
    // One crash per clone that crashed: an "idle" clone that ran two crash items within
    // its 3 ms ends once. Each marker names the clone (pid/threadId) that wrote it.
    const markers = spec.crashItems.map((i) => `${prefix}-${sourceValue(source, i)}`);
    const crashedClones = () => new Set(markers.filter((m) => existsSync(m)).map((m) => readFileSync(m, "utf8"))).size;
    const unmarked = () => markers.filter((m) => !existsSync(m)).length;
    // A clone that dies while idle does so a little after its item came out.
    for (let i = 0; i < 40 && completed === item && (unmarked() > 0 || crashes.length < crashedClones()); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    if (completed === item && (unmarked() > 0 || crashes.length !== crashedClones())) {
      violate(
        "crash-events",
        `expected ${crashedClones()} cloneCrashed event(s) (${unmarked()} crash item(s) never ran in a clone), got ${crashes.length} [${crashes.join(", ")}]`,
      );
    }
    trace.push(`    crashes: [${crashes.join(", ")}]`);
  } finally {
    if (pipeline.isDeployed) {
      const outcome = await settle(() => pipeline.undeploy(), o.opDeadlineMs);
      if (outcome.kind === "hang") violate("hang:undeploy", `undeploy() did not settle within ${o.opDeadlineMs} ms`);
      else if (outcome.kind === "error") violate("undeploy-rejected", `undeploy() rejected: ${errorKey(outcome.error)}`);
    }
    let left = childProcesses().filter((pid) => !before.has(pid));
    for (let i = 0; i < 20 && left.length > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      left = childProcesses().filter((pid) => !before.has(pid));
    }
    if (left.length > 0) {
      violate("leaked-process", `child process(es) ${left.join(", ")} still alive after undeploy; killed`);
      for (const pid of left) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // gone meanwhile
        }
      }
    }
    await checkThreads(threadsBefore, violate);
    for (const i of spec.crashItems) rmSync(`${prefix}-${sourceValue(source, i)}`, { force: true });
  }
  return { violations, trace, ms: Date.now() - started };
}
