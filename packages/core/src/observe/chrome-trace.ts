/**
 * A recording as a Chrome Trace Event file, which Perfetto UI (https://ui.perfetto.dev)
 * and `chrome://tracing` open: one named lane (a trace "thread") per clone, a box per
 * cell run and per clone item, the queue fill of each scalable cell as a counter track,
 * and arrows that follow each item from the run that made its inputs, through its clone,
 * to the run that took it.
 *
 * ```ts
 * import { Recorder, writeChromeTrace } from "@cellflow/core";
 * const recorder = new Recorder().start(); // before deploy: clones start on items then
 * await pipeline.deploy();
 * for (let i = 0; i < 100; i++) await pipeline.pull();
 * await writeChromeTrace("trace.json", recorder.stop().events());
 * ```
 *
 * @module
 */
import { writeFile } from "node:fs/promises";
import type { CellRunEvent, CloneItemEvent, Lane, RecordedEvents } from "./events.js";
import { inferConsumer, linkItems, producerRuns } from "./item-flows.js";
import { assignRows, busySpan, compareLanes, rowName } from "./lanes.js";

/** One entry of `traceEvents` (the fields of the Trace Event Format that cellflow writes). */
export interface ChromeTraceEvent {
  readonly name: string;
  /** "X" complete event, "C" counter, "s"/"f" flow start/end, "M" metadata. */
  readonly ph: "X" | "C" | "s" | "f" | "M";
  /** Microseconds since the recording's start. */
  readonly ts: number;
  readonly pid: number;
  readonly tid: number;
  /** Microseconds ("X" only). */
  readonly dur?: number;
  readonly cat?: string;
  /** Flow id ("s"/"f"): an end belongs to the start with the same id. */
  readonly id?: number;
  /** "e": the flow end binds to the slice enclosing it. */
  readonly bp?: "e";
  /** Trace viewer colour name (failed runs: "terrible"). */
  readonly cname?: string;
  readonly args?: Readonly<Record<string, unknown>>;
}

/** The JSON object format of the Trace Event Format. */
export interface ChromeTrace {
  readonly traceEvents: ChromeTraceEvent[];
  readonly displayTimeUnit: "ms";
  /** Shown by the viewers as the trace's metadata. */
  readonly otherData: {
    readonly producer: "cellflow";
    /** The recording's window, on the recording process's `performance.now()` clock (ms). */
    readonly from: number;
    readonly to: number;
    /** Events the recorder dropped (a bounded ring that was full). */
    readonly dropped: number;
  };
}

export interface ChromeTraceOptions {
  /** The trace process's name (default "cellflow"). */
  readonly processName?: string;
  /**
   * The cell that consumes each scalable cell's output, by scalable cell path, for the
   * flow arrows. Missing entries are read off the recording (the cell outside the scalable
   * cell whose runs, linked by order, end after their items). Flows need a recording that
   * covers the scalable cell from its first item: start recording before `deploy()`.
   */
  readonly consumers?: Readonly<Record<string, string>>;
  /** Draw flow arrows (default true). */
  readonly flows?: boolean;
  /**
   * How much a box may overlap the one before it in its lane and still follow it, its
   * start moved to that one's end (default 1 ms): a run's end is read a moment after its
   * output reached its consumer, which is bookkeeping, not concurrency (see `assignRows`).
   */
  readonly overlapToleranceMs?: number;
}

/** The one trace process: a trace "thread" per lane row, all in it. */
const PID = 1;

/** Milliseconds since `origin` as microseconds, to the nanosecond (keeps the JSON short). */
const micros = (ms: number, origin: number) => Math.round((ms - origin) * 1e6) / 1e3;

/**
 * The Chrome Trace Event JSON of a recording (a pure function of it). Lanes: every
 * {@link Lane} of the recording (the main thread, each async, thread, process and remote
 * clone; a crashed clone's replacement is a lane of its own) is a trace thread named
 * after it (`thread_name` metadata), ordered main first. Boxes (`X` events):
 *
 * - a **cell run** is drawn as its busy part: it ends at `end` and lasts
 *   `end - start - waited`, so a printer waiting for the queue does not cover the
 *   multiplier's time (`args` keep the whole run: `startMs`, `waitedMs`; and `runs`
 *   when the box stands for more runs than its own: quick cells are timed now and then,
 *   and their untimed runs have no box);
 * - a **clone item** spans the clone's work on the item, on the clone's lane (the inner
 *   cell's runs nest inside it).
 *
 * Boxes of one lane that would partly overlap (concurrent async work on one thread) go
 * to an overflow lane of the same name plus a number, `"main (2)"`, so every lane's
 * boxes nest properly (an overlap up to `overlapToleranceMs` is not concurrency: the
 * later box starts where the earlier ended).
 *
 * Counters (`C`): `queue <scalable cell>` with `outstanding`, `filled` and `capacity`.
 * Flows (`s` → `f`) follow an item through its stages: `"input"` from the upstream run
 * that made a clone item's inputs (the one that ended last while they were on their
 * way, `inputMs` before the item's start) to the item, and `"item"` from each clone item
 * to the run of the consumer that took it, linked by order (the k-th item taken is the
 * k-th run of the consumer; see `item-flows.ts`).
 *
 * Times: `ts` and `dur` in microseconds from the recording's start (or its earliest
 * event, if that is earlier). Everything goes in one trace process; its name is
 * `processName`.
 */
export function toChromeTrace(events: RecordedEvents, options: ChromeTraceOptions = {}): ChromeTrace {
  let origin = events.from;
  // Events that were not timed (CellRunEvent.timed) have no length: they count, but draw nothing.
  const timedRuns = events.cellRuns.filter((run) => run.timed);
  for (const run of timedRuns) origin = Math.min(origin, run.start);
  for (const item of events.cloneItems) origin = Math.min(origin, item.start);
  for (const fill of events.queueFills) origin = Math.min(origin, fill.time);

  interface Box {
    readonly lane: Lane;
    readonly start: number;
    readonly end: number;
    readonly key: string;
    readonly event: ChromeTraceEvent;
  }
  const boxes: Box[] = [];
  const runBoxes = new Map<CellRunEvent, Box>();
  const itemBoxes = new Map<CloneItemEvent, Box>();
  const box = (lane: Lane, startMs: number, endMs: number, event: Omit<ChromeTraceEvent, "ts" | "dur" | "pid" | "tid" | "ph">): Box => {
    const ts = micros(startMs, origin);
    const dur = Math.max(0, Math.round((micros(endMs, origin) - ts) * 1e3) / 1e3);
    const b: Box = { lane, start: ts, end: ts + dur, key: event.name, event: { ph: "X", ts, dur, pid: PID, tid: 0, ...event } };
    boxes.push(b);
    return b;
  };
  for (const run of timedRuns) {
    const busy = busySpan(run);
    const args = { lane: run.lane, startMs: run.start, waitedMs: run.waited, busyMs: busy.end - busy.start, failed: run.failed, ...(run.runs > 1 ? { runs: run.runs } : {}) };
    runBoxes.set(run, box(run.lane, busy.start, busy.end, { name: run.cell, cat: "cell-run", args, ...failedColour(run.failed) }));
  }
  for (const item of events.cloneItems) {
    const args = { ticket: item.ticket, method: item.method, inputMs: item.inputMs, failed: item.failed };
    itemBoxes.set(item, box(item.lane, item.start, item.end, { name: `${item.cell} item`, cat: "clone-item", args, ...failedColour(item.failed) }));
  }

  // Rows: a tid per (lane, row), in display order.
  const placements = assignRows(boxes, "nest", (options.overlapToleranceMs ?? 1) * 1e3);
  const rows = new Map<string, { lane: Lane; row: number }>();
  placements.forEach((p) => rows.set(rowName(p.lane, p.row), p));
  const lanesInOrder = [...rows.values()].sort((a, b) => compareLanes(a.lane, b.lane) || a.row - b.row);
  const tids = new Map<string, number>();
  lanesInOrder.forEach((p, i) => tids.set(rowName(p.lane, p.row), i + 1));
  const placed = new Map<Box, ChromeTraceEvent>();
  boxes.forEach((b, i) => {
    const p = placements[i]!;
    const ts = Math.round(p.start * 1e3) / 1e3;
    const dur = Math.max(0, Math.round((b.end - ts) * 1e3) / 1e3);
    placed.set(b, { ...b.event, ts, dur, tid: tids.get(rowName(b.lane, p.row))! });
  });

  const traceEvents: ChromeTraceEvent[] = [
    { name: "process_name", ph: "M", ts: 0, pid: PID, tid: 0, args: { name: options.processName ?? "cellflow" } },
  ];
  for (const [name, tid] of tids) {
    traceEvents.push({ name: "thread_name", ph: "M", ts: 0, pid: PID, tid, args: { name } });
    traceEvents.push({ name: "thread_sort_index", ph: "M", ts: 0, pid: PID, tid, args: { sort_index: tid } });
  }
  traceEvents.push(...[...placed.values()].sort((a, b) => a.ts - b.ts || b.dur! - a.dur!));

  for (const fill of events.queueFills) {
    traceEvents.push({
      name: `queue ${fill.cell}`,
      ph: "C",
      ts: micros(fill.time, origin),
      pid: PID,
      tid: 0,
      args: { outstanding: fill.outstanding, filled: fill.filled, capacity: fill.capacity },
    });
  }

  if (options.flows !== false) {
    let id = 0;
    /** An arrow from the end of box `from` into box `to` (at its start, or later: never before the arrow starts); none if `to` ended first. */
    const arrow = (name: string, from: ChromeTraceEvent, to: ChromeTraceEvent, args: Record<string, unknown>): void => {
      const s = Math.max(from.ts, from.ts + from.dur! - 1); // just inside the end of `from`
      const f = Math.max(to.ts, s);
      if (f > to.ts + to.dur!) return; // `to` ended before `from` did: not linked after all
      const flow = { name, cat: "flow", id: ++id, args };
      traceEvents.push({ ...flow, ph: "s", ts: s, pid: PID, tid: from.tid });
      traceEvents.push({ ...flow, ph: "f", bp: "e", ts: f, pid: PID, tid: to.tid });
    };
    for (const cell of new Set(events.cloneItems.map((item) => item.cell))) {
      const consumer = options.consumers?.[cell] ?? inferConsumer(events, cell);
      for (const { item, run } of producerRuns(events, cell, consumer)) {
        arrow("input", placed.get(runBoxes.get(run)!)!, placed.get(itemBoxes.get(item)!)!, { cell, ticket: item.ticket, from: run.cell });
      }
      if (consumer === undefined) continue;
      for (const { item, run } of linkItems(events, cell, consumer)) {
        arrow("item", placed.get(itemBoxes.get(item)!)!, placed.get(runBoxes.get(run)!)!, { cell, ticket: item.ticket, to: consumer });
      }
    }
  }
  return {
    traceEvents,
    displayTimeUnit: "ms",
    otherData: { producer: "cellflow", from: events.from, to: events.to, dropped: events.dropped },
  };
}

const failedColour = (failed: boolean): { cname?: string } => (failed ? { cname: "terrible" } : {});

/** Writes {@link toChromeTrace}'s JSON to `file`. */
export async function writeChromeTrace(file: string, events: RecordedEvents, options?: ChromeTraceOptions): Promise<void> {
  await writeFile(file, JSON.stringify(toChromeTrace(events, options)));
}
