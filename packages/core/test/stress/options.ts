/**
 * Switches of the stress suite: which features the generator may use, how often each
 * clone method appears, sizes and deadlines. Everything can be set from environment
 * variables, so whoever fixes the engine can turn features on and off one at a time:
 *
 *   CELLFLOW_STRESS_FEATURES  comma list applied left to right: `all`, `none`, `baseline`,
 *                             a feature name (or `+name`) turns it on, `-name` off.
 *                             Default: `all`. E.g. `baseline,failures` or `all,-reset`.
 *   CELLFLOW_STRESS_METHODS   clone method weights, e.g. `async=92,thread=4,process=4` (default).
 *   CELLFLOW_STRESS_RUNS      cases of the main property (default 30); the baseline property runs
 *                             max(30, RUNS/4) and the crash property max(2, RUNS/40), unless
 *                             CELLFLOW_STRESS_BASELINE_RUNS / CELLFLOW_STRESS_CRASH_RUNS say otherwise.
 *   CELLFLOW_STRESS_ISOLATE_RUNS  cases per "baseline + one feature" property (default 0: skipped).
 *   CELLFLOW_STRESS_SEED      fast-check seed (default fixed; `random` picks one).
 *   CELLFLOW_STRESS_PATH      replay one case: the path printed with a violation
 *                             (CELLFLOW_STRESS_REPEAT=n runs it up to n times, for timing-dependent ones).
 *   CELLFLOW_STRESS_MODE      `collect` (default: run every case, list all violations) or
 *                             `shrink` (stop at the first violation and let fast-check shrink it, time-capped,
 *                             keeping its kinds of violation; CELLFLOW_STRESS_SHRINK_KIND picks one, e.g. hang:pull).
 *   CELLFLOW_STRESS_MAX_OPS   operators per graph (default 6); CELLFLOW_STRESS_MAX_ACTIONS (default 12).
 *   CELLFLOW_STRESS_DEADLINE_MS  bound on one pull (default 3000); scale/reset/undeploy get 3x.
 *   CELLFLOW_STRESS_TIME_LIMIT_S stop starting new cases of a property after this long (default: none;
 *                             with the default counts, i.e. in `pnpm test`, 25 s for the main property and
 *                             12 s for crashes, so a broken engine whose cases hang cannot stretch the run).
 *   CELLFLOW_STRESS_REPORT    write the summary as JSON to this file as well.
 *   CELLFLOW_STRESS_VERBOSE   1: print every violating case in full (default: the first 3 per kind).
 */
import type { Method } from "./spec.js";

export const FEATURES = [
  /** Sources throw on chosen items; operators throw when a predicate of their inputs holds. */
  "failures",
  /** Finite sources (length 0..6) and pulls past their end. */
  "finite",
  /** Operators wrapped in ScalableCells (async clones unless `threads`/`processes`). */
  "scalable",
  /** "thread" clones (weight from CELLFLOW_STRESS_METHODS). */
  "threads",
  /** "process" clones (weight from CELLFLOW_STRESS_METHODS). */
  "processes",
  /** queueCapacity 1 or 2 on some scalable cells. */
  "queueCapacity",
  /** Skip connections input port -> output port in some scalable cells. */
  "skip",
  /** Recurrent connections (outputs with initialValue), closing a cycle or none. */
  "recurrent",
  /** Groups of operators inside nested Pipelines with ports. */
  "nesting",
  /** The root pipeline's own OutputPorts, checked with outputValues() after each successful pull. */
  "rootPorts",
  /** Operators wait a microtask or a macrotask (0–2 ms) per item. */
  "delays",
  /** Two pulls issued without awaiting the first. */
  "concurrentPulls",
  /** scaleUp(n, method) while deployed, awaited or not. */
  "scaleUp",
  /** scaleDown(n) while deployed, awaited or not (never below one clone). */
  "scaleDown",
  /** reset() between pulls. */
  "reset",
  /** reset() while a pull is in flight. */
  "resetInFlight",
  /** undeploy() while a pull is in flight (ends the case). */
  "midUndeploy",
] as const;

export type Feature = (typeof FEATURES)[number];

/** Plain graphs the engine is expected to get right: no scalable cells, failures, ends or resets. */
export const BASELINE: readonly Feature[] = ["recurrent", "nesting", "rootPorts", "delays", "concurrentPulls"];

export interface StressOptions {
  readonly features: ReadonlySet<Feature>;
  readonly methodWeights: Readonly<Record<Method, number>>;
  readonly maxOps: number;
  readonly maxActions: number;
  readonly pullDeadlineMs: number;
  readonly opDeadlineMs: number;
}

export function parseFeatures(text: string | undefined, start: readonly Feature[] = FEATURES): Set<Feature> {
  const features = new Set<Feature>(start);
  if (text === undefined || text.trim() === "") return features;
  for (const raw of text.split(",").map((t) => t.trim()).filter((t) => t !== "")) {
    if (raw === "all") FEATURES.forEach((f) => features.add(f));
    else if (raw === "none") features.clear();
    else if (raw === "baseline") {
      features.clear();
      BASELINE.forEach((f) => features.add(f));
    } else {
      const off = raw.startsWith("-");
      const name = raw.replace(/^[+-]/, "") as Feature;
      if (!FEATURES.includes(name)) throw new Error(`CELLFLOW_STRESS_FEATURES: unknown feature "${name}"; known: ${FEATURES.join(", ")}`);
      if (off) features.delete(name);
      else features.add(name);
    }
  }
  return features;
}

export function parseMethods(text: string | undefined): Record<Method, number> {
  const weights: Record<Method, number> = { async: 92, thread: 4, process: 4 };
  if (text === undefined || text.trim() === "") return weights;
  for (const part of text.split(",")) {
    const [name, weight] = part.split("=").map((s) => s.trim());
    if (name !== "async" && name !== "thread" && name !== "process") throw new Error(`CELLFLOW_STRESS_METHODS: unknown method "${name}"`);
    weights[name] = Number(weight);
  }
  return weights;
}

function int(name: string, fallback: number): number {
  const value = process.env[name];
  if (value === undefined || value === "") return fallback;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got "${value}"`);
  return n;
}

export function optionsFrom(features: Iterable<Feature>, overrides: Partial<StressOptions> = {}): StressOptions {
  const pullDeadlineMs = int("CELLFLOW_STRESS_DEADLINE_MS", 3_000);
  return {
    features: new Set(features),
    methodWeights: parseMethods(process.env.CELLFLOW_STRESS_METHODS),
    maxOps: int("CELLFLOW_STRESS_MAX_OPS", 6),
    maxActions: int("CELLFLOW_STRESS_MAX_ACTIONS", 12),
    pullDeadlineMs,
    opDeadlineMs: 3 * pullDeadlineMs,
    ...overrides,
  };
}

/** The settings of this run, read from the environment. */
export const env = {
  runs: int("CELLFLOW_STRESS_RUNS", 30),
  seed: ((): number => {
    const text = process.env.CELLFLOW_STRESS_SEED;
    if (text === undefined || text === "") return 20_250_611;
    if (text === "random") return (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
    return Number(text) | 0;
  })(),
  path: process.env.CELLFLOW_STRESS_PATH || undefined,
  mode: (process.env.CELLFLOW_STRESS_MODE === "shrink" ? "shrink" : "collect") as "collect" | "shrink",
  timeLimitMs: int("CELLFLOW_STRESS_TIME_LIMIT_S", 0) * 1000 || undefined,
  /** Whether the counts are the defaults (the `pnpm test` share), which also get a time budget. */
  defaultCounts: process.env.CELLFLOW_STRESS_RUNS === undefined || process.env.CELLFLOW_STRESS_RUNS === "",
  report: process.env.CELLFLOW_STRESS_REPORT || undefined,
  verbose: process.env.CELLFLOW_STRESS_VERBOSE === "1",
  featuresText: process.env.CELLFLOW_STRESS_FEATURES,
};
