/**
 * Collects what the engine publishes on its channels into a RecordedEvents, for tests
 * (the Recorder, with its bounded ring, is the users' way; this keeps everything).
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { CHANNELS, type CellRunEvent, type CloneItemEvent, type QueueFillEvent, type RecordedEvents } from "@cellflow/core";

export interface Collector {
  /** Unsubscribes and returns what was published since `collectEvents()`. */
  stop(): RecordedEvents;
}

export function collectEvents(): Collector {
  const cellRuns: CellRunEvent[] = [];
  const cloneItems: CloneItemEvent[] = [];
  const queueFills: QueueFillEvent[] = [];
  const onRun = (e: unknown) => cellRuns.push(e as CellRunEvent);
  const onItem = (e: unknown) => cloneItems.push(e as CloneItemEvent);
  const onFill = (e: unknown) => queueFills.push(e as QueueFillEvent);
  subscribe(CHANNELS.cellRun, onRun);
  subscribe(CHANNELS.cloneItem, onItem);
  subscribe(CHANNELS.queueFill, onFill);
  const from = performance.now();
  return {
    stop() {
      unsubscribe(CHANNELS.cellRun, onRun);
      unsubscribe(CHANNELS.cloneItem, onItem);
      unsubscribe(CHANNELS.queueFill, onFill);
      return { cellRuns, cloneItems, queueFills, from, to: performance.now(), dropped: 0 };
    },
  };
}
