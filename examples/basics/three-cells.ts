/**
 * The getting-started pipeline: a source emits a counter and an alternating sign, a
 * multiplier multiplies them, a printer prints the product. Prints 0 -1 2 -3 4.
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

export class PrinterCell extends SingleCell {
  readonly input = new Input<number>(this, "printer_input");
  /** Where printed values go; the tests swap it to capture them. */
  print: (value: number) => void = (value) => console.log(value);

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

export async function main(): Promise<void> {
  await using pipeline = new MyPipeline(null, "my_pipeline");
  await pipeline.deploy();
  for (let i = 0; i < 5; i++) await pipeline.pull();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
