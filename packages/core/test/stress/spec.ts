/**
 * The plain-data description of one stress case: a graph (sources, operators, nested
 * groups, collectors, the root pipeline's output ports) and a list of actions. The
 * generator makes these, the builder turns a graph into engine cells, the reference
 * model evaluates it without the engine, and `describeCase` prints it for a human.
 */
import type { OpParams } from "./functions.js";

export type Method = "async" | "thread" | "process";

/** An input's origin: output `output` of node `node`, forward or recurrent. */
export interface Ref {
  readonly node: number;
  readonly output: number;
  readonly recurrent: boolean;
}

export interface SourceSpec {
  readonly kind: "source";
  readonly name: string;
  readonly id: number;
  readonly base: number;
  readonly step: number;
  /** null: endless. */
  readonly length: number | null;
  readonly failItems: readonly number[];
}

export interface ScalableSpec {
  /** The clones scaled up before deploy (at least one). */
  readonly clones: readonly Method[];
  /** queueCapacity set before deploy; null leaves the default ("auto"). */
  readonly queueCapacity: number | null;
  /** A skip connection skip_in -> skip_out fed from this ref (its value comes out as the last output). */
  readonly skip: Ref | null;
}

export interface OpSpec {
  readonly kind: "op";
  readonly name: string;
  readonly id: number;
  readonly nIn: number;
  readonly nOut: number;
  /** out0 has an initial value (INIT), so recurrent connections may leave it. */
  readonly init: boolean;
  readonly inputs: readonly Ref[];
  readonly params: OpParams;
  /** Index into GraphSpec.groups, or null at the root. */
  readonly group: number | null;
  readonly scalable: ScalableSpec | null;
}

export type NodeSpec = SourceSpec | OpSpec;

/** Operators first..last (node indices, contiguous) live in a nested Pipeline with ports. */
export interface GroupSpec {
  readonly name: string;
  readonly first: number;
  readonly last: number;
}

export interface CollectorSpec {
  readonly name: string;
  readonly from: Ref;
  /** Inside that group (fed by its last operator), or null at the root. */
  readonly group: number | null;
}

export interface GraphSpec {
  readonly nodes: readonly NodeSpec[];
  readonly groups: readonly GroupSpec[];
  readonly collectors: readonly CollectorSpec[];
  /** The root pipeline's own OutputPorts (root0, root1, ...) and what feeds them. */
  readonly rootPorts: readonly Ref[];
}

export type Action =
  /** One pipeline pull, awaited. */
  | { readonly kind: "pull" }
  /** Two pipeline pulls, the second issued before the first is awaited. */
  | { readonly kind: "pullPair" }
  | { readonly kind: "scaleUp"; readonly node: number; readonly times: number; readonly method: Method; readonly awaited: boolean }
  | { readonly kind: "scaleDown"; readonly node: number; readonly times: number; readonly awaited: boolean }
  /**
   * reset(); with inFlight, a pull is issued (not awaited) just before, and `lag` says how
   * far it gets first: 0 not at all (same tick), 1 a setImmediate, 2 a 1 ms timer.
   */
  | { readonly kind: "reset"; readonly inFlight: boolean; readonly lag: Lag }
  /** undeploy() with a pull in flight (issued `lag` before); the case ends there. */
  | { readonly kind: "undeployInFlight"; readonly lag: Lag };

export type Lag = 0 | 1 | 2;

export interface CaseSpec {
  readonly graph: GraphSpec;
  readonly actions: readonly Action[];
}

export function outputCount(node: NodeSpec): number {
  if (node.kind === "source") return 1;
  return node.nOut + (node.scalable?.skip ? 1 : 0);
}

export function outputName(node: NodeSpec, output: number): string {
  if (node.kind === "source") return "output";
  return output < node.nOut ? `out${output}` : "skip_out";
}

// ---- readable form ---------------------------------------------------------------------------

function ref(graph: GraphSpec, r: Ref): string {
  const node = graph.nodes[r.node]!;
  return `${node.name}.${outputName(node, r.output)}${r.recurrent ? " (recurrent)" : ""}`;
}

export function describeNode(graph: GraphSpec, node: NodeSpec): string {
  if (node.kind === "source") {
    const parts = [`${node.name}: source, item i -> ${node.base} + ${node.step}*i`];
    parts.push(node.length === null ? "endless" : `length ${node.length}`);
    if (node.failItems.length > 0) parts.push(`throws on items [${node.failItems.join(",")}]`);
    return parts.join(", ");
  }
  const p = node.params;
  const parts = [
    `${node.name}: op(${node.inputs.map((r) => ref(graph, r)).join(", ")}) -> ${node.nOut} output(s)${node.init ? `, out0 initialValue` : ""}`,
    `k=${p.k} c=${p.c}`,
    p.failMod > 0 ? `throws when sum%${p.failMod}==${p.failRes}` : "never throws",
    `delay ${p.delay}`,
    `pulls inputs ${p.pullMode}`,
  ];
  if (node.scalable !== null) {
    const s = node.scalable;
    parts.push(
      `SCALABLE clones [${s.clones.join(",")}]${s.queueCapacity !== null ? ` queueCapacity ${s.queueCapacity}` : ""}` +
        `${s.skip !== null ? ` skip ${ref(graph, s.skip)} -> skip_out` : ""}`,
    );
  }
  if (node.group !== null) parts.push(`in ${graph.groups[node.group]!.name}`);
  return parts.join(", ");
}

const LAGS = ["issued in the same tick", "issued a setImmediate before", "issued 1 ms before"];

export function describeAction(graph: GraphSpec, a: Action): string {
  switch (a.kind) {
    case "pull":
      return "pull";
    case "pullPair":
      return "pull+pull (second issued before the first settles)";
    case "scaleUp":
      return `${graph.nodes[a.node]!.name}.scaleUp(${a.times}, "${a.method}")${a.awaited ? "" : " (not awaited)"}`;
    case "scaleDown":
      return `${graph.nodes[a.node]!.name}.scaleDown(${a.times})${a.awaited ? "" : " (not awaited)"}`;
    case "reset":
      return a.inFlight ? `reset() with a pull in flight (${LAGS[a.lag]})` : "reset()";
    case "undeployInFlight":
      return `undeploy() with a pull in flight (${LAGS[a.lag]}; case ends)`;
  }
}

export function describeCase(spec: CaseSpec): string {
  const g = spec.graph;
  const lines: string[] = [];
  for (const node of g.nodes) lines.push("  " + describeNode(g, node));
  for (const group of g.groups) {
    lines.push(`  ${group.name}: nested Pipeline holding ${g.nodes[group.first]!.name}..${g.nodes[group.last]!.name}`);
  }
  for (const c of g.collectors) {
    lines.push(`  ${c.name}: collector <- ${ref(g, c.from)}${c.group !== null ? ` (inside ${g.groups[c.group]!.name})` : ""}`);
  }
  g.rootPorts.forEach((r, i) => lines.push(`  root${i}: root OutputPort <- ${ref(g, r)}`));
  lines.push(`  actions: ${spec.actions.map((a) => describeAction(g, a)).join("; ")}; undeploy`);
  return lines.join("\n");
}
