/**
 * fast-check arbitraries for stress cases. fast-check draws plain "raw" choices
 * (small integers and booleans); `decode` turns them into a valid CaseSpec for the
 * enabled features. Raw choices that do not fit (a recurrent input when no operator has
 * an initial value, a scale-down that would leave no clone) fall back to something
 * valid, so every draw is a case and shrinking (fewer operators, fewer actions, smaller
 * numbers) keeps cases valid too.
 */
import fc from "fast-check";
import type { Delay, OpParams, PullMode } from "./functions.js";
import type { Feature, StressOptions } from "./options.js";
import {
  type Action,
  type CaseSpec,
  type CollectorSpec,
  type GroupSpec,
  type Lag,
  type Method,
  type NodeSpec,
  type OpSpec,
  type Ref,
  type SourceSpec,
} from "./spec.js";

interface RawRef {
  readonly pick: number;
  readonly out: number;
  /** 0 (of 0..4): recurrent, when allowed. */
  readonly rec: number;
}

interface RawSource {
  readonly base: number;
  readonly step: number;
  readonly finite: boolean;
  readonly length: number;
  readonly fails: boolean;
  readonly failItems: number[];
}

interface RawOp {
  readonly nIn: number;
  readonly nOut: number;
  readonly init: boolean;
  readonly inputs: RawRef[];
  readonly k: number;
  readonly c: number;
  readonly fails: boolean;
  readonly failMod: number;
  readonly failRes: number;
  readonly delay: Delay;
  readonly pullMode: PullMode;
  readonly scalable: boolean;
  readonly clones: number[];
  readonly queueCapacity: number;
  readonly skip: boolean;
  readonly skipRef: RawRef;
  /** 0: no collector when nothing else consumes it; else a collector on output `collect`. */
  readonly collect: number;
}

interface RawGroup {
  readonly start: number;
  readonly size: number;
  readonly collector: boolean;
}

interface RawAction {
  readonly kind: number;
  readonly node: number;
  readonly times: number;
  readonly method: number;
  readonly awaited: boolean;
}

interface RawCase {
  readonly sources: RawSource[];
  readonly ops: RawOp[];
  readonly groups: RawGroup[];
  readonly collectors: RawRef[];
  readonly rootPorts: RawRef[];
  readonly actions: RawAction[];
}

const rawRef: fc.Arbitrary<RawRef> = fc.record({ pick: fc.nat(1000), out: fc.nat(2), rec: fc.nat(4) });

const rawSource: fc.Arbitrary<RawSource> = fc.record({
  base: fc.integer({ min: 1, max: 9 }),
  step: fc.integer({ min: 1, max: 3 }),
  finite: fc.boolean(),
  length: fc.integer({ min: 0, max: 6 }),
  fails: fc.boolean(),
  failItems: fc.uniqueArray(fc.nat(7), { minLength: 1, maxLength: 2 }),
});

const rawOp: fc.Arbitrary<RawOp> = fc.record({
  nIn: fc.integer({ min: 1, max: 3 }),
  nOut: fc.integer({ min: 1, max: 2 }),
  init: fc.boolean(),
  inputs: fc.array(rawRef, { minLength: 3, maxLength: 3 }),
  k: fc.integer({ min: 1, max: 5 }),
  c: fc.nat(50),
  fails: fc.boolean(),
  failMod: fc.constantFrom(5, 7, 11),
  failRes: fc.nat(10),
  delay: fc.constantFrom<Delay>("none", "micro", "macro"),
  pullMode: fc.constantFrom<PullMode>("seq", "settle", "concurrent"),
  scalable: fc.boolean(),
  clones: fc.array(fc.nat(999), { minLength: 1, maxLength: 3 }),
  queueCapacity: fc.nat(2),
  skip: fc.boolean(),
  skipRef: rawRef,
  collect: fc.nat(3),
});

const rawGroup: fc.Arbitrary<RawGroup> = fc.record({
  start: fc.nat(10),
  size: fc.integer({ min: 1, max: 3 }),
  collector: fc.boolean(),
});

const rawAction: fc.Arbitrary<RawAction> = fc.record({
  kind: fc.nat(99),
  node: fc.nat(100),
  times: fc.integer({ min: 1, max: 2 }),
  method: fc.nat(999),
  awaited: fc.boolean(),
});

export function rawCaseArb(o: StressOptions): fc.Arbitrary<RawCase> {
  return fc.record({
    sources: fc.array(rawSource, { minLength: 1, maxLength: 3 }),
    ops: fc.array(rawOp, { minLength: 1, maxLength: Math.max(1, o.maxOps) }),
    groups: fc.array(rawGroup, { maxLength: 2 }),
    collectors: fc.array(rawRef, { maxLength: 2 }),
    rootPorts: fc.array(rawRef, { maxLength: 2 }),
    actions: fc.array(rawAction, { minLength: 1, maxLength: Math.max(1, o.maxActions) }),
  });
}

export function caseArb(o: StressOptions): fc.Arbitrary<CaseSpec> {
  return rawCaseArb(o).map((raw) => decode(raw, o));
}

function pickMethod(o: StressOptions, raw: number): Method {
  const allowed: Array<[Method, number]> = [["async", o.methodWeights.async]];
  if (o.features.has("threads")) allowed.push(["thread", o.methodWeights.thread]);
  if (o.features.has("processes")) allowed.push(["process", o.methodWeights.process]);
  const total = allowed.reduce((s, [, w]) => s + w, 0);
  if (total <= 0) return "async";
  let x = (raw / 1000) * total;
  for (const [method, weight] of allowed) {
    if (x < weight) return method;
    x -= weight;
  }
  return allowed[allowed.length - 1]![0];
}

export function decode(raw: RawCase, o: StressOptions): CaseSpec {
  const has = (f: Feature) => o.features.has(f);
  const nodes: NodeSpec[] = [];
  raw.sources.forEach((s, j) => {
    const source: SourceSpec = {
      kind: "source",
      name: `s${j}`,
      id: j,
      base: 100 * (j + 1) + s.base,
      step: s.step,
      length: has("finite") && s.finite ? s.length : null,
      failItems: has("failures") && s.fails ? [...s.failItems].sort((a, b) => a - b) : [],
    };
    nodes.push(source);
  });
  const nS = nodes.length;
  const nOps = raw.ops.length;

  // Groups: contiguous, non-overlapping ranges of operators.
  const groupOf: Array<number | null> = raw.ops.map(() => null);
  const ranges: Array<{ first: number; last: number; collector: boolean }> = [];
  if (has("nesting")) {
    for (const g of raw.groups) {
      const start = g.start % nOps;
      const end = Math.min(nOps, start + g.size);
      if (groupOf.slice(start, end).some((x) => x !== null)) continue;
      for (let t = start; t < end; t++) groupOf[t] = -1;
      ranges.push({ first: start, last: end - 1, collector: g.collector });
    }
  }
  ranges.sort((a, b) => a.first - b.first);
  const groups: GroupSpec[] = ranges.map((r, g) => {
    for (let t = r.first; t <= r.last; t++) groupOf[t] = g;
    return { name: `g${g}`, first: nS + r.first, last: nS + r.last };
  });

  // What each operator is, before wiring (recurrent inputs may come from later operators).
  const init = raw.ops.map((r) => has("recurrent") && r.init);
  const scalable = raw.ops.map((r) => has("scalable") && r.scalable);
  const skip = raw.ops.map((r, t) => scalable[t]! && has("skip") && r.skip);
  const outs = (node: number) =>
    node < nS ? 1 : raw.ops[node - nS]!.nOut + (skip[node - nS] ? 1 : 0);

  /** Nodes whose outputs root-level cells can read so far: sources, root operators, last operators of groups. */
  const rootVisible: number[] = Array.from({ length: nS }, (_, j) => j);
  const forwardRef = (candidates: readonly number[], r: RawRef): Ref => {
    const node = candidates[r.pick % candidates.length]!;
    return { node, output: r.out % outs(node), recurrent: false };
  };

  raw.ops.forEach((r, t) => {
    const index = nS + t;
    const g = groupOf[t]!;
    const group = g === null ? null : groups[g]!;
    const candidates = group === null ? [...rootVisible] : [...rootVisible, ...range(group.first, index)];
    const recurrentFrom = raw.ops
      .map((_, u) => u)
      .filter((u) => init[u] && groupOf[u] === g)
      .map((u) => nS + u);
    const inputs: Ref[] = [];
    for (let q = 0; q < r.nIn; q++) {
      const rr = r.inputs[q]!;
      if (group !== null && index > group.first && q === 0) inputs.push({ node: index - 1, output: 0, recurrent: false });
      else if (rr.rec === 0 && recurrentFrom.length > 0) {
        inputs.push({ node: recurrentFrom[rr.pick % recurrentFrom.length]!, output: 0, recurrent: true });
      } else inputs.push(forwardRef(candidates, rr));
    }
    const params: OpParams = {
      id: index,
      k: r.k,
      c: r.c,
      failMod: has("failures") && r.fails ? r.failMod : 0,
      failRes: r.failRes % r.failMod,
      delay: has("delays") ? r.delay : "none",
      pullMode: r.pullMode,
    };
    const op: OpSpec = {
      kind: "op",
      name: `n${index}`,
      id: index,
      nIn: r.nIn,
      nOut: r.nOut,
      init: init[t]!,
      inputs,
      params,
      group: g,
      scalable: scalable[t]
        ? {
            clones: r.clones.map((m) => pickMethod(o, m)),
            queueCapacity: has("queueCapacity") && r.queueCapacity > 0 ? r.queueCapacity : null,
            skip: skip[t] ? forwardRef(candidates, r.skipRef) : null,
          }
        : null,
    };
    nodes.push(op);
    if (group === null || index === group.last) rootVisible.push(index);
  });

  // Collectors: on everything root-level that nothing else reads (sources always, operators
  // and groups mostly), inside some groups, and a few extra anywhere.
  const collectors: CollectorSpec[] = [];
  const holder = (i: number) => {
    const node = nodes[i]!;
    return node.kind === "op" && node.group !== null ? `g${node.group}` : `n${i}`;
  };
  const consumed = new Set<string>();
  nodes.forEach((node, i) => {
    if (node.kind !== "op") return;
    for (const r of [...node.inputs, ...(node.scalable?.skip ? [node.scalable.skip] : [])]) {
      if (!r.recurrent && holder(r.node) !== holder(i)) consumed.add(holder(r.node));
    }
  });
  ranges.forEach((r, g) => {
    if (r.collector) collectors.push({ name: "", from: { node: groups[g]!.last, output: 0, recurrent: false }, group: g });
  });
  for (const i of rootVisible) {
    if (consumed.has(holder(i))) continue;
    const node = nodes[i]!;
    if (node.kind === "source") collectors.push({ name: "", from: { node: i, output: 0, recurrent: false }, group: null });
    else {
      const collect = raw.ops[i - nS]!.collect;
      if (collect > 0) collectors.push({ name: "", from: { node: i, output: (collect - 1) % outs(i), recurrent: false }, group: null });
    }
  }
  for (const rr of raw.collectors) collectors.push({ name: "", from: forwardRef(rootVisible, rr), group: null });
  const named = collectors.map((c, i) => ({ ...c, name: `c${i}` }));

  const rootPorts = has("rootPorts") ? raw.rootPorts.map((rr) => forwardRef(rootVisible, rr)) : [];

  const graph = { nodes, groups, collectors: named, rootPorts };
  return { graph, actions: decodeActions(raw.actions, nodes, o) };
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

type ActionKind = "pull" | "pullPair" | "scaleUp" | "scaleDown" | "reset" | "resetInFlight" | "undeployInFlight";

const ACTION_WEIGHTS: ReadonlyArray<[ActionKind, number, Feature | null]> = [
  ["pull", 45, null],
  ["pullPair", 12, "concurrentPulls"],
  ["scaleUp", 10, "scaleUp"],
  ["scaleDown", 10, "scaleDown"],
  ["reset", 7, "reset"],
  ["resetInFlight", 6, "resetInFlight"],
  ["undeployInFlight", 2, "midUndeploy"],
];

function lag(raw: number): Lag {
  return (raw % 3) as Lag;
}

function decodeActions(raw: readonly RawAction[], nodes: readonly NodeSpec[], o: StressOptions): Action[] {
  const scalables = nodes.flatMap((n, i) => (n.kind === "op" && n.scalable !== null ? [i] : []));
  const clones = new Map(scalables.map((i) => [i, (nodes[i] as OpSpec).scalable!.clones.length]));
  const enabled = ACTION_WEIGHTS.filter(([kind, , f]) => {
    if (f !== null && !o.features.has(f)) return false;
    if ((kind === "scaleUp" || kind === "scaleDown") && scalables.length === 0) return false;
    return true;
  });
  const total = enabled.reduce((s, [, w]) => s + w, 0);
  const actions: Action[] = [];
  for (const r of raw) {
    let x = (r.kind / 100) * total;
    let kind: ActionKind = "pull";
    for (const [k, w] of enabled) {
      if (x < w) {
        kind = k;
        break;
      }
      x -= w;
    }
    if (kind === "pull" || kind === "pullPair") actions.push({ kind });
    else if (kind === "reset" || kind === "resetInFlight") actions.push({ kind: "reset", inFlight: kind === "resetInFlight", lag: lag(r.method) });
    else if (kind === "undeployInFlight") {
      actions.push({ kind: "undeployInFlight", lag: lag(r.method) });
      break;
    } else {
      const node = scalables[r.node % scalables.length]!;
      const count = clones.get(node)!;
      if (kind === "scaleUp") {
        const times = Math.min(r.times, 5 - count);
        if (times <= 0) actions.push({ kind: "pull" });
        else {
          clones.set(node, count + times);
          actions.push({ kind: "scaleUp", node, times, method: pickMethod(o, r.method), awaited: r.awaited });
        }
      } else {
        const times = Math.min(r.times, count - 1);
        if (times <= 0) actions.push({ kind: "pull" });
        else {
          clones.set(node, count - times);
          actions.push({ kind: "scaleDown", node, times, awaited: r.awaited });
        }
      }
    }
  }
  return actions;
}

// ---- what a case exercises (for the summary) ---------------------------------------------------

/** Tags naming what a case exercises, to relate violations to features. */
export function caseTags(spec: CaseSpec): string[] {
  const { nodes, groups, rootPorts } = spec.graph;
  const tags = new Set<string>();
  const ops = nodes.filter((n): n is OpSpec => n.kind === "op");
  if (nodes.some((n) => n.kind === "source" && n.failItems.length > 0)) tags.add("source-failures");
  if (ops.some((n) => n.params.failMod > 0)) tags.add("op-failures");
  if (nodes.some((n) => n.kind === "source" && n.length !== null)) tags.add("finite");
  for (const n of ops) {
    if (n.scalable === null) continue;
    tags.add("scalable");
    if (n.nIn > 1 || n.scalable.skip !== null) tags.add("multi-input-scalable");
    if (n.scalable.queueCapacity !== null) tags.add("queueCapacity");
    if (n.scalable.skip !== null) tags.add("skip");
    for (const m of n.scalable.clones) if (m !== "async") tags.add(m);
    if (n.group !== null) tags.add("scalable-in-group");
  }
  // Forward reachability, to tell recurrent connections that close a cycle.
  const succ = nodes.map(() => [] as number[]);
  nodes.forEach((n, i) => {
    if (n.kind !== "op") return;
    for (const r of [...n.inputs, ...(n.scalable?.skip ? [n.scalable.skip] : [])]) if (!r.recurrent) succ[r.node]!.push(i);
  });
  const reaches = (from: number, to: number): boolean => {
    const seen = new Set([from]);
    const stack = [from];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (x === to) return true;
      for (const y of succ[x]!) if (!seen.has(y)) (seen.add(y), stack.push(y));
    }
    return false;
  };
  ops.forEach((n) => {
    for (const r of n.inputs) {
      if (!r.recurrent) continue;
      tags.add(reaches(n.id, r.node) ? "recurrent-cycle" : "recurrent-no-cycle");
      if (n.scalable !== null) tags.add("recurrent-into-scalable");
      if ((nodes[r.node] as OpSpec).scalable !== null) tags.add("recurrent-from-scalable");
    }
  });
  if (groups.length > 0) tags.add("nesting");
  if (rootPorts.length > 0) tags.add("rootPorts");
  if (ops.some((n) => n.params.delay === "macro")) tags.add("macrotask-delays");
  for (const a of spec.actions) {
    if (a.kind === "pullPair") tags.add("concurrentPulls");
    if (a.kind === "scaleUp") {
      tags.add("scaleUp");
      if (a.method !== "async") tags.add(a.method);
    }
    if (a.kind === "scaleDown") tags.add("scaleDown");
    if (a.kind === "reset") tags.add(a.inFlight ? "resetInFlight" : "reset");
    if (a.kind === "undeployInFlight") tags.add("midUndeploy");
  }
  return [...tags].sort();
}
