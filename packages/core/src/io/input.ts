import * as internal from "../cells/internal-members.js";
import type { Cell } from "../cells/cell.js";
import { isPromiseLike } from "../util/maybe-promise.js";
import { Inbox, type ReceiverOptions } from "./inbox.js";
import { IO } from "./io.js";
import { noteInputWait, type RunRecord } from "../observe/cell-runs.js";
import { cellRunChannel } from "../observe/channels.js";

/** An input of a cell. Inside `onPull`, `await input.pull()` gets the next value. */
export class Input<T> extends IO<T> {
  declare readonly kind: "input" | "config" | "runtime";
  /** @internal */
  readonly inbox: Inbox<T>;

  constructor(cell: Cell, name: string, options?: ReceiverOptions<T>);
  /** @internal Parameters are inputs of another kind. */
  constructor(cell: Cell, name: string, options: ReceiverOptions<T>, kind: "config" | "runtime");
  constructor(cell: Cell, name: string, options: ReceiverOptions<T> = {}, kind: "input" | "config" | "runtime" = "input") {
    super(cell, name, kind);
    this.inbox = new Inbox<T>(this.path, options);
  }

  /** @internal The cell's `pullSerial` when this input was last pulled. */
  pulledIn = -1;
  /** @internal The cell's run while it is timed for the engine's events (observe/cell-runs.ts). */
  timedRun: RunRecord | null = null;

  /** Pulls the next value through the incoming connection (or returns the set value). */
  pull(): Promise<T> {
    this.pulledIn = this.cell[internal.pullSerial];
    try {
      const value = this.inbox.pull();
      // Kept this small (V8 inlines it): the input-wait bookkeeping lives in `noteInputWait`.
      // With nobody listening only the channel is checked (reading the cell's run field
      // here, a site every cell class shares, cost 8 % of bench overhead); while someone
      // listens, the input's own field, set only while its cell's run is timed, spares the
      // untimed runs a call (calling out on every input pull cost 4 % of bench observe).
      return isPromiseLike(value) ? (cellRunChannel.hasSubscribers && this.timedRun !== null ? noteInputWait(this.timedRun, value) : value) : Promise.resolve(value);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The value of the last pull (or the set/default value). */
  getValue(): T {
    return this.inbox.get();
  }

  /** The incoming connection, if any. */
  get incoming() {
    return this.inbox.incoming;
  }
}
