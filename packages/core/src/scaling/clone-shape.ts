import type { AnyConnection } from "../connection/connection.js";
import type { CompositeCell } from "../cells/composite-cell.js";

/** One end of a link inside a scalable cell: one of its ports, or an IO of its inner cell. */
export type Endpoint = { readonly port: string } | { readonly io: string };

/**
 * Everything a clone host needs to rebuild a scalable cell's inside, as plain data (so
 * it can cross to a worker thread or another process): the port names and the links
 * between ports and the inner cell. Skip links (port to port) stay with the manager.
 */
export interface CloneShape {
  /** Full path of the scalable cell, so clone errors name the real cell. */
  readonly scalablePath: string;
  readonly innerName: string;
  readonly links: ReadonlyArray<{ readonly from: Endpoint; readonly to: Endpoint; readonly recurrent?: boolean }>;
  /** Input ports whose values the clone needs. */
  readonly inputs: readonly string[];
  /** Output ports the clone fills. */
  readonly outputs: readonly string[];
  /** Output ports fed straight from an input port: [output port, input port]. */
  readonly skips: ReadonlyArray<readonly [string, string]>;
}

export function shapeOf(scalable: CompositeCell, connections: readonly AnyConnection[]): CloneShape {
  const endpoint = (io: AnyConnection["source"] | AnyConnection["target"]): Endpoint =>
    io.cell === scalable ? { port: io.name } : { io: io.name };
  const links: Array<{ from: Endpoint; to: Endpoint; recurrent?: boolean }> = [];
  const skips: Array<[string, string]> = [];
  const inputs = new Set<string>();
  const outputs = new Set<string>();
  for (const c of connections) {
    const fromPort = c.source.cell === scalable;
    const toPort = c.target.cell === scalable;
    if (fromPort && toPort) {
      skips.push([c.target.name, c.source.name]);
      continue;
    }
    if (fromPort) inputs.add(c.source.name);
    if (toPort) outputs.add(c.target.name);
    links.push({ from: endpoint(c.source), to: endpoint(c.target), ...(c.explicitRecurrent !== undefined ? { recurrent: c.explicitRecurrent } : {}) });
  }
  const inner = scalable.children[0];
  return {
    scalablePath: scalable.path,
    innerName: inner?.name ?? "",
    links,
    inputs: [...inputs],
    outputs: [...outputs],
    skips,
  };
}
