/**
 * Stress suite: random graphs run by the engine against a plain sequential reference
 * model (model.ts). See docs/stress-testing.md for what is checked and how to run it;
 * `pnpm stress` runs the same file with thousands of cases. Every property prints a
 * summary (cases, violations by kind with the seed and path that replay them, and the
 * features the violating cases share) and fails if any case violated the model.
 */
import { spawnSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { END_OF_STREAM, INIT, opOutputs, type OpParams } from "./functions.js";
import { caseArb, caseTags } from "./generator.js";
import { ReferenceModel } from "./model.js";
import { BASELINE, FEATURES, env, optionsFrom, parseFeatures, type Feature, type StressOptions } from "./options.js";
import { crashArb, describeCrash, runCrashCase, type CrashSpec } from "./crash.js";
import { runCase, type CaseResult } from "./runner.js";
import { describeCase, type CaseSpec, type GraphSpec, type OpSpec, type SourceSpec } from "./spec.js";
import { PropertyStats } from "./summary.js";

const FILE = "packages/core/test/stress/random-graphs.test.ts";
const features = parseFeatures(env.featuresText);
const mainOptions = optionsFrom(features);
const baselineOptions = optionsFrom(BASELINE);
const runs = Math.max(0, env.runs);
const baselineRuns = Number(process.env.CELLFLOW_STRESS_BASELINE_RUNS ?? Math.max(30, Math.round(runs / 4)));
const crashRuns = Number(process.env.CELLFLOW_STRESS_CRASH_RUNS ?? Math.max(2, Math.round(runs / 40)));
const repeat = Math.max(1, Number(process.env.CELLFLOW_STRESS_REPEAT ?? 1));
const isolateRuns = Number(process.env.CELLFLOW_STRESS_ISOLATE_RUNS ?? 0);
/** A generous bound for a whole property; each case bounds its own awaits far more tightly. */
const timeoutFor = (n: number) => 120_000 + n * 30_000;

const allStats: PropertyStats[] = [];

/**
 * The commit the engine was at when this file loaded it, and whether its sources had
 * changes on top (violations come and go with fixes).
 */
const engine = ((): string => {
  const git = (...args: string[]) => spawnSync("git", args, { encoding: "utf8" }).stdout?.trim() ?? "";
  const head = git("rev-parse", "--short", "HEAD") || "unknown commit";
  const dirty = git("status", "--porcelain", "packages/core/src") !== "";
  return `${head}${dirty ? " + uncommitted changes in packages/core/src" : ""}`;
})();

afterAll(() => {
  if (allStats.length === 0) return;
  const cases = allStats.reduce((n, s) => n + s.cases, 0);
  const bad = allStats.reduce((n, s) => n + s.violating.length, 0);
  console.log(
    [`[stress] SUMMARY: ${cases} case(s) run, ${bad} with violations (engine ${engine})`, ...allStats.map((s) => s.text())].join("\n\n"),
  );
  if (env.report !== undefined) for (const s of allStats) s.writeJson(env.report);
});

interface PropertyRun<S> {
  /** The test's name (a `-t` pattern that selects it). */
  readonly title: string;
  readonly arb: fc.Arbitrary<S>;
  readonly runs: number;
  readonly run: (spec: S) => Promise<CaseResult>;
  readonly describe: (spec: S) => string;
  readonly tags: (spec: S) => string[];
  /** The CELLFLOW_STRESS_FEATURES a replay needs (undefined: the property ignores it). */
  readonly featuresText?: string;
  /** Stop starting new cases after this long when the counts are the defaults (`pnpm test`). */
  readonly defaultBudgetMs?: number;
}

/**
 * Runs a property. `collect` mode (default) runs every case and records violations
 * instead of failing at the first, so one run lists them all; `shrink` mode fails at the
 * first and lets fast-check shrink it (time-capped: clones make every run slow).
 */
async function property<S>(p: PropertyRun<S>): Promise<PropertyStats> {
  const reproduce = (path: string) =>
    [
      `CELLFLOW_STRESS_SEED=${env.seed}`,
      `CELLFLOW_STRESS_PATH=${path}`,
      ...(p.featuresText !== undefined ? [`CELLFLOW_STRESS_FEATURES=${p.featuresText}`] : []),
      ...(process.env.CELLFLOW_STRESS_METHODS ? [`CELLFLOW_STRESS_METHODS=${process.env.CELLFLOW_STRESS_METHODS}`] : []),
      `npx vitest run ${FILE} -t "${p.title.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}"`,
    ].join(" ");
  const stats = new PropertyStats(p.title, env.seed, reproduce);
  allStats.push(stats);
  let index = 0;
  let shrinking = false;
  const shrinkKinds = new Set<string>();
  const started = Date.now();
  // The time limit is kept here rather than with fast-check's interruptAfterTimeLimit,
  // which races the running case and leaves it running in the background (pipeline,
  // clones and all): past the limit, the remaining cases (or shrink attempts) pass untried.
  const limit =
    env.mode === "shrink"
      ? (env.timeLimitMs ?? 120_000)
      : (env.timeLimitMs ?? (env.defaultCounts && env.path === undefined ? p.defaultBudgetMs : undefined));
  const stopAt = limit === undefined ? Infinity : started + limit;
  let skipped = 0;
  const predicate = async (spec: S): Promise<boolean> => {
    if (Date.now() > stopAt) {
      skipped++;
      return true;
    }
    const path = env.path !== undefined && index === 0 ? env.path : String(index);
    index++;
    // CELLFLOW_STRESS_REPEAT runs each case that many times (timing-dependent violations), keeping the first that fails.
    let result = await p.run(spec);
    for (let r = 1; r < repeat && result.violations.length === 0; r++) result = await p.run(spec);
    // fast-check is shrinking: only the verdict matters, and only violations of the kind being shrunk count.
    if (shrinking) return !result.violations.some((v) => shrinkKinds.has(v.kind));
    const tags = p.tags(spec);
    stats.record(path, tags, result);
    if (result.violations.length === 0) return true;
    const kinds = [...new Set(result.violations.map((v) => v.kind))];
    const text = [
      `[stress] VIOLATION in "${p.title}" (seed ${env.seed}, path ${path}): ${kinds.join(", ")}`,
      `graph:`,
      p.describe(spec),
      `what happened:`,
      ...result.trace,
      `replay: ${reproduce(path)}`,
    ].join("\n");
    if (env.mode === "shrink") {
      const wanted = process.env.CELLFLOW_STRESS_SHRINK_KIND;
      if (wanted !== undefined && !kinds.includes(wanted)) return true;
      console.log(text);
      for (const k of wanted !== undefined ? [wanted] : kinds) shrinkKinds.add(k);
      shrinking = true;
      return false;
    }
    if (env.verbose || stats.isEarlyExample(kinds)) console.log(text);
    return true;
  };
  const details = await fc.check(fc.asyncProperty(p.arb, predicate), {
    seed: env.seed,
    // A path replays that one case (fast-check would otherwise go on from there).
    numRuns: env.path !== undefined ? 1 : p.runs,
    ...(env.path !== undefined ? { path: env.path } : {}),
    endOnFailure: env.mode !== "shrink",
  });
  if (skipped > 0) stats.markInterrupted();
  if (details.failed && details.counterexample !== null) {
    // Shrink mode: run the smallest counterexample found once more, to show what it does.
    const smallest = details.counterexample[0];
    const again = await p.run(smallest);
    const text = [
      `[stress] SHRUNK COUNTEREXAMPLE of "${p.title}" after ${details.numShrinks} shrink(s)` +
        ` (seed ${env.seed}, fast-check path ${details.counterexamplePath ?? "?"}):`,
      p.describe(smallest),
      `what happened (run once more):`,
      ...again.trace,
      ...(again.violations.length === 0 ? ["  (no violation this time: timing-dependent; CELLFLOW_STRESS_REPEAT helps)"] : []),
    ].join("\n");
    console.log(text);
    throw new Error(`${text}\n\n${stats.text()}`);
  }
  console.log(`${stats.text()}\n  (${((Date.now() - started) / 1000).toFixed(1)} s wall)`);
  return stats;
}

function expectNoViolations(stats: PropertyStats): void {
  expect(stats.violating.length, `violations found:\n${stats.text()}`).toBe(0);
}

// ---- the reference model, checked by hand ------------------------------------------------------

const params = (id: number, extra: Partial<OpParams> = {}): OpParams => ({
  id,
  k: 1,
  c: 0,
  failMod: 0,
  failRes: 0,
  delay: "none",
  pullMode: "seq",
  ...extra,
});
const src = (id: number, extra: Partial<SourceSpec> = {}): SourceSpec => ({
  kind: "source",
  name: `s${id}`,
  id,
  base: 10,
  step: 1,
  length: null,
  failItems: [],
  ...extra,
});
const op = (id: number, inputs: OpSpec["inputs"], extra: Partial<OpSpec> = {}): OpSpec => ({
  kind: "op",
  name: `n${id}`,
  id,
  nIn: inputs.length,
  nOut: 1,
  init: false,
  inputs,
  params: params(id),
  group: null,
  scalable: null,
  ...extra,
});
const fwd = (node: number, output = 0) => ({ node, output, recurrent: false });
const rec = (node: number) => ({ node, output: 0, recurrent: true });

describe("the reference model", () => {
  it("propagates a source's error unchanged, and the first failing sink in declaration order fails the pull", () => {
    const graph: GraphSpec = {
      nodes: [src(0, { failItems: [1] }), src(1, { failItems: [1, 2] }), op(2, [fwd(1), fwd(0)])],
      groups: [],
      collectors: [
        { name: "c0", from: fwd(0), group: null },
        { name: "c1", from: fwd(2), group: null },
      ],
      rootPorts: [],
    };
    const m = new ReferenceModel(graph);
    // n2 reads s1 first: at item 1 both fail, n2 carries s1's error.
    expect(m.at(1).nodes[2]).toEqual({ ok: false, error: "source s1 fails on item 1" });
    expect(m.at(1).pipeline).toEqual({ ok: false, error: "source s0 fails on item 1" }); // c0 is the first sink
    expect(m.at(2).pipeline).toEqual({ ok: false, error: "source s1 fails on item 2" });
    expect(m.at(0).collectors).toEqual([
      { ok: true, value: 10 },
      { ok: true, value: opOutputs(params(2), [10, 10], 1)[0] },
    ]);
  });

  it("ends with END_OF_STREAM past a finite source, only for what depends on it", () => {
    const graph: GraphSpec = {
      nodes: [src(0, { length: 2 }), src(1), op(2, [fwd(1)])],
      groups: [],
      collectors: [
        { name: "c0", from: fwd(2), group: null },
        { name: "c1", from: fwd(0), group: null },
      ],
      rootPorts: [fwd(2)],
    };
    const m = new ReferenceModel(graph);
    expect(m.at(1).pipeline.ok).toBe(true);
    expect(m.at(2).pipeline).toEqual({ ok: false, error: END_OF_STREAM });
    expect(m.at(2).collectors[0]).toEqual({ ok: true, value: opOutputs(params(2), [12], 1)[0] });
    expect(m.at(1).pipeline).toEqual({ ok: true, ports: { root0: opOutputs(params(2), [11], 1)[0] } });
  });

  it("gives a recurrent input the previous iteration's value, INIT first, the last good value after a failure", () => {
    // n1 reads s0 and its own out0 of the previous iteration.
    const graph: GraphSpec = {
      nodes: [src(0, { failItems: [1] }), op(1, [fwd(0), rec(1)], { init: true })],
      groups: [],
      collectors: [{ name: "c0", from: fwd(1), group: null }],
      rootPorts: [],
    };
    const m = new ReferenceModel(graph);
    const f = (a: number, r: number) => opOutputs(params(1), [a, r], 1)[0]!;
    const v0 = f(10, INIT);
    expect(m.at(0).collectors[0]).toEqual({ ok: true, value: v0 });
    expect(m.at(1).collectors[0]).toEqual({ ok: false, error: "source s0 fails on item 1" });
    expect(m.at(2).collectors[0]).toEqual({ ok: true, value: f(12, v0) }); // last good value: iteration 0's
  });

  it("treats a recurrent connection that closes no cycle the same way (producer declared first)", () => {
    const graph: GraphSpec = {
      nodes: [src(0), op(1, [fwd(0)], { init: true }), op(2, [fwd(0), rec(1)])],
      groups: [],
      collectors: [{ name: "c0", from: fwd(2), group: null }],
      rootPorts: [],
    };
    const m = new ReferenceModel(graph);
    const n1 = (i: number) => opOutputs(params(1), [10 + i], 1)[0]!;
    const n2 = (i: number, r: number) => opOutputs(params(2), [10 + i, r], 1)[0]!;
    expect(m.at(0).collectors[0]).toEqual({ ok: true, value: n2(0, INIT) });
    expect(m.at(1).collectors[0]).toEqual({ ok: true, value: n2(1, n1(0)) });
    // n1 has no forward consumer: it is a sink of its own, declared before c0.
    expect(m.sinks.map((s) => (s.kind === "node" ? `n${s.node}` : s.kind))).toEqual(["n1", "collector"]);
  });
});

// ---- the generator ---------------------------------------------------------------------------------

describe("the generator", () => {
  it("makes cases with every feature (sampled, no engine)", () => {
    const samples = fc.sample(caseArb(optionsFrom(FEATURES, { methodWeights: { async: 60, thread: 20, process: 20 } })), {
      numRuns: 400,
      seed: 7,
    });
    const seen = new Set(samples.flatMap(caseTags));
    for (const tag of [
      "source-failures",
      "op-failures",
      "finite",
      "scalable",
      "multi-input-scalable",
      "queueCapacity",
      "skip",
      "thread",
      "process",
      "recurrent-cycle",
      "recurrent-no-cycle",
      "recurrent-into-scalable",
      "recurrent-from-scalable",
      "nesting",
      "scalable-in-group",
      "rootPorts",
      "concurrentPulls",
      "scaleUp",
      "scaleDown",
      "reset",
      "resetInFlight",
      "midUndeploy",
    ]) {
      expect(seen.has(tag), tag).toBe(true);
    }
    // One source feeding both a scalable and a plain operator.
    expect(
      samples.some((s) =>
        s.graph.nodes.some((n, i) => {
          if (n.kind !== "source") return false;
          const readers = s.graph.nodes.filter((m): m is OpSpec => m.kind === "op" && m.inputs.some((r) => r.node === i && !r.recurrent));
          return readers.some((m) => m.scalable !== null) && readers.some((m) => m.scalable === null);
        }),
      ),
    ).toBe(true);
    // A scalable operator with several inputs fed by different sources.
    expect(
      samples.some((s) =>
        s.graph.nodes.some(
          (n) => n.kind === "op" && n.scalable !== null && new Set(n.inputs.filter((r) => s.graph.nodes[r.node]!.kind === "source").map((r) => r.node)).size > 1,
        ),
      ),
    ).toBe(true);
  });

  it("turns features off", () => {
    const samples = fc.sample(caseArb(optionsFrom(BASELINE)), { numRuns: 200, seed: 3 });
    const seen = new Set(samples.flatMap(caseTags));
    for (const tag of ["source-failures", "op-failures", "finite", "scalable", "reset", "resetInFlight", "scaleUp", "midUndeploy"]) {
      expect(seen.has(tag), tag).toBe(false);
    }
  });
});

// ---- the properties ------------------------------------------------------------------------------

const featureList = (set: ReadonlySet<Feature>) => FEATURES.filter((f) => set.has(f)).join(",");

describe("random graphs vs the reference model", () => {
  it(
    "baseline: plain graphs (no scalable cells, failures, ends or resets) match the model",
    async () => {
      const stats = await property<CaseSpec>({
        title: "baseline: plain graphs",
        arb: caseArb(baselineOptions),
        runs: baselineRuns,
        run: (spec) => runCase(spec, baselineOptions),
        describe: describeCase,
        tags: caseTags,
      });
      expectNoViolations(stats);
    },
    timeoutFor(baselineRuns),
  );

  it.skipIf(runs === 0)(
    `random graphs: ${featureList(features)}`,
    async () => {
      const stats = await property<CaseSpec>({
        title: "random graphs:",
        arb: caseArb(mainOptions),
        runs,
        run: (spec) => runCase(spec, mainOptions),
        describe: describeCase,
        tags: caseTags,
        featuresText: env.featuresText ?? "all",
        defaultBudgetMs: 25_000,
      });
      expectNoViolations(stats);
    },
    timeoutFor(runs),
  );

  it.skipIf(crashRuns === 0 || (!features.has("threads") && !features.has("processes")))(
    "crashes: thread/process clones that exit mid-item lose nothing (replaceCrashedClones on and off)",
    async () => {
      const stats = await property<CrashSpec>({
        title: "crashes:",
        arb: crashArb(mainOptions),
        runs: crashRuns,
        run: (spec) => runCrashCase(spec, mainOptions),
        describe: describeCrash,
        tags: (spec) => [
          spec.replace ? "replace" : "no-replace",
          ...new Set(spec.clones),
          ...(spec.pulls.some((x) => x) ? ["concurrentPulls"] : []),
          ...(spec.queueCapacity !== null ? ["queueCapacity"] : []),
          ...(spec.fanOut ? ["fanOut"] : []),
          spec.when === "item" ? "crash-mid-item" : "crash-idle",
          ...(spec.slowSource ? ["slowSource"] : []),
        ],
        featuresText: env.featuresText ?? "all",
        defaultBudgetMs: 12_000,
      });
      expectNoViolations(stats);
    },
    timeoutFor(crashRuns),
  );
});

/** Baseline plus one feature (and what it needs), to see which feature brings violations. */
const ISOLATED: ReadonlyArray<readonly Feature[]> = [
  ["failures"],
  ["finite"],
  ["scalable"],
  ["scalable", "failures"],
  ["scalable", "finite"],
  ["scalable", "threads", "processes"],
  ["scalable", "queueCapacity"],
  ["scalable", "skip"],
  ["scalable", "scaleUp"],
  ["scalable", "scaleDown"],
  ["reset"],
  ["resetInFlight"],
  ["scalable", "reset", "resetInFlight"],
  ["midUndeploy"],
];

describe.skipIf(isolateRuns === 0)("one feature at a time (CELLFLOW_STRESS_ISOLATE_RUNS)", () => {
  for (const extra of ISOLATED) {
    const set = new Set<Feature>([...BASELINE, ...extra]);
    const options: StressOptions = optionsFrom(set);
    const title = `baseline+${extra.join("+")}`;
    it(
      title,
      async () => {
        const stats = await property<CaseSpec>({
          title,
          arb: caseArb(options),
          runs: isolateRuns,
          run: (spec) => runCase(spec, options),
          describe: describeCase,
          tags: caseTags,
          featuresText: `baseline,${extra.join(",")}`,
        });
        expectNoViolations(stats);
      },
      timeoutFor(isolateRuns),
    );
  }
});
