/**
 * A pipeline nested in a pipeline. The getting-started cells produce 0 -1 2 -3 4; an
 * inner pipeline, `AbsolutePipeline`, turns each value into its absolute value through
 * its own ports and cells; the printer prints 0 1 2 3 4.
 *
 * Run it: `npx tsx examples/basics/nested.ts`
 */
import {
  Connection,
  Input,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { MultiplierCell, PrinterCell, SourceCell } from "./three-cells.js";

/** Emits -1 for negative inputs and 1 otherwise. */
export class SignCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly sign = new Output<number>(this, "sign");

  protected async onPull(): Promise<void> {
    this.sign.setValue((await this.input.pull()) < 0 ? -1 : 1);
  }
}

/** |x| = x * sign(x), as a pipeline that other pipelines use like any cell. */
export class AbsolutePipeline extends Pipeline {
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");
  readonly sign = new SignCell(this, "sign");
  readonly multiplier = new MultiplierCell(this, "multiplier");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    // The input port feeds two children; each of them sees each value exactly once.
    new Connection(this.input, this.multiplier.inputA);
    new Connection(this.input, this.sign.input);
    new Connection(this.sign.sign, this.multiplier.inputB);
    new Connection(this.multiplier.output, this.output);
  }
}

export class NestedPipeline extends Pipeline {
  readonly source = new SourceCell(this, "source");
  readonly multiplier = new MultiplierCell(this, "multiplier");
  readonly absolute = new AbsolutePipeline(this, "absolute");
  readonly printer = new PrinterCell(this, "printer");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output1, this.multiplier.inputA);
    new Connection(this.source.output2, this.multiplier.inputB);
    new Connection(this.multiplier.output, this.absolute.input);
    new Connection(this.absolute.output, this.printer.input);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  await using pipeline = new NestedPipeline(null, "nested");
  pipeline.printer.print = (value) => print(String(value));
  await pipeline.deploy();
  for (let i = 0; i < 5; i++) await pipeline.pull();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
