/**
 * A six-cell DAG: one source fans out to two branches that meet again in two cells,
 * which both feed one printer. The engine finds the execution order, the sources and
 * the sinks (Kahn's algorithm); main prints the topology as JSON, then pulls three times.
 *
 * Run it: `npx tsx examples/basics/dag.ts`
 */
import { Connection, Input, Output, Pipeline, SingleCell, type CompositeCell } from "@cellflow/core";

/** Emits 0, 1, 2, ... */
export class NumberSourceCell extends SingleCell {
  readonly output = new Output<number>(this, "output");
  private next = 0;

  protected onPull(): void {
    this.output.setValue(this.next++);
  }

  protected override onReset(): void {
    this.next = 0;
  }
}

export class DoubleCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");

  protected async onPull(): Promise<void> {
    this.output.setValue(2 * (await this.input.pull()));
  }
}

export class SquareCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");

  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    this.output.setValue(x * x);
  }
}

export class SumCell extends SingleCell {
  readonly a = new Input<number>(this, "a");
  readonly b = new Input<number>(this, "b");
  readonly output = new Output<number>(this, "output");

  protected async onPull(): Promise<void> {
    this.output.setValue((await this.a.pull()) + (await this.b.pull()));
  }
}

export class DifferenceCell extends SingleCell {
  readonly a = new Input<number>(this, "a");
  readonly b = new Input<number>(this, "b");
  readonly output = new Output<number>(this, "output");

  protected async onPull(): Promise<void> {
    this.output.setValue((await this.a.pull()) - (await this.b.pull()));
  }
}

/** Prints one line per pull: `n²+2n n²-2n`. */
export class PairPrinterCell extends SingleCell {
  readonly sum = new Input<number>(this, "sum");
  readonly difference = new Input<number>(this, "difference");
  print: (line: string) => void = console.log;

  protected async onPull(): Promise<void> {
    this.print(`${await this.sum.pull()} ${await this.difference.pull()}`);
  }
}

/** Declared sink first on purpose: the execution order comes from the connections. */
export class DagPipeline extends Pipeline {
  readonly printer = new PairPrinterCell(this, "printer");
  readonly sum = new SumCell(this, "sum");
  readonly difference = new DifferenceCell(this, "difference");
  readonly double = new DoubleCell(this, "double");
  readonly square = new SquareCell(this, "square");
  readonly numbers = new NumberSourceCell(this, "numbers");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.numbers.output, this.double.input);
    new Connection(this.numbers.output, this.square.input);
    new Connection(this.square.output, this.sum.a);
    new Connection(this.double.output, this.sum.b);
    new Connection(this.square.output, this.difference.a);
    new Connection(this.double.output, this.difference.b);
    new Connection(this.sum.output, this.printer.sum);
    new Connection(this.difference.output, this.printer.difference);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  await using pipeline = new DagPipeline(null, "dag");
  print(JSON.stringify(pipeline.getTopologyDescription(), null, 2));
  pipeline.printer.print = print;
  await pipeline.deploy();
  for (let i = 0; i < 3; i++) await pipeline.pull();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
