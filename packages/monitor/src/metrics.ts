/**
 * Prometheus metrics from the engine's events, through prom-client (an optional peer
 * dependency, loaded only when metrics are asked for).
 *
 * Label cardinality stays bounded: labels are cell paths and lanes, never tickets or
 * items, and at most `maxLanes` clone lanes have series of their own. A new lane beyond
 * that takes the place of the lane idle longest if it has been idle for `laneIdleMs`
 * (a clone that is gone: scaled down, or crashed and replaced under a new lane; its
 * series are removed), else it is counted as `clone="other"`.
 *
 * @module
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { CHANNELS, type CellRunEvent, type CloneItemEvent, type QueueFillEvent } from "@cellflow/core";
import type { Counter, Gauge, Histogram, Registry } from "prom-client";
import { PromClientMissingError } from "./errors.js";

type PromClient = typeof import("prom-client");

/** @internal prom-client, or a {@link PromClientMissingError} that names the fix. */
export function loadPromClient(): PromClient {
  try {
    return createRequire(import.meta.url)("prom-client") as PromClient;
  } catch (error) {
    // prom-client itself missing (not one of its own dependencies, which names prom-client only in its require stack)
    if ((error as { code?: string }).code === "MODULE_NOT_FOUND" && /^Cannot find module 'prom-client'/.test((error as Error).message)) {
      throw new PromClientMissingError(error);
    }
    throw error;
  }
}

/**
 * What cellflow uses of a prom-client `Registry`: any prom-client registry is one. (Declared
 * here so that the package's types do not need prom-client installed.)
 */
export interface MetricsRegistry {
  metrics(): Promise<string>;
  readonly contentType: string;
  getSingleMetric(name: string): unknown;
  removeSingleMetric(name: string): void;
}

export interface MetricsOptions {
  /** Clone lanes with series of their own; more are `clone="other"`. Default 32. */
  readonly maxLanes?: number;
  /** Milliseconds after which an idle lane may give its place to a new one. Default 60 000. */
  readonly laneIdleMs?: number;
  /** Histogram buckets of `cellflow_cell_duration_seconds`, in seconds. */
  readonly buckets?: readonly number[];
  /** Which cells to count (by path); default all. */
  readonly cells?: (path: string) => boolean;
}

/** The metrics registered on a registry, fed while open; `close` stops feeding and unregisters them. */
export interface CellflowMetrics extends Disposable {
  close(): void;
}

const NAMES = ["cellflow_cell_duration_seconds", "cellflow_cell_items_total", "cellflow_cell_errors_total", "cellflow_queue_items", "cellflow_queue_capacity"];

const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Lanes → the `clone` label, at most `max` of them besides "main". */
class LaneLabels {
  private readonly seen = new Map<string, { lastSeen: number; cells: Set<string> }>();

  constructor(
    private readonly max: number,
    private readonly idleMs: number,
    private readonly forget: (lane: string, cells: Set<string>) => void,
  ) {}

  label(lane: string, cell: string): string {
    if (lane === "main") return lane;
    const now = performance.now();
    let entry = this.seen.get(lane);
    if (entry === undefined) {
      if (this.seen.size >= this.max && !this.evictIdle(now)) return "other";
      entry = { lastSeen: now, cells: new Set() };
      this.seen.set(lane, entry);
    }
    entry.lastSeen = now;
    entry.cells.add(cell);
    return lane;
  }

  private evictIdle(now: number): boolean {
    let oldest: [string, { lastSeen: number; cells: Set<string> }] | undefined;
    for (const entry of this.seen) if (oldest === undefined || entry[1].lastSeen < oldest[1].lastSeen) oldest = entry;
    if (oldest === undefined || now - oldest[1].lastSeen < this.idleMs) return false;
    this.seen.delete(oldest[0]);
    this.forget(oldest[0], oldest[1].cells);
    return true;
  }
}

/**
 * Registers cellflow's metrics on your prom-client registry and feeds them from the
 * engine's events until `close`:
 *
 * - `cellflow_cell_duration_seconds{cell,clone}` (histogram): busy time of each timed cell
 *   run (input waits not counted) and of each item a scalable cell's clone ran. Runs of
 *   80 µs or more are all timed; a quicker cell's are timed now and then (see
 *   `CellRunEvent.runs`), so its histogram holds a sample and its `_count` can be lower
 *   than its items: read its mean as `_sum / _count`;
 * - `cellflow_cell_items_total{cell,clone}`, `cellflow_cell_errors_total{cell,clone}`;
 * - `cellflow_queue_items{cell}`, `cellflow_queue_capacity{cell}`: a scalable cell's
 *   output queue (tickets out: in progress or done and not taken yet) and its room.
 *
 * `clone` is the lane (`"main"`, or `"<scalable cell>#<method>-<n>"`).
 *
 * ```ts
 * import { Registry } from "prom-client";
 * const registry = new Registry();
 * using metrics = registerMetrics(registry);
 * ```
 *
 * @throws {@link PromClientMissingError} if prom-client is not installed.
 */
export function registerMetrics(registry: MetricsRegistry, options: MetricsOptions = {}): CellflowMetrics {
  const prom = loadPromClient();
  const registers = [registry as Registry];
  const duration: Histogram<"cell" | "clone"> = new prom.Histogram({
    name: "cellflow_cell_duration_seconds",
    help: "Busy seconds per cell run (input waits not counted) or per item a scalable cell's clone ran",
    labelNames: ["cell", "clone"],
    buckets: [...(options.buckets ?? DEFAULT_BUCKETS)],
    registers,
  });
  const items: Counter<"cell" | "clone"> = new prom.Counter({
    name: "cellflow_cell_items_total",
    help: "Cell runs and clone items that ended without an error",
    labelNames: ["cell", "clone"],
    registers,
  });
  const errors: Counter<"cell" | "clone"> = new prom.Counter({
    name: "cellflow_cell_errors_total",
    help: "Cell runs and clone items that threw (an error, or the end of a stream)",
    labelNames: ["cell", "clone"],
    registers,
  });
  const queueItems: Gauge<"cell"> = new prom.Gauge({
    name: "cellflow_queue_items",
    help: "Tickets out in a scalable cell's output queue: items in progress or done and not taken yet",
    labelNames: ["cell"],
    registers,
  });
  const queueCapacity: Gauge<"cell"> = new prom.Gauge({
    name: "cellflow_queue_capacity",
    help: "How many tickets a scalable cell's output queue may have out now",
    labelNames: ["cell"],
    registers,
  });
  const lanes = new LaneLabels(options.maxLanes ?? 32, options.laneIdleMs ?? 60_000, (lane, cells) => {
    for (const cell of cells) for (const metric of [duration, items, errors]) metric.remove({ cell, clone: lane });
  });
  const accepts = options.cells ?? (() => true);
  // `runs`: the runs an event stands for (its own and untimed ones before it, which succeeded).
  const count = (cell: string, lane: string, seconds: number | null, failed: boolean, runs: number) => {
    if (!accepts(cell)) return;
    const labels = { cell, clone: lanes.label(lane, cell) };
    if (failed) {
      errors.inc(labels);
      if (runs > 1) items.inc(labels, runs - 1);
    } else {
      items.inc(labels, runs);
      if (seconds !== null) duration.observe(labels, Math.max(0, seconds));
    }
  };
  const onCellRun = (message: unknown) => {
    const e = message as CellRunEvent;
    count(e.cell, e.lane, e.timed ? (e.end - e.start - e.waited) / 1000 : null, e.failed, e.runs);
  };
  const onCloneItem = (message: unknown) => {
    const e = message as CloneItemEvent;
    count(e.cell, e.lane, (e.end - e.start) / 1000, e.failed, 1);
  };
  const onQueueFill = (message: unknown) => {
    const e = message as QueueFillEvent;
    if (!accepts(e.cell)) return;
    queueItems.set({ cell: e.cell }, e.outstanding);
    queueCapacity.set({ cell: e.cell }, e.capacity);
  };
  subscribe(CHANNELS.cellRun, onCellRun);
  subscribe(CHANNELS.cloneItem, onCloneItem);
  subscribe(CHANNELS.queueFill, onQueueFill);
  let open = true;
  const close = () => {
    if (!open) return;
    open = false;
    unsubscribe(CHANNELS.cellRun, onCellRun);
    unsubscribe(CHANNELS.cloneItem, onCloneItem);
    unsubscribe(CHANNELS.queueFill, onQueueFill);
    for (const name of NAMES) registry.removeSingleMetric(name);
  };
  return { close, [Symbol.dispose]: close };
}

/** A request handler that answers with the metrics' Prometheus text; `close` stops it. */
export interface MetricsHandler extends CellflowMetrics {
  (request: IncomingMessage, response: ServerResponse): void;
  /** The registry the handler serves (its own, unless you passed one). */
  readonly registry: MetricsRegistry;
}

/**
 * A `node:http` request handler for a `/metrics` route of your own server, with
 * cellflow's metrics (see {@link registerMetrics}) on a registry of its own, or on
 * `options.registry`.
 *
 * ```ts
 * const metrics = metricsHandler();
 * http.createServer((req, res) => (req.url === "/metrics" ? metrics(req, res) : res.end())).listen(9464);
 * ```
 *
 * @throws {@link PromClientMissingError} if prom-client is not installed.
 */
export function metricsHandler(options: MetricsOptions & { readonly registry?: MetricsRegistry } = {}): MetricsHandler {
  const registry: MetricsRegistry = options.registry ?? new (loadPromClient().Registry)();
  const metrics = registerMetrics(registry, options);
  const handler = (_request: IncomingMessage, response: ServerResponse) => {
    registry.metrics().then(
      (text) => response.writeHead(200, { "content-type": registry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end(`metrics failed: ${String(error)}\n`),
    );
  };
  return Object.assign(handler, { registry, close: metrics.close, [Symbol.dispose]: metrics.close });
}
