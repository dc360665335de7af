/**
 * Validation and errors. `isDeployable()` explains what keeps a pipeline from running,
 * `deploy()` refuses with the same reasons, `assertIsValid()` checks the structure, bad
 * connections are refused when they are made, and an error thrown in a cell reaches the
 * caller of `pull()` with the cell's path while the pipeline stays usable.
 *
 * Run it: `npx tsx examples/basics/validation.ts`
 */
import {
  CellPullError,
  Connection,
  Input,
  InvalidCellError,
  InvalidConnectionError,
  NotDeployableError,
  Output,
  OutputPort,
  Pipeline,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { NumberSourceCell } from "./dag.js";
import { PrinterCell } from "./three-cells.js";

/** Passes numbers on, but throws on every third one. */
export class FragileCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");

  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    if (x % 3 === 2) throw new RangeError(`cannot handle ${x}`);
    this.output.setValue(x);
  }
}

export class FragilePipeline extends Pipeline {
  readonly numbers = new NumberSourceCell(this, "numbers");
  readonly fragile = new FragileCell(this, "fragile");
  readonly printer = new PrinterCell(this, "printer");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.numbers.output, this.fragile.input);
    new Connection(this.fragile.output, this.printer.input);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  // 1. Cells can also be put together outside a class. This draft forgets a connection.
  const draft = new Pipeline(null, "draft");
  const numbers = new NumberSourceCell(draft, "numbers");
  const fragile = new FragileCell(draft, "fragile");
  const check = draft.isDeployable();
  print(`deployable: ${check.ok}`);
  for (const reason of check.reasons) print(`  ${reason}`);
  try {
    await draft.deploy();
  } catch (error) {
    if (!(error instanceof NotDeployableError)) throw error;
    print(`deploy() throws ${error.name}`);
  }
  new Connection(numbers.output, fragile.input);
  print(`after connecting: deployable: ${draft.isDeployable().ok}`);

  // 2. Connections that break the rules are refused at once, naming both ends.
  const other = new FragilePipeline(null, "other");
  try {
    new Connection(fragile.output, other.printer.input);
  } catch (error) {
    if (!(error instanceof InvalidConnectionError)) throw error;
    print(`${error.name}: ${error.message}`);
  }

  // 3. assertIsValid() checks the structure recursively: here, an output port fed by nothing.
  const portless = new Pipeline(null, "portless");
  new OutputPort<number>(portless, "result");
  try {
    portless.assertIsValid();
  } catch (error) {
    if (!(error instanceof InvalidCellError)) throw error;
    print(`${error.name}: ${error.reasons.join("; ")}`);
  }

  // 4. An error in onPull reaches pull() with the cell's path; the next pull works.
  await using pipeline = new FragilePipeline(null, "fragile_pipeline");
  pipeline.printer.print = (value) => print(String(value));
  await pipeline.deploy();
  for (let i = 0; i < 4; i++) {
    try {
      await pipeline.pull();
    } catch (error) {
      if (!(error instanceof CellPullError)) throw error;
      print(`${error.name} in ${error.cellPath}: ${(error.cause as Error).message}`);
    }
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
