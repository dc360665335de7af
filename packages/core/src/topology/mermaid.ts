import * as internal from "../cells/internal-members.js";
import type { Cell } from "../cells/cell.js";
import type { CompositeCell } from "../cells/composite-cell.js";
import type { AnyConnection } from "../connection/connection.js";
import type { AnyIO } from "../io/io.js";
import { CellflowError } from "../errors/cellflow-error.js";
import { isScaled } from "../scaling/clone-settings.js";

/** Options of {@link toMermaid}. */
export interface MermaidOptions {
  /** Flowchart direction: left to right (default) or top down. */
  readonly direction?: "LR" | "TD";
}

/**
 * The topology of `root` as a Mermaid flowchart (paste it in a ```` ```mermaid ```` block of
 * a Markdown page, GitHub and most doc sites render it):
 *
 * - every composite cell (pipelines, scalable cells) is a subgraph holding its children,
 *   titled with its name and class; its ports are the rounded nodes inside it;
 * - single cells are boxes with their name and class;
 * - every connection is an edge labelled with the port names at both ends
 *   (`output → input`); recurrent connections are dashed;
 * - a scalable cell's title says how many clones it has and of which methods
 *   (`×2 async, ×1 thread`; `no clones` when it has none), and its inner cell is drawn
 *   as the template its clones are made from.
 *
 * Works deployed or not; recurrency comes from the resolved topology, or, when that
 * cannot be resolved, from the connections' explicit `recurrent` flags.
 */
export function toMermaid(root: Cell, options: MermaidOptions = {}): string {
  const ids = new NodeIds();
  const lines = [`flowchart ${options.direction ?? "LR"}`];
  const edges: string[] = [];
  draw(root, 1, lines, edges, ids);
  return [...lines, ...edges].join("\n") + "\n";
}

function draw(cell: Cell, depth: number, lines: string[], edges: string[], ids: NodeIds): void {
  const indent = "  ".repeat(depth);
  if (!isComposite(cell)) {
    lines.push(`${indent}${ids.of(cell)}["${label(cell.name)}<br/>${label(cell.constructor.name)}"]`);
    return;
  }
  lines.push(`${indent}subgraph ${ids.of(cell)}["${label(titleOf(cell))}"]`);
  for (const port of cell[internal.ios].values()) {
    if (port.kind === "inputPort" || port.kind === "outputPort") lines.push(`${indent}  ${ids.of(port)}(["${label(port.name)}"])`);
  }
  for (const child of orderOf(cell)) draw(child, depth + 1, lines, edges, ids);
  lines.push(`${indent}end`);
  const recurrent = recurrentOf(cell);
  for (const c of cell.connections) {
    const text = `"${label(c.source.name)} → ${label(c.target.name)}"`;
    const from = ids.of(endpoint(c.source));
    const to = ids.of(endpoint(c.target));
    edges.push(recurrent.has(c) ? `  ${from} -. ${text} .-> ${to}` : `  ${from} -- ${text} --> ${to}`);
  }
}

/** Where an edge attaches: a port node for a composite's port, else the IO's cell. */
function endpoint(io: AnyIO): object {
  return io.kind === "inputPort" || io.kind === "outputPort" ? io : io.cell;
}

function titleOf(cell: CompositeCell): string {
  const title = `${cell.name} (${cell.constructor.name})`;
  if (!isScaled(cell)) return title;
  const methods = cell[internal.requestedMethods];
  if (methods.length === 0) return `${title}, no clones`;
  const counts = new Map<string, number>();
  for (const method of methods) counts.set(method, (counts.get(method) ?? 0) + 1);
  return `${title}, ${[...counts].map(([method, n]) => `×${n} ${method}`).join(", ")}`;
}

/** Children in execution order (sources first), or as declared when the topology is undeterminable. */
function orderOf(cell: CompositeCell): readonly Cell[] {
  try {
    return cell.topology().order;
  } catch (error) {
    if (!(error instanceof CellflowError)) throw error;
    return cell.children;
  }
}

function recurrentOf(cell: CompositeCell): ReadonlySet<AnyConnection> {
  try {
    return cell.topology().recurrent;
  } catch (error) {
    if (!(error instanceof CellflowError)) throw error;
    return new Set(cell.connections.filter((c) => c.explicitRecurrent === true));
  }
}

function isComposite(cell: Cell): cell is CompositeCell {
  return "children" in cell;
}

/** Mermaid ids must be plain words: cells and ports get n0, n1, … in drawing order. */
class NodeIds {
  readonly #ids = new Map<object, string>();
  of(thing: object): string {
    let id = this.#ids.get(thing);
    if (id === undefined) {
      id = `n${this.#ids.size}`;
      this.#ids.set(thing, id);
    }
    return id;
  }
}

/** Text inside a quoted Mermaid label: quotes and markup characters as entities. */
function label(text: string): string {
  return text.replace(/[&"<>#]/g, (c) => `#${c.charCodeAt(0)};`);
}
