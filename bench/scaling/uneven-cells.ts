/**
 * Cells of the slow-clone benchmark: a counter and a scalable cell whose first clone is
 * ten times slower than the others. Clones number themselves at deploy from a shared
 * counter (a SharedArrayBuffer parameter: the same memory in every thread clone), so the
 * slow one is the first deployed whatever the clone method. Each item reports which
 * clone ran it and for how long, so the benchmark measures the clones' real rates.
 * Thread clones rebuild the inner cell from this module, hence `registerCells`; remote
 * workers find RemoteUneven by its logical name.
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
  registerCells,
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
  /** Clone numbers are taken from here (index 0): 0 is the slow clone. */
  readonly numbering = new ConfigParameter<SharedArrayBuffer>(this, "numbering");
  readonly fastMs = new ConfigParameter<number>(this, "fast_ms", { defaultValue: 10 });
  readonly slowMs = new ConfigParameter<number>(this, "slow_ms", { defaultValue: 100 });
  /** "timer" waits on a timer (an I/O-bound item); "block" blocks its thread (as CPU work would). */
  readonly waitBy = new ConfigParameter<"timer" | "block">(this, "wait_by", { defaultValue: "timer" });
  #number = -1;
  #sleeper: Int32Array | null = null;

  protected override onDeploy(): void {
    this.#number = Atomics.add(new Int32Array(this.numbering.getValue()), 0, 1);
    if (this.waitBy.getValue() === "block") this.#sleeper = new Int32Array(new SharedArrayBuffer(4));
  }

  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    const ms = this.#number === 0 ? this.slowMs.getValue() : this.fastMs.getValue();
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

registerCells(import.meta.url, Uneven);

/**
 * The remote variant: each worker process is given its item time in its environment
 * (UNEVEN_ITEM_MS), so one worker can be ten times slower than the others; items block
 * the worker's thread clone (as CPU work would) and report the worker that ran them.
 */
export class RemoteUneven extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<UnevenItem>(this, "output");
  readonly #sleeper = new Int32Array(new SharedArrayBuffer(4));
  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    const ms = Number(process.env.UNEVEN_ITEM_MS ?? "10");
    const started = performance.now();
    Atomics.wait(this.#sleeper, 0, 0, ms);
    this.output.setValue({ x, clone: process.pid, busyMs: performance.now() - started });
  }
}

export class ScalableRemoteUneven extends ScalableCell {
  readonly uneven = new RemoteUneven(this, "uneven");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<UnevenItem>(this, "output");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.uneven.input);
    new Connection(this.uneven.output, this.output);
  }
}

export class RemoteUnevenPipeline extends Pipeline {
  readonly counter = new Counter(this, "counter");
  readonly scaled = new ScalableRemoteUneven(this, "scaled");
  readonly item = new OutputPort<UnevenItem>(this, "item");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.counter.output, this.scaled.input);
    new Connection(this.scaled.output, this.item);
  }
}

registerRemoteCells(import.meta.url, { "remote-uneven": RemoteUneven });
