/**
 * Parameters: a `ConfigParameter` is fixed for a deployment (set it before `deploy()`,
 * read it in `onDeploy`); a `RuntimeParameter` may change between pulls and the cell
 * sees the new value at its next pull.
 *
 * Run it: `npx tsx examples/basics/parameters.ts`
 */
import {
  AlreadyDeployedError,
  ConfigParameter,
  Connection,
  Input,
  Output,
  Pipeline,
  RuntimeParameter,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { NumberSourceCell } from "./dag.js";
import { PrinterCell } from "./three-cells.js";

/** Scales each number by `factor` and labels it with `unit`. */
export class ScaleCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly unit = new ConfigParameter<string>(this, "unit", { defaultValue: "m" });
  readonly factor = new RuntimeParameter<number>(this, "factor", { defaultValue: 1 });
  readonly output = new Output<string>(this, "output");
  private suffix = "";

  protected override onDeploy(): void {
    // Read once per deployment: the place to open files or connections a value decides.
    this.suffix = ` ${this.unit.getValue()}`;
  }

  protected async onPull(): Promise<void> {
    const factor = await this.factor.pull(); // read at every pull: it may have changed
    this.output.setValue(`${(await this.input.pull()) * factor}${this.suffix}`);
  }
}

export class ParametersPipeline extends Pipeline {
  readonly numbers = new NumberSourceCell(this, "numbers");
  readonly scale = new ScaleCell(this, "scale");
  readonly printer = new PrinterCell<string>(this, "printer");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.numbers.output, this.scale.input);
    new Connection(this.scale.output, this.printer.input);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  await using pipeline = new ParametersPipeline(null, "parameters");
  pipeline.printer.print = print;
  pipeline.scale.unit.setValue("cm"); // before deploy
  await pipeline.deploy();
  for (let i = 0; i < 3; i++) await pipeline.pull(); // 0 cm, 1 cm, 2 cm

  pipeline.scale.factor.setValue(10); // while deployed
  for (let i = 0; i < 3; i++) await pipeline.pull(); // 30 cm, 40 cm, 50 cm

  try {
    pipeline.scale.unit.setValue("mm");
  } catch (error) {
    if (!(error instanceof AlreadyDeployedError)) throw error;
    print(`unit stays "cm" while deployed: ${error.name}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
