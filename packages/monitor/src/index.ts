/**
 * A live dashboard and Prometheus metrics for cellflow pipelines.
 *
 * @module @cellflow/monitor
 */
// ---- The dashboard ----------------------------------------------------------------------
export { serveMonitor, type Monitor, type MonitorOptions } from "./server.js";
export type { Snapshot, CellFigures, QueueFigures, LaneFigures, Box } from "./snapshot.js";

// ---- Metrics (prom-client, an optional peer dependency) ---------------------------------
export { registerMetrics, metricsHandler, type CellflowMetrics, type MetricsHandler, type MetricsOptions, type MetricsRegistry } from "./metrics.js";

// ---- Errors -----------------------------------------------------------------------------
export { PromClientMissingError } from "./errors.js";
