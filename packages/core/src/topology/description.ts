import type { Cell } from "../cells/cell.js";
import type { CompositeCell } from "../cells/composite-cell.js";

/** One child in a topology description. */
export interface CellDescription {
  readonly name: string;
  readonly path: string;
  readonly type: string;
  readonly isSource: boolean;
  readonly isSink: boolean;
  /** The topology of a composite child, nested. */
  readonly topology?: TopologyDescription;
}

/** One connection in a topology description. */
export interface ConnectionDescription {
  readonly source: string;
  readonly target: string;
  readonly recurrent: boolean;
}

/** The JSON form of a composite's topology: `getTopologyDescription()` returns it. */
export interface TopologyDescription {
  readonly cell: string;
  readonly type: string;
  /** Children in execution order. */
  readonly cells: readonly CellDescription[];
  readonly connections: readonly ConnectionDescription[];
}

export function describeTopology(composite: CompositeCell): TopologyDescription {
  const topology = composite.topology();
  const sources = new Set<Cell>(topology.sources);
  const sinks = new Set<Cell>(topology.sinks);
  return {
    cell: composite.path,
    type: composite.constructor.name,
    cells: topology.order.map((cell) => {
      const nested = isComposite(cell) ? { topology: describeTopology(cell) } : {};
      return {
        name: cell.name,
        path: cell.path,
        type: cell.constructor.name,
        isSource: sources.has(cell),
        isSink: sinks.has(cell),
        ...nested,
      };
    }),
    connections: composite.connections.map((c) => ({
      source: c.source.path,
      target: c.target.path,
      recurrent: topology.recurrent.has(c),
    })),
  };
}

function isComposite(cell: Cell): cell is CompositeCell {
  return "children" in cell;
}
