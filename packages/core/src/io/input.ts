import * as internal from "../cells/internal-members.js";
import type { Cell } from "../cells/cell.js";
import { isPromiseLike } from "../util/maybe-promise.js";
import { Inbox, type ReceiverOptions } from "./inbox.js";
import { IO } from "./io.js";
import { noteInputWait } from "../observe/cell-runs.js";
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

  /** Pulls the next value through the incoming connection (or returns the set value). */
  pull(): Promise<T> {
    const cell = this.cell;
    this.pulledIn = cell[internal.pullSerial];
    try {
      const value = this.inbox.pull();
      // Kept this small (V8 inlines it): a timed run's input-wait bookkeeping lives in
      // `noteInputWait`. The channel's check comes first, so with nobody listening no
      // cell field is read here (that read at a site every cell class shares cost 4-5%).
      // A run is timed only now and then if its cell is quick (observe/cell-runs.ts).
      return isPromiseLike(value) ? (!cellRunChannel.hasSubscribers || cell[internal.currentRun] === null ? value : noteInputWait(cell[internal.currentRun], value)) : Promise.resolve(value);
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
