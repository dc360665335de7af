/**
 * What a pull gives back. A pipeline's `pull()` resolves to its output record: the value
 * of each output port under the name of the field that holds it, typed by the port;
 * `for await` yields the same records. And a pull honours an AbortSignal: aborting stops
 * the wait (the iteration itself still runs to its end, so nothing is lost).
 *
 * Run it: `npx tsx examples/basics/pull-results.ts`
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Connection, Input, Output, OutputPort, Pipeline, SingleCell, type CompositeCell } from "@cellflow/core";

/** Emits the words of a sentence, then ends. */
export class WordSource extends SingleCell {
  readonly word = new Output<string>(this, "word");
  private readonly words = ["cells", "pull", "values"];
  private next = 0;

  protected onPull(): void {
    this.word.setValue(this.words[this.next++]!);
  }

  protected override remainingPulls(): number {
    return this.words.length - this.next;
  }
}

/** Measures a word, taking `delayMs` to do it. */
export class LengthCell extends SingleCell {
  readonly word = new Input<string>(this, "word");
  readonly length = new Output<number>(this, "length");
  delayMs = 0;

  protected async onPull(): Promise<void> {
    const word = await this.word.pull();
    if (this.delayMs > 0) await sleep(this.delayMs);
    this.length.setValue(word.length);
  }
}

export class WordLengths extends Pipeline {
  readonly source = new WordSource(this, "source");
  readonly measure = new LengthCell(this, "measure");
  readonly word = new OutputPort<string>(this, "word");
  readonly length = new OutputPort<number>(this, "length");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.word, this.measure.word);
    new Connection(this.source.word, this.word);
    new Connection(this.measure.length, this.length);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  await using pipeline = new WordLengths(null, "word_lengths");
  await pipeline.deploy();

  // { readonly word: string; readonly length: number }
  const first = await pipeline.pull();
  print(`${first.word} has ${first.length} letters`); // cells has 5 letters

  // Give up waiting after 20 ms; the iteration still completes.
  pipeline.measure.delayMs = 100;
  try {
    await pipeline.pull({ signal: AbortSignal.timeout(20) });
  } catch (error) {
    print(`gave up: ${(error as Error).name}`); // gave up: TimeoutError
  }

  // The next pull waits for the one given up, then runs its own iteration.
  pipeline.measure.delayMs = 0;
  for await (const { word, length } of pipeline) print(`${word}: ${length}`); // values: 6
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
