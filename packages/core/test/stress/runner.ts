/**
 * Runs one stress case against the engine and compares everything observable with the
 * reference model: each pipeline pull's outcome, the root output ports after each pull
 * (this iteration's values, or the last successful pull's after a failure), and every
 * collector's record per iteration (per epoch: reset() starts a new one). Every await is bounded, so a hang becomes a violation that names its
 * action; the pipeline is always undeployed (bounded too) and child processes the case
 * left behind are reported and killed.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { END_OF_STREAM } from "./functions.js";
import { build, type Built } from "./build.js";
import { ReferenceModel, type PullOutcome, type ValueOutcome } from "./model.js";
import type { StressOptions } from "./options.js";
import { describeAction, type Action, type CaseSpec, type GraphSpec, type Lag } from "./spec.js";
import type { Recorded } from "./cells.js";
import { managersOf } from "../engine-internals.js";
import type { ScalableCell } from "@cellflow/core";

export interface Violation {
  /** A short category, e.g. "pull-outcome", "sink-record", "root-ports", "hang:reset". */
  readonly kind: string;
  readonly detail: string;
}

export interface CaseResult {
  readonly violations: readonly Violation[];
  /** The actions performed, with what happened. */
  readonly trace: readonly string[];
  readonly ms: number;
}

// ---- small helpers ----------------------------------------------------------------------------

export type Settled<T> = { readonly kind: "ok"; readonly value: T } | { readonly kind: "error"; readonly error: unknown } | { readonly kind: "hang" };

/** Settles `start()` (or its synchronous throw) within `ms`; never rejects, never leaves a rejection unhandled. */
export function settle<T>(start: () => Promise<T>, ms: number): Promise<Settled<T>> {
  let promise: Promise<T>;
  try {
    promise = start();
  } catch (error) {
    return Promise.resolve({ kind: "error", error });
  }
  return settlePromise(promise, ms);
}

export function settlePromise<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<Settled<T>>((resolve) => (timer = setTimeout(() => resolve({ kind: "hang" }), ms)));
  const outcome = promise.then(
    (value): Settled<T> => ({ kind: "ok", value }),
    (error: unknown): Settled<T> => ({ kind: "error", error }),
  );
  return Promise.race([outcome, deadline]).finally(() => clearTimeout(timer));
}

/**
 * What an error means for the comparison: END_OF_STREAM if an EndOfStreamError is
 * anywhere in its cause chain; else the root cause's message (prefixed with its class
 * name unless it is a plain Error, so engine errors such as InactiveError show as such).
 */
export function errorKey(error: unknown): string {
  let e: unknown = error;
  for (let depth = 0; depth < 10; depth++) {
    if (!(e instanceof Error) && !(typeof e === "object" && e !== null && "message" in e)) return String(e);
    const err = e as Error & { cause?: unknown };
    if (err.name === "EndOfStreamError") return END_OF_STREAM;
    if (err.cause === undefined) return err.name === "Error" ? err.message : `${err.name}: ${err.message}`;
    e = err.cause;
  }
  return String(e);
}

export function isAbort(key: string): boolean {
  return key.startsWith("AbortedError");
}

function show(o: PullOutcome | ValueOutcome | { ok: true } | { ok: false; error: string }): string {
  if (!o.ok) return `error "${o.error}"`;
  if ("value" in o) return `value ${o.value}`;
  return "ok";
}

function showRecord(r: Recorded): string {
  return "value" in r ? `value ${r.value}` : `error "${errorKey(r.error)}"`;
}

function showShort(r: Recorded | ValueOutcome): string {
  if ("value" in r) return String(r.value);
  const key = "error" in r && typeof r.error !== "string" ? errorKey(r.error) : (r as { error: string }).error;
  if (key === END_OF_STREAM) return "EOS";
  if (isAbort(key)) return "Aborted";
  const m = /^(source s\d+|op n\d+)/.exec(key);
  return m !== null ? `E(${m[1]})` : `E(${key.slice(0, 40)})`;
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function lagFor(lag: Lag): Promise<void> {
  if (lag === 1) await tick();
  else if (lag === 2) await sleep(1);
}

// ---- leftovers ----------------------------------------------------------------------------------

/** Live (non-zombie) child processes of this process. */
export function childProcesses(): number[] {
  const ps = spawnSync("ps", ["-o", "pid=,stat=", "--ppid", String(process.pid)], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, stat]) => pid !== undefined && pid !== "" && !(stat ?? "").startsWith("Z"))
    .map(([pid]) => Number(pid))
    .filter((pid) => pid !== ps.pid);
}

/** OS threads of this process (worker threads included). */
export function threadCount(): number {
  const status = readFileSync("/proc/self/status", "utf8");
  return Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0);
}

/**
 * After a case: child processes it started that are still alive (the engine must have
 * stopped them by the time undeploy resolves) are reported, then killed by pid.
 */
async function reapChildren(before: ReadonlySet<number>, violate: (kind: string, detail: string) => void): Promise<void> {
  let left = childProcesses().filter((pid) => !before.has(pid));
  if (left.length === 0) return;
  // A process whose exit is on its way gets a moment.
  for (let i = 0; i < 20 && left.length > 0; i++) {
    await sleep(25);
    left = childProcesses().filter((pid) => !before.has(pid));
  }
  if (left.length === 0) return;
  violate("leaked-process", `child process(es) ${left.join(", ")} still alive after undeploy; killed`);
  for (const pid of left) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // gone meanwhile
    }
  }
}

/**
 * Last resort after an undeploy that hung: kill the thread and process clones the
 * scalable cells still hold. This reaches into engine internals (the strategy's managers
 * and their clone handles) on purpose (the child process check below still kills processes).
 */
export async function forceKill(cells: Iterable<ScalableCell>): Promise<void> {
  for (const cell of cells) {
    for (const m of managersOf(cell)) await settle(() => m.handle.kill(), 2_000);
  }
}

/**
 * After a case: more OS threads than before it means a worker thread outlived undeploy
 * (it cannot be killed from here: it is reported, and ends with the test process).
 */
export async function checkThreads(before: number, violate: (kind: string, detail: string) => void): Promise<void> {
  for (let i = 0; i < 40 && threadCount() > before; i++) await sleep(25);
  const after = threadCount();
  if (after > before) violate("leaked-thread", `${after - before} more OS thread(s) after undeploy than before the case (${before} -> ${after})`);
}

// ---- the case -----------------------------------------------------------------------------------

interface Epoch {
  /** What ended it with a pull in flight, if anything. */
  cutBy: "reset" | "undeploy" | null;
  /** Pulls issued in this epoch (including one in flight when it ended). */
  issued: number;
  /** Pulls whose outcome came back and was compared. */
  completed: number;
}

export async function runCase(spec: CaseSpec, o: StressOptions): Promise<CaseResult> {
  const started = Date.now();
  const violations: Violation[] = [];
  const trace: string[] = [];
  const violate = (kind: string, detail: string) => {
    violations.push({ kind, detail });
    trace.push(`    !! ${kind}: ${detail}`);
  };
  const graph = spec.graph;
  const model = new ReferenceModel(graph);
  const childrenBefore = new Set(childProcesses());
  const threadsBefore = threadCount();

  let built: Built;
  try {
    built = build(graph);
  } catch (error) {
    violate("build", `building the graph threw: ${(error as Error).stack ?? String(error)}`);
    return { violations, trace, ms: Date.now() - started };
  }
  const { pipeline, collectors, scalables } = built;
  const epochs: Epoch[] = [{ cutBy: null, issued: 0, completed: 0 }];
  const current = () => epochs[epochs.length - 1]!;
  const background: Array<{ what: string; promise: Promise<Settled<unknown>> }> = [];

  /** The root ports' values after the last successful pull of this epoch (null: none yet). */
  let lastPorts: Readonly<Record<string, number>> | null = null;

  /** Compares pull `iteration`'s outcome; returns false on a hang (the case stops). */
  const judgePull = (what: string, iteration: number, outcome: Settled<unknown>, checkPorts: boolean): boolean => {
    const expected = model.at(iteration).pipeline;
    if (outcome.kind === "hang") {
      violate(`hang:${what}`, `pull ${iteration} (epoch ${epochs.length - 1}) did not settle within ${o.pullDeadlineMs} ms; expected ${show(expected)}`);
      return false;
    }
    current().completed++;
    const got = outcome.kind === "ok" ? { ok: true as const } : { ok: false as const, error: errorKey(outcome.error) };
    trace.push(`    pull ${iteration}: ${show(got)}`);
    if (expected.ok !== got.ok || (!expected.ok && !got.ok && expected.error !== got.error)) {
      violate("pull-outcome", `pull ${iteration} (epoch ${epochs.length - 1}): expected ${show(expected)}, got ${show(got)}`);
    } else if (checkPorts && graph.rootPorts.length > 0 && (expected.ok || lastPorts !== null)) {
      // After a successful pull the ports hold its values; after a failed one they keep
      // those of the last successful pull (of this epoch: before any, nothing is checked).
      const want = JSON.stringify(expected.ok ? expected.ports : lastPorts);
      const have = JSON.stringify(pipeline.outputValues());
      if (want !== have) {
        violate(
          expected.ok ? "root-ports" : "root-ports-after-failure",
          `after pull ${iteration} (epoch ${epochs.length - 1}, ${expected.ok ? "ok" : "failed"}): outputValues() expected ${want}, got ${have}`,
        );
      }
    }
    if (expected.ok && got.ok) lastPorts = expected.ports;
    return true;
  };

  const pull = () => {
    const iteration = current().issued++;
    return { iteration, done: settlePromise(pipeline.pull(), o.pullDeadlineMs) };
  };

  const newEpoch = () => {
    epochs.push({ cutBy: null, issued: 0, completed: 0 });
    lastPorts = null;
    collectors.forEach((c, k) => {
      if (c.epoch !== epochs.length - 1) {
        violate("reset-missed", `after reset() number ${epochs.length - 1}, ${graph.collectors[k]!.name}'s onReset ran ${c.epoch} time(s)`);
        c.epoch = epochs.length - 1;
      }
    });
  };

  /** Runs one action; false: stop the case. */
  const perform = async (action: Action): Promise<boolean> => {
    switch (action.kind) {
      case "pull": {
        const p = pull();
        return judgePull("pull", p.iteration, await p.done, true);
      }
      case "pullPair": {
        const first = pull();
        const second = pull();
        const ok = judgePull("pull", first.iteration, await first.done, false);
        const second_ = await second.done;
        return judgePull("pull", second.iteration, second_, true) && ok;
      }
      case "scaleUp":
      case "scaleDown": {
        const cell = scalables.get(action.node)!;
        const what = action.kind;
        const done = settle(
          () => (action.kind === "scaleUp" ? cell.scaleUp(action.times, action.method) : cell.scaleDown(action.times)),
          o.opDeadlineMs,
        );
        if (!action.awaited) {
          background.push({ what: `${what} of ${graph.nodes[action.node]!.name}`, promise: done });
          return true;
        }
        const outcome = await done;
        if (outcome.kind === "hang") {
          violate(`hang:${what}`, `${describeAction(graph, action)} did not settle within ${o.opDeadlineMs} ms`);
          return false;
        }
        if (outcome.kind === "error") violate(`${what}-rejected`, `${describeAction(graph, action)} rejected: ${errorKey(outcome.error)}`);
        return true;
      }
      case "reset": {
        const inFlight = action.inFlight ? pull() : null;
        if (inFlight !== null) {
          current().cutBy = "reset";
          await lagFor(action.lag);
        }
        const outcome = await settle(() => pipeline.reset(), o.opDeadlineMs);
        if (outcome.kind === "hang") {
          violate("hang:reset", `reset() did not settle within ${o.opDeadlineMs} ms`);
          return false;
        }
        if (outcome.kind === "error") violate("reset-rejected", `reset() rejected: ${errorKey(outcome.error)}`);
        newEpoch();
        if (inFlight !== null) {
          const settled = await inFlight.done;
          if (settled.kind === "hang") {
            violate("hang:pull-in-flight-at-reset", `the pull in flight at reset() never settled (${o.pullDeadlineMs} ms)`);
            return false;
          }
          trace.push(`    in-flight pull: ${settled.kind === "ok" ? "ok" : `error "${errorKey(settled.error)}"`}`);
        }
        return true;
      }
      case "undeployInFlight": {
        const inFlight = pull();
        current().cutBy = "undeploy";
        await lagFor(action.lag);
        const outcome = await settle(() => pipeline.undeploy(), o.opDeadlineMs);
        if (outcome.kind === "hang") violate("hang:undeploy", `undeploy() with a pull in flight did not settle within ${o.opDeadlineMs} ms`);
        else if (outcome.kind === "error") violate("undeploy-rejected", `undeploy() rejected: ${errorKey(outcome.error)}`);
        const settled = await inFlight.done;
        if (settled.kind === "hang") violate("hang:pull-in-flight-at-undeploy", `the pull in flight at undeploy() never settled (${o.pullDeadlineMs} ms)`);
        else trace.push(`    in-flight pull: ${settled.kind === "ok" ? "ok" : `error "${errorKey(settled.error)}"`}`);
        return false;
      }
    }
  };

  try {
    const deployed = await settle(() => pipeline.deploy(), o.opDeadlineMs);
    if (deployed.kind !== "ok") {
      violate(deployed.kind === "hang" ? "hang:deploy" : "deploy-rejected", deployed.kind === "hang" ? "deploy() hung" : errorKey(deployed.error));
      return { violations, trace, ms: Date.now() - started };
    }
    let hung = false;
    let undeployedEarly = false;
    for (const action of spec.actions) {
      trace.push(`  ${describeAction(graph, action)}`);
      if (!(await perform(action))) {
        if (action.kind === "undeployInFlight") undeployedEarly = true;
        else hung = true;
        break;
      }
    }
    if (!hung) {
      for (const b of background) {
        const outcome = await b.promise;
        const what = b.what.split(" ")[0];
        if (outcome.kind === "hang") violate(`hang:${what}`, `${b.what} (not awaited) never settled`);
        // Scaling that was still going on when undeploy() came may be refused.
        else if (outcome.kind === "error" && !undeployedEarly) {
          violate(`${what}-rejected`, `${b.what} (not awaited) rejected: ${errorKey(outcome.error)}`);
        }
      }
    }
    const before = violations.length;
    compareRecords(graph.collectors.map((c) => c.name), collectors, runsAhead(graph), epochs, model, violate);
    if (violations.length > before) {
      // What every collector saw, per epoch, next to what the model says.
      trace.push("  records (epoch: got | model):");
      graph.collectors.forEach((c, k) => {
        epochs.forEach((epoch, e) => {
          const got = collectors[k]!.records.filter((r) => r.epoch === e).map(showShort);
          const want = Array.from({ length: Math.max(epoch.issued, got.length) }, (_, t) => showShort(model.at(t).collectors[k]!));
          trace.push(`    ${c.name} e${e}: [${got.join(" ")}] | [${want.join(" ")}]`);
        });
      });
    }
  } finally {
    if (pipeline.isDeployed) {
      const outcome = await settle(() => pipeline.undeploy(), o.opDeadlineMs);
      if (outcome.kind === "hang") {
        violate("hang:undeploy", `final undeploy() did not settle within ${o.opDeadlineMs} ms`);
        await forceKill(scalables.values());
      } else if (outcome.kind === "error") violate("undeploy-rejected", `final undeploy() rejected: ${errorKey(outcome.error)}`);
    }
    await reapChildren(childrenBefore, violate);
    await checkThreads(threadsBefore, violate);
  }
  return { violations, trace, ms: Date.now() - started };
}

/**
 * Collectors that may be pulled ahead of the pipeline's pulls: those inside a group that
 * feeds a scalable cell (outside the group), whose clone managers pull their inputs
 * eagerly. Their extra records must still match the model.
 */
export function runsAhead(graph: GraphSpec): boolean[] {
  const succ = graph.nodes.map(() => [] as number[]);
  graph.nodes.forEach((n, i) => {
    if (n.kind !== "op") return;
    for (const r of [...n.inputs, ...(n.scalable?.skip ? [n.scalable.skip] : [])]) if (!r.recurrent) succ[r.node]!.push(i);
  });
  const feedsScalable = (group: number): boolean => {
    const stack = [graph.groups[group]!.last];
    const seen = new Set(stack);
    while (stack.length > 0) {
      const x = stack.pop()!;
      const node = graph.nodes[x]!;
      if (node.kind === "op" && node.scalable !== null && node.group !== group) return true;
      for (const y of succ[x]!) if (!seen.has(y)) (seen.add(y), stack.push(y));
    }
    return false;
  };
  return graph.collectors.map((c) => c.group !== null && feedsScalable(c.group));
}

/** Each collector's records of each epoch against the model's first iterations. */
function compareRecords(
  names: readonly string[],
  collectors: readonly { records: readonly Recorded[] }[],
  ahead: readonly boolean[],
  epochs: readonly Epoch[],
  model: ReferenceModel,
  violate: (kind: string, detail: string) => void,
): void {
  epochs.forEach((epoch, e) => {
    collectors.forEach((collector, k) => {
      const records = collector.records.filter((r) => r.epoch === e);
      for (let t = 0; t < records.length; t++) {
        const r = records[t]!;
        if (t >= epoch.issued && !ahead[k]) {
          violate("sink-record", `${names[k]} (epoch ${e}) has ${records.length} records but only ${epoch.issued} pulls were issued; record ${t}: ${showRecord(r)}`);
          return;
        }
        const expected = model.at(t).collectors[k]!;
        const key = "value" in r ? null : errorKey(r.error);
        const matches = expected.ok ? "value" in r && r.value === expected.value : key === expected.error;
        if (matches) continue;
        // The pull in flight at a reset or undeploy may be cut short (at undeploy, a cell it
        // reaches may also say it is no longer deployed).
        if (t >= epoch.completed && key !== null && (isAbort(key) || (epoch.cutBy === "undeploy" && key.startsWith("NotDeployedError")))) continue;
        violate("sink-record", `${names[k]} (epoch ${e}) iteration ${t}: expected ${show(expected)}, got ${showRecord(r)}`);
        return;
      }
      if (records.length < epoch.completed) {
        violate("sink-record", `${names[k]} (epoch ${e}) has ${records.length} records after ${epoch.completed} completed pulls`);
      }
    });
  });
}
