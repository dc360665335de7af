/**
 * What a pull does. `pipeline.pull()` runs one iteration: it pulls every sink cell once,
 * and each cell pulls its inputs, which pull the outputs they are connected to. An output
 * can also be pulled directly, and concurrent pulls of one cell run one after the other.
 *
 * Run it: `npx tsx examples/basics/pulling.ts`
 */
import { Connection, Input, Output, Pipeline, SingleCell, type CompositeCell } from "@cellflow/core";
import { PrinterCell } from "./three-cells.js";

/** Emits 0, 1, 2, ... and logs every time it runs. */
export class LoggingSourceCell extends SingleCell {
  readonly output = new Output<number>(this, "output");
  log: (line: string) => void = console.log;
  private next = 0;

  protected onPull(): void {
    this.log(`source runs: ${this.next}`);
    this.output.setValue(this.next++);
  }
}

export class AddCell extends SingleCell {
  readonly a = new Input<number>(this, "a");
  readonly b = new Input<number>(this, "b");
  readonly output = new Output<number>(this, "output");

  protected async onPull(): Promise<void> {
    this.output.setValue((await this.a.pull()) + (await this.b.pull()));
  }
}

/** One source output feeds both inputs of the adder: two connections, one value each. */
export class PullingPipeline extends Pipeline {
  readonly source = new LoggingSourceCell(this, "source");
  readonly add = new AddCell(this, "add");
  readonly printer = new PrinterCell(this, "printer");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output, this.add.a);
    new Connection(this.source.output, this.add.b);
    new Connection(this.add.output, this.printer.input);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  await using pipeline = new PullingPipeline(null, "pulling");
  pipeline.source.log = print;
  pipeline.printer.print = (value) => print(`printer prints: ${value}`);
  await pipeline.deploy();

  // One iteration: the printer (the only sink) pulls the adder, which pulls both of its
  // inputs. The source runs once: each connection takes the same value exactly once.
  await pipeline.pull(); // source runs: 0, printer prints: 0

  // Concurrent pulls of a cell are serialized: three whole iterations, in call order.
  await Promise.all([pipeline.pull(), pipeline.pull(), pipeline.pull()]); // 2, 4, 6

  // Pull one output directly: only the cells it depends on run, not the printer.
  print(`add.output pulled: ${await pipeline.add.output.pull()}`); // 8
  print(`add.output holds: ${pipeline.add.output.getValue()}`); // 8, without pulling
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
