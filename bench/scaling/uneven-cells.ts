/**
 * Cells of the slow-clone benchmark: a counter and a scalable cell whose first clone is
 * ten times slower than the others. Clones number themselves at deploy from a shared
 * counter (a SharedArrayBuffer parameter: the same memory in every thread clone), so the
 * slow one is the first deployed whatever the clone method. Each item reports which
 * clone ran it and for how long, so the benchmark measures the clones' real rates.
 * Thread clones rebuild the inner cell from this module, and remote workers find it by
 * its logical name, hence `registerRemoteCells` (which registers it for both).
 */
import {
  ConfigParameter,
  Connection,
  Input,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  ScalableCell,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { registerRemoteCells } from "@cellflow/bullmq";

export interface UnevenItem {
  readonly x: number;
  readonly clone: number;
  readonly busyMs: number;
}

export class Counter extends SingleCell {
  readonly output = new Output<number>(this, "output");
  #next = 0;
  protected onPull(): void {
    this.output.setValue(this.#next++);
  }
}

export class Uneven extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<UnevenItem>(this, "output");
  /** Local clones take their numbers from here (index 0): 0 is the slow clone. Remote ones need none. */
  readonly numbering = new ConfigParameter<SharedArrayBuffer | null>(this, "numbering", { defaultValue: null });
  readonly fastMs = new ConfigParameter<number>(this, "fast_ms", { defaultValue: 10 });
  readonly slowMs = new ConfigParameter<number>(this, "slow_ms", { defaultValue: 100 });
  /** "timer" waits on a timer (an I/O-bound item); "block" blocks its thread (as CPU work would). */
  readonly waitBy = new ConfigParameter<"timer" | "block">(this, "wait_by", { defaultValue: "timer" });
  #number = -1;
  #sleeper: Int32Array | null = null;

  #ms = 0;

  /**
   * Local clones number themselves from the shared counter (clone 0 is slow). A remote
   * worker's clones cannot share memory with the parent: the worker process is given its
   * item time in its environment (UNEVEN_ITEM_MS), and its clones count as one, the
   * worker (by process id).
   */
  protected override onDeploy(): void {
    const workerMs = process.env.UNEVEN_ITEM_MS;
    if (workerMs !== undefined) {
      this.#number = process.pid;
      this.#ms = Number(workerMs);
    } else {
      const numbering = this.numbering.getValue();
      if (numbering === null) throw new Error("Uneven: set numbering (local clones) or UNEVEN_ITEM_MS (a remote worker's)");
      this.#number = Atomics.add(new Int32Array(numbering), 0, 1);
      this.#ms = this.#number === 0 ? this.slowMs.getValue() : this.fastMs.getValue();
    }
    if (this.waitBy.getValue() === "block") this.#sleeper = new Int32Array(new SharedArrayBuffer(4));
  }

  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    const ms = this.#ms;
    const started = performance.now();
    if (this.#sleeper !== null) Atomics.wait(this.#sleeper, 0, 0, ms);
    else await new Promise<void>((resolve) => setTimeout(resolve, ms));
    this.output.setValue({ x, clone: this.#number, busyMs: performance.now() - started });
  }
}

export class ScalableUneven extends ScalableCell {
  readonly uneven = new Uneven(this, "uneven");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<UnevenItem>(this, "output");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.uneven.input);
    new Connection(this.uneven.output, this.output);
  }
}

export class UnevenPipeline extends Pipeline {
  readonly counter = new Counter(this, "counter");
  readonly scaled = new ScalableUneven(this, "scaled");
  readonly item = new OutputPort<UnevenItem>(this, "item");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.counter.output, this.scaled.input);
    new Connection(this.scaled.output, this.item);
  }
}

registerRemoteCells(import.meta.url, { uneven: Uneven });
