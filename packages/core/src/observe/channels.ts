/**
 * The engine's `node:diagnostics_channel` channels, created once per module. Every
 * publishing site checks `hasSubscribers` first and reads the clock only then, so with
 * nobody listening an event costs one property read (`pnpm bench observe` holds it).
 *
 * ```ts
 * import { subscribe } from "node:diagnostics_channel";
 * import { CHANNELS, type CellRunEvent } from "@cellflow/core";
 * subscribe(CHANNELS.cellRun, (message) => console.log(message as CellRunEvent));
 * ```
 *
 * @module
 */
import { channel } from "node:diagnostics_channel";
import type { CellRunEvent, CloneItemEvent, QueueFillEvent } from "./events.js";

/** The channel names, for `diagnostics_channel.subscribe`. */
export const CHANNELS = {
  /** {@link CellRunEvent}: one run of a single cell. */
  cellRun: "cellflow:cell-run",
  /** {@link CloneItemEvent}: one item of a scalable cell, run by one clone. */
  cloneItem: "cellflow:clone-item",
  /** {@link QueueFillEvent}: a scalable cell's output queue changed. */
  queueFill: "cellflow:queue-fill",
} as const;

/** @internal */
export const cellRunChannel = channel(CHANNELS.cellRun);
/** @internal */
export const cloneItemChannel = channel(CHANNELS.cloneItem);
/** @internal */
export const queueFillChannel = channel(CHANNELS.queueFill);

/** @internal Publishers, typed (diagnostics_channel's own `publish` takes `unknown`). */
export function publishCellRun(event: CellRunEvent): void {
  cellRunChannel.publish(event);
}

/** @internal */
export function publishCloneItem(event: CloneItemEvent): void {
  cloneItemChannel.publish(event);
}

/** @internal */
export function publishQueueFill(event: QueueFillEvent): void {
  queueFillChannel.publish(event);
}
