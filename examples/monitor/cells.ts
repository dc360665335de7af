/**
 * The monitored pipeline of the dashboard example: numbers (about 1 ms each), a
 * scalable "work" cell whose inner cell takes `workMs` per item (async clones and a
 * thread clone), and a sink that takes 2 ms. The work cell is the bottleneck until it
 * has enough clones.
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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Numbers extends SingleCell {
  readonly output = new Output<number>(this, "n");
  private next = 0;

  protected async onPull(): Promise<void> {
    await sleep(1);
    this.output.setValue(this.next++);
  }

  protected override onReset(): void {
    this.next = 0;
  }
}

/** Simulated I/O of `work_ms` per item: a call to a slow service. */
export class Work extends SingleCell {
  readonly workMs = new ConfigParameter<number>(this, "work_ms", { defaultValue: 20 });
  readonly input = new Input<number>(this, "n");
  readonly output = new Output<number>(this, "squared");

  protected async onPull(): Promise<void> {
    const n = await this.input.pull();
    await sleep(this.workMs.getValue());
    this.output.setValue(n * n);
  }
}

// Thread clones rebuild the inner cell from this module.
registerCells(import.meta.url, Work);

export class ScalableWork extends ScalableCell {
  readonly work = new Work(this, "work");
  readonly input = new InputPort<number>(this, "n");
  readonly output = new OutputPort<number>(this, "squared");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.work.input);
    new Connection(this.work.output, this.output);
  }
}

export class Sink extends SingleCell {
  readonly input = new Input<number>(this, "squared");
  readonly values: number[] = [];

  protected async onPull(): Promise<void> {
    const value = await this.input.pull();
    await sleep(2);
    if (this.values.length < 1000) this.values.push(value);
  }
}

export class MonitoredPipeline extends Pipeline {
  readonly numbers = new Numbers(this, "numbers");
  readonly scalable = new ScalableWork(this, "scalable");
  readonly sink = new Sink(this, "sink");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.numbers.output, this.scalable.input);
    new Connection(this.scalable.output, this.sink.input);
  }
}
