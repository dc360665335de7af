import type { Cell } from "../cells/cell.js";
import type { CompositeCell } from "../cells/composite-cell.js";
import type { AnyConnection } from "../connection/connection.js";
import { IndeterminableTopologyError } from "../errors/topology-errors.js";

/** The execution structure of one composite: its children in order, sources and sinks. */
export interface Topology {
  /** Children in a valid execution order (Kahn's algorithm, ties broken by declaration order). */
  readonly order: readonly Cell[];
  /** Children with no incoming forward connection from a sibling. */
  readonly sources: readonly Cell[];
  /** Children with no outgoing forward connection to a sibling: a pull of the composite pulls these. */
  readonly sinks: readonly Cell[];
  /** Connections that carry the previous iteration's value. */
  readonly recurrent: ReadonlySet<AnyConnection>;
}

interface Edge {
  readonly connection: AnyConnection;
  readonly from: Cell;
  readonly to: Cell;
}

/**
 * Decides which connections between the children of `composite` are recurrent, then
 * orders the children. A connection is recurrent when marked so, or when it leaves an
 * output with an initialValue and closes a cycle that no other candidate can close.
 * Anything the rules cannot decide is an IndeterminableTopologyError naming the fix.
 */
export function resolveTopology(composite: CompositeCell): Topology {
  const children = composite.children;
  const edges: Edge[] = [];
  for (const connection of composite.connections) {
    const from = connection.source.cell;
    const to = connection.target.cell;
    if (from === composite || to === composite) continue; // boundary: a port and a child
    edges.push({ connection, from, to });
  }

  const forward: Edge[] = [];
  const recurrent: Edge[] = [];
  let undetermined: Edge[] = [];
  for (const edge of edges) {
    const marked = edge.connection.explicitRecurrent;
    if (marked === true) recurrent.push(edge);
    else if (marked === false || !edge.connection.source.fanout.hasInitialValue) forward.push(edge);
    else undetermined.push(edge);
  }

  // Settle candidates one rule at a time until nothing changes.
  for (let changed = true; changed && undetermined.length > 0; ) {
    changed = false;
    for (const edge of [...undetermined]) {
      const others = undetermined.filter((e) => e !== edge);
      let settled: Edge[] | null = null;
      if (reaches(edge.to, edge.from, forward)) settled = recurrent; // it closes a cycle of forward edges
      else if (!reaches(edge.to, edge.from, [...forward, ...others])) settled = forward; // on no cycle at all
      if (settled !== null) {
        settled.push(edge);
        undetermined = others;
        changed = true;
      }
    }
  }
  if (undetermined.length > 0) {
    throw new IndeterminableTopologyError(
      composite.path,
      undetermined.map((e) => e.connection.description),
      "these connections lie on a cycle and each leaves an output with an initialValue, so more than one of them could be the recurrent one.",
    );
  }

  const order = kahn(children, forward);
  if (order.length < children.length) {
    const stuck = new Set(children.filter((c) => !order.includes(c)));
    // Cells downstream of a cycle are stuck too: name only the connections on a cycle.
    const among = forward.filter((e) => stuck.has(e.from) && stuck.has(e.to));
    const cycle = among.filter((e) => reaches(e.to, e.from, among)).map((e) => e.connection.description);
    throw new IndeterminableTopologyError(
      composite.path,
      cycle,
      "these connections form a cycle and none of them leaves an output with an initialValue (or they are marked { recurrent: false }).",
    );
  }

  const hasIncoming = new Set(forward.map((e) => e.to));
  const hasOutgoing = new Set(forward.map((e) => e.from));
  return {
    order,
    sources: order.filter((c) => !hasIncoming.has(c)),
    sinks: order.filter((c) => !hasOutgoing.has(c)),
    recurrent: new Set(recurrent.map((e) => e.connection)),
  };
}

/** Whether `to` can be reached from `from` along `edges` (a node reaches itself). */
function reaches(from: Cell, to: Cell, edges: readonly Edge[]): boolean {
  const seen = new Set<Cell>([from]);
  const stack = [from];
  while (stack.length > 0) {
    const cell = stack.pop()!;
    if (cell === to) return true;
    for (const e of edges) {
      if (e.from === cell && !seen.has(e.to)) {
        seen.add(e.to);
        stack.push(e.to);
      }
    }
  }
  return false;
}

/** Kahn's algorithm; among ready cells the one declared first goes first, so orders are stable. */
function kahn(children: readonly Cell[], edges: readonly Edge[]): Cell[] {
  const inDegree = new Map<Cell, number>(children.map((c) => [c, 0]));
  for (const e of edges) inDegree.set(e.to, inDegree.get(e.to)! + 1);
  const order: Cell[] = [];
  const ready = children.filter((c) => inDegree.get(c) === 0);
  while (ready.length > 0) {
    const cell = ready.shift()!;
    order.push(cell);
    for (const e of edges) {
      if (e.from !== cell) continue;
      const degree = inDegree.get(e.to)! - 1;
      inDegree.set(e.to, degree);
      if (degree === 0) {
        ready.push(e.to);
        ready.sort((a, b) => children.indexOf(a) - children.indexOf(b));
      }
    }
  }
  return order;
}

/**
 * Whether `cell` or one of its ancestors lies on a cycle of its siblings' connections
 * (recurrent ones included): its next input then depends on its own last output.
 */
export function isOnCycle(cell: Cell): boolean {
  for (let current: Cell = cell; current.parent !== null; current = current.parent) {
    const edges: Edge[] = [];
    for (const connection of current.parent.connections) {
      const from = connection.source.cell;
      const to = connection.target.cell;
      if (from !== current.parent && to !== current.parent) edges.push({ connection, from, to });
    }
    for (const e of edges) if (e.from === current && reaches(e.to, current, edges)) return true;
  }
  return false;
}
