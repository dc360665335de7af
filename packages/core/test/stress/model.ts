/**
 * The reference model: a plain sequential evaluation of a stress graph, written from the
 * semantics the team decided, without the engine.
 *
 * - Iteration i evaluates every node once, in declaration order (a topological order of
 *   the forward connections).
 * - A source gives its value for item i, or its error on a failing item, or
 *   END_OF_STREAM at and past its length.
 * - An operator looks at its inputs in declaration order (then its skip input): the first
 *   that carries an error is its error, unchanged. Otherwise it fails if its predicate
 *   holds, else computes its outputs. A failed operator's outputs all carry its error
 *   (a scalable operator behaves exactly like its inner operator; its skip output is one
 *   of its outputs, so it carries the error too).
 * - A recurrent input reads what its output held at the end of the previous iteration:
 *   the initial value at iteration 0, and after a failed iteration of the producer, its
 *   last successful value.
 * - The pipeline's pull i fails with the error of the first failing sink among the root
 *   pipeline's children in declaration order (a child is a sink when no forward
 *   connection leaves it to a sibling); else it succeeds and the root output ports hold
 *   the values of what feeds them.
 * - reset() starts everything over: a fresh model.
 */
import {
  END_OF_STREAM,
  INIT,
  opFailMessage,
  opFails,
  opOutputs,
  sourceFailMessage,
  sourceFails,
  sourceValue,
} from "./functions.js";
import type { GraphSpec, Ref } from "./spec.js";

export type NodeOutcome = { readonly ok: true; readonly values: readonly number[] } | { readonly ok: false; readonly error: string };
export type ValueOutcome = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };
export type PullOutcome = { readonly ok: true; readonly ports: Readonly<Record<string, number>> } | { readonly ok: false; readonly error: string };

export interface Iteration {
  /** Per node (by index). */
  readonly nodes: readonly NodeOutcome[];
  /** What each collector records (by index into graph.collectors). */
  readonly collectors: readonly ValueOutcome[];
  readonly pipeline: PullOutcome;
}

/** A child of the root pipeline, in declaration order. */
export type RootChild =
  | { readonly kind: "node"; readonly node: number }
  | { readonly kind: "group"; readonly group: number }
  | { readonly kind: "collector"; readonly collector: number };

/** The root pipeline's children in declaration order: sources, operators and groups (in operator order), collectors. */
export function rootChildren(graph: GraphSpec): RootChild[] {
  const children: RootChild[] = [];
  graph.nodes.forEach((node, i) => {
    if (node.kind === "source" || node.group === null) children.push({ kind: "node", node: i });
    else if (graph.groups[node.group]!.first === i) children.push({ kind: "group", group: node.group });
  });
  graph.collectors.forEach((c, i) => {
    if (c.group === null) children.push({ kind: "collector", collector: i });
  });
  return children;
}

function childKey(c: RootChild): string {
  return c.kind === "node" ? `n${c.node}` : c.kind === "group" ? `g${c.group}` : `c${c.collector}`;
}

/** The root child that holds node `i`. */
function holderKey(graph: GraphSpec, i: number): string {
  const node = graph.nodes[i]!;
  return node.kind === "op" && node.group !== null ? `g${node.group}` : `n${i}`;
}

/** Root children with no forward connection to a sibling, in declaration order. */
export function rootSinks(graph: GraphSpec): RootChild[] {
  const consumed = new Set<string>();
  graph.nodes.forEach((node, i) => {
    if (node.kind !== "op") return;
    const refs = [...node.inputs, ...(node.scalable?.skip ? [node.scalable.skip] : [])];
    for (const r of refs) {
      if (r.recurrent) continue;
      const producer = holderKey(graph, r.node);
      if (producer !== holderKey(graph, i)) consumed.add(producer);
    }
  });
  graph.collectors.forEach((c) => {
    if (c.group === null) consumed.add(holderKey(graph, c.from.node));
  });
  return rootChildren(graph).filter((c) => !consumed.has(childKey(c)));
}

export class ReferenceModel {
  private readonly iterations: Iteration[] = [];
  /** Per node: the output values of its last successful iteration (out0 starts at INIT when it has an initial value). */
  private readonly lastGood: Array<Array<number | undefined>>;
  readonly sinks: readonly RootChild[];

  constructor(readonly graph: GraphSpec) {
    this.lastGood = graph.nodes.map((n) => (n.kind === "op" && n.init ? [INIT] : []));
    this.sinks = rootSinks(graph);
  }

  /** Iteration i (computing the ones before it first). */
  at(i: number): Iteration {
    while (this.iterations.length <= i) this.iterations.push(this.step(this.iterations.length));
    return this.iterations[i]!;
  }

  private step(i: number): Iteration {
    const graph = this.graph;
    const nodes: NodeOutcome[] = [];
    const read = (r: Ref): ValueOutcome => {
      if (r.recurrent) {
        const value = this.lastGood[r.node]![r.output];
        if (value === undefined) throw new Error(`model: recurrent ref to an output without an initial value (${JSON.stringify(r)})`);
        return { ok: true, value };
      }
      if (r.node >= nodes.length) throw new Error(`model: forward ref to a later node (${JSON.stringify(r)})`);
      const o = nodes[r.node]!;
      return o.ok ? { ok: true, value: o.values[r.output]! } : o;
    };

    for (const node of graph.nodes) {
      if (node.kind === "source") {
        const p = { ...node, length: node.length ?? -1 };
        if (node.length !== null && i >= node.length) nodes.push({ ok: false, error: END_OF_STREAM });
        else if (sourceFails(p, i)) nodes.push({ ok: false, error: sourceFailMessage(p, i) });
        else nodes.push({ ok: true, values: [sourceValue(p, i)] });
        continue;
      }
      const values: number[] = [];
      let error: string | null = null;
      for (const r of node.inputs) {
        const o = read(r);
        if (!o.ok) error ??= o.error;
        else values.push(o.value);
      }
      let skipped: number | null = null;
      if (node.scalable?.skip) {
        const o = read(node.scalable.skip);
        if (!o.ok) error ??= o.error;
        else skipped = o.value;
      }
      if (error !== null) nodes.push({ ok: false, error });
      else if (opFails(node.params, values)) nodes.push({ ok: false, error: opFailMessage(node.params, values) });
      else nodes.push({ ok: true, values: [...opOutputs(node.params, values, node.nOut), ...(skipped !== null ? [skipped] : [])] });
    }

    nodes.forEach((o, n) => {
      if (o.ok) o.values.forEach((v, m) => (this.lastGood[n]![m] = v));
    });

    const collectors = graph.collectors.map((c) => read(c.from));
    const outcomeOf = (child: RootChild): ValueOutcome | NodeOutcome => {
      if (child.kind === "node") return nodes[child.node]!;
      if (child.kind === "group") return nodes[graph.groups[child.group]!.last]!;
      return collectors[child.collector]!;
    };
    let pipeline: PullOutcome | null = null;
    for (const sink of this.sinks) {
      const o = outcomeOf(sink);
      if (!o.ok) {
        pipeline = { ok: false, error: o.error };
        break;
      }
    }
    if (pipeline === null) {
      const ports: Record<string, number> = {};
      graph.rootPorts.forEach((r, k) => {
        const o = read(r);
        if (!o.ok) throw new Error("model: a root port's feeder failed in a successful iteration");
        ports[`root${k}`] = o.value;
      });
      pipeline = { ok: true, ports };
    }
    return { nodes, collectors, pipeline };
  }
}
