/**
 * A cycle of two cells. Both outputs on the cycle have an `initialValue`, so either
 * connection could carry the previous iteration's value: the engine refuses to guess and
 * raises `IndeterminableTopologyError`. Marking one connection `{ recurrent: true }`
 * decides it. Prints 2 6 14 30: x -> 2(x + 1), starting from 0.
 *
 * Run it: `npx tsx examples/basics/loop.ts`
 */
import {
  Connection,
  IndeterminableTopologyError,
  Input,
  Output,
  Pipeline,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { PrinterCell } from "./three-cells.js";

export class IncrementCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output", { initialValue: 0 });

  protected async onPull(): Promise<void> {
    this.output.setValue((await this.input.pull()) + 1);
  }
}

export class DoublingCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output", { initialValue: 0 });

  protected async onPull(): Promise<void> {
    this.output.setValue(2 * (await this.input.pull()));
  }
}

export class LoopPipeline extends Pipeline {
  readonly increment = new IncrementCell(this, "increment");
  readonly doubling = new DoublingCell(this, "doubling");
  readonly printer = new PrinterCell(this, "printer");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.increment.output, this.doubling.input);
    // The feedback edge: increment reads what doubling produced in the previous iteration.
    new Connection(this.doubling.output, this.increment.input, { recurrent: true });
    new Connection(this.doubling.output, this.printer.input);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  // The same cycle without the mark: the engine names the candidates and the fix.
  const ambiguous = new Pipeline(null, "ambiguous");
  const increment = new IncrementCell(ambiguous, "increment");
  const doubling = new DoublingCell(ambiguous, "doubling");
  new Connection(increment.output, doubling.input);
  new Connection(doubling.output, increment.input);
  try {
    ambiguous.getTopologyDescription();
  } catch (error) {
    if (!(error instanceof IndeterminableTopologyError)) throw error;
    print(`${error.name}: ${error.connections.join(", ")}`);
  }

  await using pipeline = new LoopPipeline(null, "loop");
  pipeline.printer.print = (value) => print(String(value));
  const recurrent = pipeline.getTopologyDescription().connections.filter((c) => c.recurrent);
  print(`recurrent: ${recurrent.map((c) => `${c.source} -> ${c.target}`).join(", ")}`);
  await pipeline.deploy();
  for (let i = 0; i < 4; i++) await pipeline.pull();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
