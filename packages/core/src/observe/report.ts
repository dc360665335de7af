/**
 * The bottleneck report: what each cell and clone did in a recorded span, which stage
 * limits the pipeline, and how many clones each scalable cell needs.
 *
 * The model (the seed's, and Flink's autoscaler's "true rate"): every stage is a server
 * with a rate it can sustain when it never waits for input.
 * - A cell outside any scalable cell (lane "main"): items ÷ busy time, where busy is a
 *   run minus the time its input pulls waited (upstream work is not its own).
 * - A scalable cell: the sum over its clones of items ÷ cycle time. A clone's manager
 *   pulls the next item's inputs between items, so a clone's cycle per item is the item
 *   plus that pull (`inputMs`); for clones that batch, this errs on the safe side.
 * The bottleneck is the stage with the lowest sustainable rate. A scalable cell needs
 * enough clones to keep up with the slowest other stage: ⌈that rate × cycle per item⌉
 * (more would only fill its queue). For an unscaled bottleneck, the same count is
 * suggested with its whole run (its own work plus its inputs) as the cycle, which is
 * what a clone of it would spend per item. Cells holding one thread with CPU work share
 * it; the model counts each cell on its own, as for I/O-bound cells.
 *
 * @module
 */
import type { CellRunEvent, CloneItemEvent, QueueFillEvent, RecordedEvents } from "./events.js";

/** One clone of a scalable cell in the span. */
export interface CloneProfile {
  readonly lane: string;
  readonly method: string;
  readonly items: number;
  readonly errors: number;
  /** Milliseconds running items. */
  readonly busyMs: number;
  /** busy ÷ span. */
  readonly utilisation: number;
  /** Items per second this clone sustains: items ÷ (busy + its inputs' pulls). */
  readonly trueRate: number;
}

/** A scalable cell's output queue in the span (from its queue-fill events). */
export interface QueueProfile {
  /** Tickets out on average (reserved or filled, not taken), over the events. */
  readonly meanOutstanding: number;
  readonly maxOutstanding: number;
  /** Results waiting to be taken, on average: near 0 means the pipeline waits for the clones. */
  readonly meanFilled: number;
  /** The room at the last event. */
  readonly capacity: number;
}

/** One stage: a cell outside scalable cells, or a scalable cell with its clones. */
export interface CellProfile {
  readonly cell: string;
  readonly scalable: boolean;
  readonly items: number;
  readonly errors: number;
  /** Items per second it delivered in the span. */
  readonly itemsPerSecond: number;
  /** Milliseconds of its own work (summed over clones). */
  readonly busyMs: number;
  /** busy ÷ span (per clone, averaged, for a scalable cell). */
  readonly utilisation: number;
  /** Items per second it could sustain if it never waited (summed over clones). */
  readonly trueRate: number;
  /** Milliseconds per item a clone of it spends: its work plus its inputs' pull. */
  readonly cycleMs: number;
  /** Scalable cells: their clones (lanes that ran items in the span). */
  readonly clones: readonly CloneProfile[];
  /**
   * Runs that were timed. A cell busy under 80 µs a run has only some of its runs timed
   * (see `CellRunEvent.runs`): its busy time and rates are then estimated from those.
   * Equals `items + errors` when every run was timed (always so for clone items).
   */
  readonly timedRuns: number;
  readonly queue?: QueueProfile;
}

export interface ScalingSuggestion {
  readonly cell: string;
  /** Clones that ran items in the span (0 for a cell that is not scalable yet). */
  readonly clones: number;
  readonly suggested: number;
  /** The rate it must keep up with: the slowest other stage's, items per second. */
  readonly targetRate: number;
}

export interface ProfileReport {
  /** Length of the span, in milliseconds. */
  readonly ms: number;
  readonly cells: readonly CellProfile[];
  /** The stage with the lowest sustainable rate, or null when nothing ran. */
  readonly bottleneck: string | null;
  /** One per scalable cell, and one for the bottleneck when it is not scalable. */
  readonly suggestions: readonly ScalingSuggestion[];
  /** Events the recorder dropped (its ring was full): the figures cover only what it kept. */
  readonly dropped: number;
}

export interface AnalyzeOptions {
  /** Only cells at or below this path (a pipeline's, say). */
  readonly under?: string;
}

/** The bottleneck report of `events` (what a `Recorder` holds). */
export function analyze(events: RecordedEvents, options: AnalyzeOptions = {}): ProfileReport {
  const ms = Math.max(events.to - events.from, 1e-9);
  const within = (cell: string) => options.under === undefined || cell === options.under || cell.startsWith(`${options.under}.`);
  const cells: CellProfile[] = [];
  const order = new Map<string, number>(); // first end: upstream stages finish first, so they list first

  for (const [cell, runs] of groupBy(events.cellRuns.filter((r) => r.lane === "main" && within(r.cell)), (r) => r.cell)) {
    order.set(cell, earliest(runs, (r) => r.end));
    cells.push(unscaledProfile(cell, runs, ms));
  }
  const fills = groupBy(events.queueFills, (q) => q.cell);
  for (const [cell, items] of groupBy(events.cloneItems.filter((i) => within(i.cell)), (i) => i.cell)) {
    order.set(cell, earliest(items, (i) => i.end));
    cells.push(scalableProfile(cell, items, fills.get(cell), ms));
  }
  cells.sort((a, b) => order.get(a.cell)! - order.get(b.cell)! || a.cell.localeCompare(b.cell));

  const stages = cells.filter((c) => c.items > 0);
  let bottleneck: CellProfile | null = null;
  for (const stage of stages) if (bottleneck === null || stage.trueRate < bottleneck.trueRate) bottleneck = stage;

  const suggestions: ScalingSuggestion[] = [];
  for (const stage of stages) {
    if (!stage.scalable && stage !== bottleneck) continue;
    const others = stages.filter((s) => s !== stage && Number.isFinite(s.trueRate));
    if (others.length === 0) continue;
    const targetRate = Math.min(...others.map((s) => s.trueRate));
    const suggested = Math.max(1, Math.ceil(round6((targetRate * stage.cycleMs) / 1000)));
    suggestions.push({ cell: stage.cell, clones: stage.clones.length, suggested, targetRate });
  }
  return { ms, cells, bottleneck: bottleneck?.cell ?? null, suggestions, dropped: events.dropped };
}

function unscaledProfile(cell: string, runs: readonly CellRunEvent[], ms: number): CellProfile {
  // An event stands for `runs` runs: its own, and the untimed ones before it. Only timed
  // events have lengths: busy time per run comes from them, for all the runs.
  let count = 0;
  let timedCount = 0;
  let timedEvents = 0;
  let timedBusy = 0;
  let timedWhole = 0;
  let errors = 0;
  for (const r of runs) {
    count += r.runs;
    if (r.failed) errors++;
    if (!r.timed) continue;
    timedEvents++;
    timedCount += r.runs;
    timedBusy += r.runs * Math.max(0, r.end - r.start - r.waited);
    timedWhole += r.runs * (r.end - r.start);
  }
  const scale = timedCount > 0 ? count / timedCount : 0;
  const busy = timedBusy * scale;
  const whole = timedWhole * scale;
  const items = count - errors;
  return {
    cell,
    scalable: false,
    items,
    errors,
    itemsPerSecond: (items / ms) * 1000,
    busyMs: busy,
    utilisation: busy / ms,
    trueRate: rate(count, busy),
    cycleMs: count > 0 ? whole / count : 0,
    clones: [],
    timedRuns: timedEvents,
  };
}

function scalableProfile(cell: string, items: readonly CloneItemEvent[], fills: readonly QueueFillEvent[] | undefined, ms: number): CellProfile {
  const clones: CloneProfile[] = [];
  let busy = 0;
  let cycle = 0;
  let errors = 0;
  for (const [lane, own] of groupBy(items, (i) => i.lane)) {
    let laneBusy = 0;
    let laneCycle = 0;
    let laneErrors = 0;
    for (const i of own) {
      laneBusy += i.end - i.start;
      laneCycle += i.end - i.start + i.inputMs;
      if (i.failed) laneErrors++;
    }
    busy += laneBusy;
    cycle += laneCycle;
    errors += laneErrors;
    clones.push({
      lane,
      method: own[0]!.method,
      items: own.length - laneErrors,
      errors: laneErrors,
      busyMs: laneBusy,
      utilisation: laneBusy / ms,
      trueRate: rate(own.length, laneCycle),
    });
  }
  const delivered = items.length - errors;
  return {
    cell,
    scalable: true,
    items: delivered,
    errors,
    itemsPerSecond: (delivered / ms) * 1000,
    busyMs: busy,
    utilisation: clones.length > 0 ? busy / ms / clones.length : 0,
    trueRate: clones.reduce((sum, c) => sum + c.trueRate, 0),
    cycleMs: items.length > 0 ? cycle / items.length : 0,
    clones,
    timedRuns: items.length,
    ...(fills !== undefined && fills.length > 0 ? { queue: queueProfile(fills) } : {}),
  };
}

function queueProfile(fills: readonly QueueFillEvent[]): QueueProfile {
  let outstanding = 0;
  let filled = 0;
  let max = 0;
  for (const f of fills) {
    outstanding += f.outstanding;
    filled += f.filled;
    max = Math.max(max, f.outstanding);
  }
  return {
    meanOutstanding: outstanding / fills.length,
    maxOutstanding: max,
    meanFilled: filled / fills.length,
    capacity: fills[fills.length - 1]!.capacity,
  };
}

/** Items per second for `count` items in `ms` of work (infinite for work too quick to measure). */
function rate(count: number, ms: number): number {
  return ms > 0 ? (count / ms) * 1000 : Infinity;
}

/** Rounded to 6 decimals, so a ratio of exactly 3 measured as 3.0000000001 does not become 4. */
function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

function earliest<T>(items: readonly T[], time: (item: T) => number): number {
  let first = Infinity;
  for (const item of items) first = Math.min(first, time(item));
  return first;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    let group = groups.get(k);
    if (group === undefined) groups.set(k, (group = []));
    group.push(item);
  }
  return groups;
}
