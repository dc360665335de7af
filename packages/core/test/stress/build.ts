/**
 * Turns a GraphSpec into engine cells: a root Pipeline with the sources, operators
 * (plain or scalable), nested groups and collectors declared in the model's order,
 * parameters and queue capacities set and initial clones requested, not deployed.
 */
import {
  Connection,
  InputPort,
  OutputPort,
  Pipeline,
  type ConnectionSource,
  type ConnectionTarget,
} from "@cellflow/core";
import {
  StressCollector,
  StressSource,
  opClass,
  scalableClass,
  type OpCell,
  type ScalableOpCell,
} from "./cells.js";
import type { GraphSpec, OpSpec, Ref } from "./spec.js";

export interface Built {
  readonly pipeline: Pipeline;
  /** By index into graph.collectors. */
  readonly collectors: readonly StressCollector[];
  /** Scalable cells by node index. */
  readonly scalables: ReadonlyMap<number, ScalableOpCell>;
}

type Emitter = ConnectionSource<number>;
type Target = ConnectionTarget<number>;

export function build(graph: GraphSpec): Built {
  const root = new Pipeline(null, "root");
  const groupCells: Pipeline[] = [];
  /** Each node's outputs as its own scope sees them. */
  const own: Emitter[][] = [];
  /** Each node's inputs (then its skip input), as targets. */
  const targets: Target[][] = [];
  const scalables = new Map<number, ScalableOpCell>();
  const collectors: StressCollector[] = [];

  const scopeOf = (group: number | null) => (group === null ? root : groupCells[group]!);

  // Pass 1: cells, in declaration order.
  graph.nodes.forEach((node, i) => {
    if (node.kind === "source") {
      const source = new StressSource(root, node.name);
      source.configure({ ...node, length: node.length ?? -1 });
      own.push([source.output]);
      targets.push([]);
      return;
    }
    if (node.group !== null && graph.groups[node.group]!.first === i) {
      groupCells[node.group] = new Pipeline(root, graph.groups[node.group]!.name);
    }
    const parent = scopeOf(node.group);
    if (node.scalable === null) {
      const op: OpCell = new (opClass(node.nIn, node.nOut, node.init))(parent, node.name);
      op.configure(node.params);
      own.push([...op.outs]);
      targets.push([...op.ins]);
    } else {
      const s = node.scalable;
      const cell: ScalableOpCell = new (scalableClass(node.nIn, node.nOut, node.init, s.skip !== null))(parent, node.name);
      cell.op.configure(node.params);
      if (s.queueCapacity !== null) cell.queueCapacity.setValue(s.queueCapacity);
      for (const method of s.clones) void cell.scaleUp(1, method);
      scalables.set(i, cell);
      own.push([...cell.outs]);
      targets.push([...cell.ins, ...(cell.skipIn !== null ? [cell.skipIn] : [])]);
    }
    const g = node.group;
    if (g !== null && graph.groups[g]!.last === i) {
      // The group's inner collectors come right after its operators.
      graph.collectors.forEach((c, k) => {
        if (c.group === g) collectors[k] = new StressCollector(groupCells[g]!, c.name);
      });
    }
  });
  graph.collectors.forEach((c, k) => {
    if (c.group === null) collectors[k] = new StressCollector(root, c.name);
  });

  // Pass 2: ports and connections.
  /** Outputs of a group's last operator, as the root sees them (the group's output ports). */
  const rootView = new Map<number, Emitter[]>();
  graph.groups.forEach((group, g) => {
    const cell = groupCells[g]!;
    rootView.set(
      group.last,
      own[group.last]!.map((out, m) => {
        const port = new OutputPort<number>(cell, `o${m}`);
        new Connection(out, port);
        return port;
      }),
    );
  });
  const fromRoot = (r: Ref): Emitter => (rootView.get(r.node) ?? own[r.node]!)[r.output]!;
  const groupInputs = new Map<string, InputPort<number>>();
  const emitterFor = (r: Ref, consumerGroup: number | null): Emitter => {
    const producer = graph.nodes[r.node]!;
    const producerGroup = producer.kind === "op" ? producer.group : null;
    if (consumerGroup === null || producerGroup === consumerGroup) {
      return consumerGroup === null ? fromRoot(r) : own[r.node]![r.output]!;
    }
    const key = `${consumerGroup}:${r.node}:${r.output}`;
    let port = groupInputs.get(key);
    if (port === undefined) {
      port = new InputPort<number>(groupCells[consumerGroup]!, `i_${producer.name}_${r.output}`);
      new Connection(fromRoot(r), port);
      groupInputs.set(key, port);
    }
    return port;
  };
  const connect = (r: Ref, target: Target, consumerGroup: number | null) => {
    new Connection(emitterFor(r, consumerGroup), target, r.recurrent ? { recurrent: true } : {});
  };
  graph.nodes.forEach((node, i) => {
    if (node.kind !== "op") return;
    const op = node as OpSpec;
    op.inputs.forEach((r, q) => connect(r, targets[i]![q]!, op.group));
    if (op.scalable?.skip) connect(op.scalable.skip, targets[i]![op.nIn]!, op.group);
  });
  graph.collectors.forEach((c, k) => connect(c.from, collectors[k]!.input, c.group));
  graph.rootPorts.forEach((r, k) => {
    const port = new OutputPort<number>(root, `root${k}`);
    new Connection(fromRoot(r), port);
  });

  return { pipeline: root, collectors, scalables };
}
