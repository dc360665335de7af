/**
 * Changing the rate of a stream. A batching cell pulls its input N times and sets its
 * output once; a patching cell does the reverse: it pulls one batch and sets one item
 * per pull until the batch is used up. Upstream cells run as often as the cell pulls
 * them, not as often as the pipeline is pulled.
 *
 * Run it: `npx tsx examples/basics/batching.ts`
 */
import { ConfigParameter, Connection, Input, Output, Pipeline, SingleCell, type CompositeCell } from "@cellflow/core";
import { NumberSourceCell } from "./dag.js";
import { PrinterCell } from "./three-cells.js";

/** Pulls `batch_size` numbers, sets one array. */
export class BatchingCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly batchSize = new ConfigParameter<number>(this, "batch_size", { defaultValue: 3 });
  readonly output = new Output<number[]>(this, "batch");

  protected async onPull(): Promise<void> {
    const batch: number[] = [];
    for (let i = 0; i < this.batchSize.getValue(); i++) batch.push(await this.input.pull());
    this.output.setValue(batch);
  }
}

/** Pulls one array, then sets its items one per pull. */
export class PatchingCell extends SingleCell {
  readonly input = new Input<number[]>(this, "batch");
  readonly output = new Output<number>(this, "item");
  private pending: number[] = [];

  protected async onPull(): Promise<void> {
    while (this.pending.length === 0) this.pending = [...(await this.input.pull())];
    this.output.setValue(this.pending.shift()!);
  }

  protected override onReset(): void {
    this.pending = [];
  }
}

/** numbers -> batcher -> printer: each pipeline pull prints one batch. */
export class BatchingPipeline extends Pipeline {
  readonly numbers = new NumberSourceCell(this, "numbers");
  readonly batcher = new BatchingCell(this, "batcher");
  readonly printer = new PrinterCell<number[]>(this, "printer");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.numbers.output, this.batcher.input);
    new Connection(this.batcher.output, this.printer.input);
  }
}

/** numbers -> batcher -> patcher -> printer: batches split again, nothing lost or repeated. */
export class PatchingPipeline extends Pipeline {
  readonly numbers = new NumberSourceCell(this, "numbers");
  readonly batcher = new BatchingCell(this, "batcher");
  readonly patcher = new PatchingCell(this, "patcher");
  readonly printer = new PrinterCell(this, "printer");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.numbers.output, this.batcher.input);
    new Connection(this.batcher.output, this.patcher.input);
    new Connection(this.patcher.output, this.printer.input);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  {
    await using batching = new BatchingPipeline(null, "batching");
    batching.printer.print = (batch) => print(JSON.stringify(batch));
    await batching.deploy();
    for (let i = 0; i < 3; i++) await batching.pull(); // [0,1,2] [3,4,5] [6,7,8]
  }
  {
    await using patching = new PatchingPipeline(null, "patching");
    patching.printer.print = (item) => print(String(item));
    patching.batcher.batchSize.setValue(2);
    await patching.deploy();
    for (let i = 0; i < 5; i++) await patching.pull(); // 0 1 2 3 4: three batches pulled
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
