/**
 * A source from an async generator: one line read per pull (back-pressure), the end of
 * the generator as the end of the stream, and the generator's `finally` block run when
 * the pipeline is done with it, at the end or at undeploy.
 *
 * Run it: `npx tsx examples/interop/iterable-source.ts`
 */
import {
  Connection,
  Input,
  IterableSource,
  Output,
  OutputPort,
  Pipeline,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";

/** Stands in for reading a file line by line: says when it reads a line and when it closes the file. */
export async function* readLines(lines: readonly string[], log: (line: string) => void): AsyncGenerator<string> {
  try {
    for (const line of lines) {
      log(`read "${line}"`);
      yield line;
    }
  } finally {
    log("file closed");
  }
}

export class WordCountCell extends SingleCell {
  readonly input = new Input<string>(this, "input");
  readonly output = new Output<number>(this, "output");

  protected async onPull(): Promise<void> {
    this.output.setValue((await this.input.pull()).split(" ").length);
  }
}

/** Counts the words of each line; the lines come from whatever `setSource` gives. */
export class WordCountPipeline extends Pipeline {
  readonly lines = new IterableSource<string>(this, "lines");
  readonly count = new WordCountCell(this, "count");
  readonly words = new OutputPort<number>(this, "words");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.lines.output, this.count.input);
    new Connection(this.count.output, this.words);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  const file = ["the quick brown fox", "jumps over", "the lazy dog"];
  const pipeline = new WordCountPipeline(null, "word_count");
  // A factory, not a generator object: a reset or a redeploy reads the file again.
  pipeline.lines.setSource(() => readLines(file, print));
  await pipeline.deploy(); // reads nothing yet

  await pipeline.pull(); // reads one line
  print(`${pipeline.words.getValue()} words`);

  // The rest of the file; the generator's end ends the loop (and closes the file).
  for await (const { words } of pipeline) print(`${words} words`);

  await pipeline.reset(); // the next pull calls the factory again
  await pipeline.pull();
  print(`${pipeline.words.getValue()} words`);
  await pipeline.undeploy(); // stops the generator early: its finally block runs
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
