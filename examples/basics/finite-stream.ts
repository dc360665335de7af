/**
 * A finite stream: the source says how many pulls it has left, the pipeline derives its
 * own count from that, `for await` runs to the end, pulling past the end raises
 * `EndOfStreamError`, and `reset()` starts the stream over without redeploying.
 *
 * Run it: `npx tsx examples/basics/finite-stream.ts`
 */
import {
  ConfigParameter,
  Connection,
  EndOfStreamError,
  Input,
  Output,
  OutputPort,
  Pipeline,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";

/** Emits the items of its `items` parameter, one per pull, then ends. */
export class ListSourceCell extends SingleCell {
  readonly items = new ConfigParameter<readonly string[]>(this, "items", { defaultValue: [] });
  readonly output = new Output<string>(this, "output");
  private index = 0;

  protected onPull(): void {
    this.output.setValue(this.items.getValue()[this.index++]!);
  }

  protected override remainingPulls(): number {
    return this.items.getValue().length - this.index;
  }

  protected override onReset(): void {
    this.index = 0;
  }
}

export class UppercaseCell extends SingleCell {
  readonly input = new Input<string>(this, "input");
  readonly output = new Output<string>(this, "output");

  protected async onPull(): Promise<void> {
    this.output.setValue((await this.input.pull()).toUpperCase());
  }
}

/** No printer: the pipeline hands its results out through an output port. */
export class WordsPipeline extends Pipeline {
  readonly source = new ListSourceCell(this, "source");
  readonly upper = new UppercaseCell(this, "upper");
  readonly word = new OutputPort<string>(this, "word");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output, this.upper.input);
    new Connection(this.upper.output, this.word);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  await using pipeline = new WordsPipeline(null, "words");
  pipeline.source.items.setValue(["pull", "based", "dataflow"]);
  await pipeline.deploy();
  print(`${pipeline.availablePulls()} pulls available`);

  // Each iteration pulls once and yields the output ports' values; the end stops the loop.
  for await (const { word } of pipeline) print(String(word));

  try {
    await pipeline.pull();
  } catch (error) {
    if (!(error instanceof EndOfStreamError)) throw error;
    print(`${error.name} from ${error.cellPath}`);
  }

  await pipeline.reset(); // every cell back to its initial state, still deployed
  await pipeline.pull();
  print(`after reset: ${pipeline.word.getValue()}, ${pipeline.availablePulls()} pulls available`);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
