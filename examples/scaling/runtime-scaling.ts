/**
 * Scaling while deployed: start with one clone, add three, then go back to one. Values
 * keep their order throughout, and scaling down lets each leaving clone finish its item.
 */
import { Connection, Input, InputPort, Output, OutputPort, Pipeline, ScalableCell, SingleCell, type CompositeCell } from "@cellflow/core";

export class Counter extends SingleCell {
  readonly value = new Output<number>(this, "value");
  private next = 0;

  protected onPull(): void {
    this.value.setValue(this.next++);
  }
}

export class SlowSquare extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");

  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    await new Promise((resolve) => setTimeout(resolve, 10 + (x % 3) * 5));
    this.output.setValue(x * x);
  }
}

export class ScalableSquare extends ScalableCell {
  readonly square = new SlowSquare(this, "square");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.square.input);
    new Connection(this.square.output, this.output);
  }
}

export class Collector extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly seen: number[] = [];

  protected async onPull(): Promise<void> {
    this.seen.push(await this.input.pull());
  }
}

export class SquaresPipeline extends Pipeline {
  readonly counter = new Counter(this, "counter");
  readonly squares = new ScalableSquare(this, "squares");
  readonly collector = new Collector(this, "collector");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.counter.value, this.squares.input);
    new Connection(this.squares.output, this.collector.input);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  await using pipeline = new SquaresPipeline(null, "squares_pipeline");
  pipeline.squares.scaleUp(1);
  await pipeline.deploy();
  const pull = async (times: number) => {
    for (let i = 0; i < times; i++) await pipeline.pull();
  };

  await pull(4);
  await pipeline.squares.scaleUp(3); // now 4 clones
  await pull(8);
  await pipeline.squares.scaleDown(3); // back to 1; leaving clones finish their items
  await pull(4);

  print(`clones: ${pipeline.squares.cloneCount}`);
  print(pipeline.collector.seen.join(" "));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
