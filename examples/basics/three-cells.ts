/**
 * The getting-started pipeline: a source emits a counter and an alternating sign, a
 * multiplier multiplies them, a printer prints the product. Prints 0 -1 2 -3 4.
 *
 * Run it: `npx tsx examples/basics/three-cells.ts`
 */
import { Connection, Input, Output, Pipeline, SingleCell, type CompositeCell } from "@cellflow/core";

export class SourceCell extends SingleCell {
  readonly output1 = new Output<number>(this, "first_output");
  readonly output2 = new Output<number>(this, "second_output");
  private counter = 0;

  protected onPull(): void {
    this.output1.setValue(this.counter);
    this.output2.setValue(this.counter % 2 === 0 ? 1 : -1);
    this.counter++;
  }

  protected override onReset(): void {
    this.counter = 0;
  }
}

export class MultiplierCell extends SingleCell {
  readonly inputA = new Input<number>(this, "input_a");
  readonly inputB = new Input<number>(this, "input_b");
  readonly output = new Output<number>(this, "output");

  protected async onPull(): Promise<void> {
    this.output.setValue((await this.inputA.pull()) * (await this.inputB.pull()));
  }
}

/** Prints every value it pulls; other examples reuse it, e.g. `new PrinterCell<string>(this, "printer")`. */
export class PrinterCell<T = number> extends SingleCell {
  readonly input = new Input<T>(this, "printer_input");
  /** Where printed values go; `main(print)` swaps it so tests can capture them. */
  print: (value: T) => void = (value) => console.log(value);

  protected async onPull(): Promise<void> {
    this.print(await this.input.pull());
  }
}

export class MyPipeline extends Pipeline {
  readonly source = new SourceCell(this, "source");
  readonly multiplier = new MultiplierCell(this, "multiplier");
  readonly printer = new PrinterCell(this, "printer");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output1, this.multiplier.inputA);
    new Connection(this.source.output2, this.multiplier.inputB);
    new Connection(this.multiplier.output, this.printer.input);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  await using pipeline = new MyPipeline(null, "my_pipeline");
  pipeline.printer.print = (value) => print(String(value));
  await pipeline.deploy();
  for (let i = 0; i < 5; i++) await pipeline.pull();
  // Leaving the block undeploys the pipeline (`await using` calls Symbol.asyncDispose).
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
