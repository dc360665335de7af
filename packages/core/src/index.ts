/**
 * The engine: cells, IO, connections, pipelines, scalable cells, sources from iterables
 * and observables, its events with the bottleneck report and traces made from them, and
 * the typed errors. A pipeline as an RxJS Observable:
 * `@cellflow/core/rxjs`; writing a clone method: `@cellflow/core/clone-methods`.
 *
 * @module @cellflow/core
 */
// ---- Cells ------------------------------------------------------------------------------
export { Cell, type CellClass, type Explained, type PullOptions, type DeployOptions } from "./cells/cell.js";
export { SingleCell } from "./cells/single-cell.js";
export { CompositeCell } from "./cells/composite-cell.js";
export { Pipeline } from "./cells/pipeline.js";
export type { OutputRecord, OutputPortFields, PipelineOutputs } from "./cells/pipeline-outputs.js";

// ---- IO ---------------------------------------------------------------------------------
export { IO, type IOKind, type AnyIO } from "./io/io.js";
export { Input } from "./io/input.js";
export { Output } from "./io/output.js";
export { InputPort, OutputPort } from "./io/ports.js";
export { ConfigParameter, RuntimeParameter, type Parameter } from "./io/parameters.js";
export type { EmitterOptions } from "./io/fanout.js";
export type { ReceiverOptions } from "./io/inbox.js";

// ---- Connections and topology -----------------------------------------------------------
export {
  Connection,
  type ConnectionOptions,
  type ConnectionSource,
  type ConnectionTarget,
  type AnyConnection,
} from "./connection/connection.js";
export type { Topology } from "./topology/topology.js";
export type { TopologyDescription, CellDescription, ConnectionDescription } from "./topology/description.js";
export { toMermaid, type MermaidOptions } from "./topology/mermaid.js";

// ---- Scaling ----------------------------------------------------------------------------
export { ScalableCell, type ScalingStrategyName } from "./scaling/scalable-cell.js";
// Writing a clone method (CloneHandle, registerCloneMethod, …): "@cellflow/core/clone-methods".
export type { CloneMethodName } from "./scaling/clone-method.js";
export type { CloneCrashEvent, CloneNoticeEvent } from "./scaling/scaling-strategy.js";
export { registerCells, type CellLocation } from "./scaling/cell-registry.js";
import "./scaling/methods/thread-clone.js";
import "./scaling/methods/process-clone.js";

// ---- Observing: events on node:diagnostics_channel -------------------------------------
export { CHANNELS } from "./observe/channels.js";
export type { CellRunEvent, CloneItemEvent, QueueFillEvent, Lane, RecordedEvents } from "./observe/events.js";
export { Recorder, type RecorderOptions } from "./observe/recorder.js";
export { countUntimedRuns } from "./observe/run-timing.js";
export {
  analyze,
  type AnalyzeOptions,
  type ProfileReport,
  type CellProfile,
  type CloneProfile,
  type QueueProfile,
  type ScalingSuggestion,
} from "./observe/report.js";
export { formatReport } from "./observe/report-text.js";
export { profile, type ProfileOptions, type Profile } from "./observe/profile.js";
export {
  toChromeTrace,
  writeChromeTrace,
  type ChromeTrace,
  type ChromeTraceEvent,
  type ChromeTraceOptions,
} from "./observe/chrome-trace.js";
export { toConcurrencySvg, type ConcurrencySvgOptions } from "./observe/concurrency-svg.js";

// ---- Interop (no RxJS needed; a pipeline as an Observable: "@cellflow/core/rxjs") --------
export { IterableSource, type IterableSourceInput } from "./interop/iterable-source.js";
export { ObservableSource, type ObservableLike, type ObservableSourceOptions } from "./interop/observable-source.js";

// ---- Errors -----------------------------------------------------------------------------
export * from "./errors/index.js";
