/**
 * Recording a run: everything the engine publishes on its diagnostics channels between
 * `recordEvents()` and `stop()`, as the RecordedEvents that `toChromeTrace` and
 * `toConcurrencySvg` take. Start it before `deploy()`: clones start on items then.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { CHANNELS, type CellRunEvent, type CloneItemEvent, type QueueFillEvent, type RecordedEvents } from "@cellflow/core";

export function recordEvents(): { stop(): RecordedEvents } {
  const cellRuns: CellRunEvent[] = [];
  const cloneItems: CloneItemEvent[] = [];
  const queueFills: QueueFillEvent[] = [];
  const listeners = [
    [CHANNELS.cellRun, (event: unknown) => cellRuns.push(event as CellRunEvent)],
    [CHANNELS.cloneItem, (event: unknown) => cloneItems.push(event as CloneItemEvent)],
    [CHANNELS.queueFill, (event: unknown) => queueFills.push(event as QueueFillEvent)],
  ] as const;
  for (const [name, listener] of listeners) subscribe(name, listener);
  const from = performance.now();
  return {
    stop() {
      for (const [name, listener] of listeners) unsubscribe(name, listener);
      return { cellRuns, cloneItems, queueFills, from, to: performance.now(), dropped: 0 };
    },
  };
}
