import type { Cell } from "../cells/cell.js";
import { Fanout, type EmitterOptions } from "./fanout.js";
import { IO } from "./io.js";

/** An output of a cell. The cell's `onPull` sets it; each outgoing connection gets each value once. */
export class Output<T> extends IO<T> {
  declare readonly kind: "output";
  /** @internal */
  readonly fanout: Fanout<T>;

  constructor(cell: Cell, name: string, options: EmitterOptions<T> = {}) {
    super(cell, name, "output");
    this.fanout = new Fanout<T>(this.path, cell, options);
  }

  setValue(value: T): void {
    this.fanout.set(value);
  }

  /** The value the output holds after the last pull of its cell. */
  getValue(): T {
    return this.fanout.get();
  }

  /** Pulls this output's cell once and returns the new value (for direct use outside a pipeline pull). */
  async pull(): Promise<T> {
    await this.cell.pull();
    return this.fanout.get();
  }

  get outgoing() {
    return this.fanout.connections;
  }
}
