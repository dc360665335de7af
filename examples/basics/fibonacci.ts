/**
 * Recurrency: a cell whose outputs feed its own inputs. A connection that closes a cycle
 * delivers the previous iteration's value, so the output it leaves needs an
 * `initialValue` for the first pull. Prints 1 2 3 5 8 13 21 34.
 *
 * Run it: `npx tsx examples/basics/fibonacci.ts`
 */
import { Connection, Input, Output, Pipeline, SingleCell, type CompositeCell } from "@cellflow/core";
import { PrinterCell } from "./three-cells.js";

export class FibonacciCell extends SingleCell {
  readonly previous = new Input<number>(this, "previous");
  readonly beforePrevious = new Input<number>(this, "before_previous");
  readonly value = new Output<number>(this, "value", { initialValue: 1 });
  readonly previousOut = new Output<number>(this, "previous_out", { initialValue: 0 });

  protected async onPull(): Promise<void> {
    const previous = await this.previous.pull();
    const beforePrevious = await this.beforePrevious.pull();
    this.value.setValue(previous + beforePrevious);
    this.previousOut.setValue(previous);
  }
}

export class FibonacciPipeline extends Pipeline {
  readonly fibonacci = new FibonacciCell(this, "fibonacci");
  readonly printer = new PrinterCell(this, "printer");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    // Self-loops: each closes a cycle and leaves an output with an initialValue, so the
    // topology makes them recurrent on its own ({ recurrent: true } would say it explicitly).
    new Connection(this.fibonacci.value, this.fibonacci.previous);
    new Connection(this.fibonacci.previousOut, this.fibonacci.beforePrevious);
    // On no cycle: an ordinary forward connection that gets this iteration's value.
    new Connection(this.fibonacci.value, this.printer.input);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  await using pipeline = new FibonacciPipeline(null, "fibonacci_pipeline");
  pipeline.printer.print = (value) => print(String(value));
  await pipeline.deploy();
  for (let i = 0; i < 8; i++) await pipeline.pull();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
