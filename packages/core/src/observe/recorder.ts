/**
 * Records the engine's events (`channels.ts`) into bounded rings while it listens: the
 * input of the bottleneck report (`report()`), the Chrome trace and the dashboard.
 *
 * @module
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { Ring } from "../util/ring.js";
import { countUntimedRuns, holdEveryRun } from "./run-timing.js";
import { CHANNELS } from "./channels.js";
import { now } from "./clock.js";
import type { CellRunEvent, CloneItemEvent, QueueFillEvent, RecordedEvents } from "./events.js";
import { analyze, type ProfileReport, type AnalyzeOptions } from "./report.js";

export interface RecorderOptions {
  /**
   * How many events of each kind (cell runs, clone items, queue fills) to keep; older
   * ones are dropped beyond it. Default 100 000 (a few MB), minutes of a busy pipeline.
   */
  readonly capacity?: number;
  /**
   * Time every cell run while recording, in this thread and in clones elsewhere. By
   * default a cell busy 80 µs or more a run has every run timed, a quicker one only now and then
   * (about one in 256 at most): its other runs are counted into the next event
   * (`CellRunEvent.runs`), so that recording costs a few percent even on a pipeline of
   * cells that do next to nothing (`pnpm bench observe`). With `everyRun` each run gets
   * its event, at about 0.3 µs each: for tests and for traces that must show every box.
   */
  readonly everyRun?: boolean;
}

/**
 * Listens to the engine's events and keeps the newest ones.
 *
 * ```ts
 * const recorder = new Recorder().start();
 * for (let i = 0; i < 100; i++) await pipeline.pull();
 * recorder.stop();
 * console.log(formatReport(recorder.report()));
 * ```
 *
 * While a recorder listens, clones in threads and processes record too, and ship their
 * events with their replies; when the last listener stops, they stop.
 */
export class Recorder implements Disposable {
  private readonly cellRuns: Ring<CellRunEvent>;
  private readonly cloneItems: Ring<CloneItemEvent>;
  private readonly queueFills: Ring<QueueFillEvent>;
  private startedAt = 0;
  private stoppedAt: number | null = null;
  private listening = false;
  private readonly everyRun: boolean;
  private releaseEveryRun: (() => void) | null = null;

  private readonly onCellRun = (message: unknown) => this.cellRuns.push(message as CellRunEvent);
  private readonly onCloneItem = (message: unknown) => this.cloneItems.push(message as CloneItemEvent);
  private readonly onQueueFill = (message: unknown) => this.queueFills.push(message as QueueFillEvent);

  constructor(options: RecorderOptions = {}) {
    const capacity = options.capacity ?? 100_000;
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`Recorder capacity must be a positive integer, got ${String(capacity)}.`);
    this.cellRuns = new Ring(capacity);
    this.cloneItems = new Ring(capacity);
    this.queueFills = new Ring(capacity);
    this.everyRun = options.everyRun === true;
  }

  /** Starts listening (again, after `stop`: what was recorded stays). */
  start(): this {
    if (this.listening) return this;
    this.listening = true;
    if (this.stoppedAt === null) this.startedAt = now();
    this.stoppedAt = null;
    if (this.everyRun) this.releaseEveryRun = holdEveryRun();
    subscribe(CHANNELS.cellRun, this.onCellRun);
    subscribe(CHANNELS.cloneItem, this.onCloneItem);
    subscribe(CHANNELS.queueFill, this.onQueueFill);
    return this;
  }

  /** Stops listening; the events stay until `clear`. */
  stop(): this {
    if (!this.listening) return this;
    this.listening = false;
    // Quick cells' runs since their last event: counted now, so this recording has them all.
    countUntimedRuns();
    this.stoppedAt = now();
    unsubscribe(CHANNELS.cellRun, this.onCellRun);
    unsubscribe(CHANNELS.cloneItem, this.onCloneItem);
    unsubscribe(CHANNELS.queueFill, this.onQueueFill);
    this.releaseEveryRun?.();
    this.releaseEveryRun = null;
    return this;
  }

  get isRecording(): boolean {
    return this.listening;
  }

  /** Forgets every event; the time span starts now. */
  clear(): void {
    this.cellRuns.clear();
    this.cloneItems.clear();
    this.queueFills.clear();
    this.startedAt = now();
    if (this.stoppedAt !== null) this.stoppedAt = this.startedAt;
  }

  /** The events kept, oldest first. */
  events(): RecordedEvents {
    const cellRuns = this.cellRuns.toArray();
    const cloneItems = this.cloneItems.toArray();
    const queueFills = this.queueFills.toArray();
    const dropped = this.cellRuns.dropped + this.cloneItems.dropped + this.queueFills.dropped;
    let from = this.startedAt;
    if (dropped > 0) {
      // The span starts where every kind still has its events.
      const firsts = [cellRuns[0]?.start, cloneItems[0]?.start, queueFills[0]?.time].filter((t): t is number => t !== undefined);
      if (firsts.length > 0) from = Math.max(from, ...firsts);
    }
    return { cellRuns, cloneItems, queueFills, from, to: this.stoppedAt ?? now(), dropped };
  }

  /** The bottleneck report of what was recorded (see `analyze`). */
  report(options?: AnalyzeOptions): ProfileReport {
    return analyze(this.events(), options);
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}
