/**
 * Events from clones in other threads and processes. diagnostics_channel channels are
 * per thread, so a clone's events would stay where they happened. While the parent
 * listens, its requests to a clone say so (`observe`); the clone then records its own
 * channels into a bounded buffer and ships what it has with each reply, its times as
 * epoch milliseconds (see clock.ts); the parent moves them onto its clock and publishes
 * them on its own channels. When the parent stops listening, the clone stops recording.
 *
 * @module
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { CHANNELS, cellRunChannel, cloneItemChannel, queueFillChannel, publishCellRun, publishCloneItem, publishQueueFill } from "./channels.js";
import { countUntimedRuns, holdEveryRun } from "./run-timing.js";
import { fromEpoch, toEpoch } from "./clock.js";
import type { CellRunEvent, CloneItemEvent, QueueFillEvent } from "./events.js";

/** A clone's events since its last reply, times in epoch milliseconds. */
export interface ShippedEvents {
  readonly cellRuns?: CellRunEvent[];
  readonly cloneItems?: CloneItemEvent[];
  readonly queueFills?: QueueFillEvent[];
  /** Events the clone dropped because its buffer was full (the parent did not ask for a while). */
  readonly dropped?: number;
}

/** One item's run in a clone, as epoch milliseconds: `[start, end]`. */
export type ItemSpan = readonly [start: number, end: number];

/** At most this many events wait in a clone for the next reply; older ones are dropped beyond it. */
const MAX_BUFFERED = 10_000;

/**
 * Whether anyone in this thread listens to the engine's events: a clone method then asks
 * its clones elsewhere to record theirs and ship them back (see `publishShipped`).
 */
export function observingAny(): boolean {
  return cellRunChannel.hasSubscribers || cloneItemChannel.hasSubscribers || queueFillChannel.hasSubscribers;
}

/** @internal The clone's side: records this thread's channels while asked to. */
export class EventRecorderInClone {
  private cellRuns: CellRunEvent[] = [];
  private cloneItems: CloneItemEvent[] = [];
  private queueFills: QueueFillEvent[] = [];
  private count = 0;
  private dropped = 0;
  private recording = false;
  /** Set while the parent times every run: lets this thread's hold go. */
  private releaseEveryRun: (() => void) | null = null;

  private readonly onCellRun = (message: unknown) => {
    const e = message as CellRunEvent;
    if (this.room()) this.cellRuns.push({ ...e, start: toEpoch(e.start), end: toEpoch(e.end) });
  };
  private readonly onCloneItem = (message: unknown) => {
    const e = message as CloneItemEvent;
    if (this.room()) this.cloneItems.push({ ...e, start: toEpoch(e.start), end: toEpoch(e.end) });
  };
  private readonly onQueueFill = (message: unknown) => {
    const e = message as QueueFillEvent;
    if (this.room()) this.queueFills.push({ ...e, time: toEpoch(e.time) });
  };

  /** Follows the parent's wish, as each request states it. */
  setRecording(on: boolean, everyRun = false): void {
    const timesEveryRun = on && everyRun;
    if (timesEveryRun !== (this.releaseEveryRun !== null)) {
      if (timesEveryRun) this.releaseEveryRun = holdEveryRun();
      else {
        this.releaseEveryRun!();
        this.releaseEveryRun = null;
      }
    }
    if (on === this.recording) return;
    this.recording = on;
    const toggle = on ? subscribe : unsubscribe;
    toggle(CHANNELS.cellRun, this.onCellRun);
    toggle(CHANNELS.cloneItem, this.onCloneItem);
    toggle(CHANNELS.queueFill, this.onQueueFill);
  }

  get isRecording(): boolean {
    return this.recording;
  }

  /** What was recorded since the last call, or undefined if nothing. */
  take(): ShippedEvents | undefined {
    // Quick cells' runs since their last event go with this reply: the parent's counts stay whole.
    if (this.recording) countUntimedRuns();
    if (this.count === 0 && this.dropped === 0) return undefined;
    const shipped: ShippedEvents = {
      ...(this.cellRuns.length > 0 ? { cellRuns: this.cellRuns } : {}),
      ...(this.cloneItems.length > 0 ? { cloneItems: this.cloneItems } : {}),
      ...(this.queueFills.length > 0 ? { queueFills: this.queueFills } : {}),
      ...(this.dropped > 0 ? { dropped: this.dropped } : {}),
    };
    this.cellRuns = [];
    this.cloneItems = [];
    this.queueFills = [];
    this.count = 0;
    this.dropped = 0;
    return shipped;
  }

  private room(): boolean {
    if (this.count >= MAX_BUFFERED) {
      this.dropped++;
      return false;
    }
    this.count++;
    return true;
  }
}

/**
 * Publishes events a clone shipped from elsewhere (times in epoch milliseconds) on this
 * thread's channels, on its `performance.now()` clock. Clocks of other machines may be
 * off by their skew.
 */
export function publishShipped(events: ShippedEvents): void {
  if (events.cellRuns !== undefined && cellRunChannel.hasSubscribers) {
    for (const e of events.cellRuns) publishCellRun({ ...e, start: fromEpoch(e.start), end: fromEpoch(e.end) });
  }
  if (events.cloneItems !== undefined && cloneItemChannel.hasSubscribers) {
    for (const e of events.cloneItems) publishCloneItem({ ...e, start: fromEpoch(e.start), end: fromEpoch(e.end) });
  }
  if (events.queueFills !== undefined && queueFillChannel.hasSubscribers) {
    for (const e of events.queueFills) publishQueueFill({ ...e, time: fromEpoch(e.time) });
  }
}
