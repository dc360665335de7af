/**
 * The dashboard's memory: the engine's events of the last few seconds, subscribed to on
 * `start` and let go on `stop`. Each kind is kept in a bounded list (oldest dropped
 * beyond `maxEvents`), and events older than the window are pruned when read, so memory
 * stays bounded however busy the pipeline.
 *
 * @module
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { performance } from "node:perf_hooks";
import { CHANNELS, countUntimedRuns, type CellRunEvent, type CloneItemEvent, type QueueFillEvent, type RecordedEvents } from "@cellflow/core";

/** A bounded list, oldest first. */
class Recent<T> {
  private items: T[] = [];
  private head = 0;
  dropped = 0;

  constructor(
    private readonly max: number,
    private readonly timeOf: (item: T) => number,
  ) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length - this.head > this.max) {
      this.head++;
      this.dropped++;
    }
    this.compact();
  }

  /**
   * Forgets the oldest items while they ended before `time`, and returns those that did
   * not, oldest first. (Events from thread and process clones come in batches, a little
   * out of order, so a late old one may sit behind a newer one until it is filtered.)
   */
  since(time: number): T[] {
    while (this.head < this.items.length && this.timeOf(this.items[this.head]!) < time) this.head++;
    this.compact();
    const kept: T[] = [];
    for (let i = this.head; i < this.items.length; i++) if (this.timeOf(this.items[i]!) >= time) kept.push(this.items[i]!);
    return kept;
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

export interface EventWindowOptions {
  /** Milliseconds of events kept. */
  readonly spanMs: number;
  /** At most this many events of each kind. */
  readonly maxEvents: number;
  /** Which cells' events are kept (the monitored pipeline's). */
  readonly accepts: (cell: string) => boolean;
}

/** The events of the last `spanMs` milliseconds, and each scalable cell's latest queue fill. */
export class EventWindow {
  private readonly cellRuns: Recent<CellRunEvent>;
  private readonly cloneItems: Recent<CloneItemEvent>;
  private readonly queueFills: Recent<QueueFillEvent>;
  /** The latest fill of each scalable cell, kept past the window (a queue that stopped changing still has its fill). */
  readonly latestFill = new Map<string, QueueFillEvent>();
  private startedAt = 0;
  private listening = false;

  private readonly onCellRun = (message: unknown) => {
    const e = message as CellRunEvent;
    if (this.options.accepts(e.cell)) this.cellRuns.push(e);
  };
  private readonly onCloneItem = (message: unknown) => {
    const e = message as CloneItemEvent;
    if (this.options.accepts(e.cell)) this.cloneItems.push(e);
  };
  private readonly onQueueFill = (message: unknown) => {
    const e = message as QueueFillEvent;
    if (!this.options.accepts(e.cell)) return;
    this.queueFills.push(e);
    this.latestFill.set(e.cell, e);
  };

  constructor(private readonly options: EventWindowOptions) {
    this.cellRuns = new Recent(options.maxEvents, (e) => e.end);
    this.cloneItems = new Recent(options.maxEvents, (e) => e.end);
    this.queueFills = new Recent(options.maxEvents, (e) => e.time);
  }

  start(): void {
    if (this.listening) return;
    this.listening = true;
    this.startedAt = performance.now();
    subscribe(CHANNELS.cellRun, this.onCellRun);
    subscribe(CHANNELS.cloneItem, this.onCloneItem);
    subscribe(CHANNELS.queueFill, this.onQueueFill);
  }

  stop(): void {
    if (!this.listening) return;
    this.listening = false;
    unsubscribe(CHANNELS.cellRun, this.onCellRun);
    unsubscribe(CHANNELS.cloneItem, this.onCloneItem);
    unsubscribe(CHANNELS.queueFill, this.onQueueFill);
  }

  /** The events of the window ending now, in the shape of the engine's recorder. */
  events(now = performance.now()): RecordedEvents {
    // Quick cells' untimed runs since their last event: counted in this window now.
    if (this.listening) countUntimedRuns();
    const from = Math.max(this.startedAt, now - this.options.spanMs);
    return {
      cellRuns: this.cellRuns.since(from),
      cloneItems: this.cloneItems.since(from),
      queueFills: this.queueFills.since(from),
      from,
      to: now,
      dropped: this.cellRuns.dropped + this.cloneItems.dropped + this.queueFills.dropped,
    };
  }
}
