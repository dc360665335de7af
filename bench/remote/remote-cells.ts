/**
 * Cells of the `remote` benchmark, served by `cellflow worker` processes: a tiny item
 * (x + 1) and a CPU-bound one (about 1 ms of hashing-like arithmetic, as in the bare
 * BullMQ baseline's worker, bench/remote/bare-worker.mjs, which runs the same function).
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
import { spin } from "./work.mjs";

export class BenchItem extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  /** Milliseconds of CPU per item; 0 for a tiny item (x + 1). */
  readonly cpuMs = new ConfigParameter<number>(this, "cpu_ms", { defaultValue: 0 });
  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    this.output.setValue(spin(x, this.cpuMs.getValue()));
  }
}

export class ScalableBenchItem extends ScalableCell {
  readonly item = new BenchItem(this, "item");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.item.input);
    new Connection(this.item.output, this.output);
  }
}

class Counter extends SingleCell {
  readonly output = new Output<number>(this, "output");
  #next = 0;
  protected onPull(): void {
    this.output.setValue(this.#next++);
  }
}

export class RemoteBenchPipeline extends Pipeline {
  readonly counter = new Counter(this, "counter");
  readonly items = new ScalableBenchItem(this, "items");
  readonly result = new OutputPort<number>(this, "result");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.counter.output, this.items.input);
    new Connection(this.items.output, this.result);
  }
}

registerRemoteCells(import.meta.url, { "bench-item": BenchItem });
