/**
 * A pipeline as an RxJS Observable of its output records: RxJS operators decide how many
 * records are pulled, the end of the stream completes the observable, a failed pull
 * errors it, and a pipeline the subscription deployed is undeployed when it ends.
 *
 * Run it: `npx tsx examples/interop/to-observable.ts`
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
import { toObservable } from "@cellflow/core/rxjs";
import { catchError, filter, lastValueFrom, map, of, take, toArray } from "rxjs";

export function* naturals(): Generator<number> {
  for (let n = 0; ; n++) yield n;
}

export class SquareCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  /** Set to make the pull of one value fail. */
  failOn: number | null = null;

  protected async onPull(): Promise<void> {
    const n = await this.input.pull();
    if (n === this.failOn) throw new Error(`cannot square ${n}`);
    this.output.setValue(n * n);
  }
}

/** 0, 1, 4, 9, ... without end: the source reads the generator as far as it is pulled. */
export class SquaresPipeline extends Pipeline {
  readonly numbers = new IterableSource(this, "numbers", naturals);
  readonly square = new SquareCell(this, "square");
  readonly squared = new OutputPort<number>(this, "squared");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.numbers.output, this.square.input);
    new Connection(this.square.output, this.squared);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  await using squares = new SquaresPipeline(null, "squares");
  await squares.deploy();
  // One pull per record, and take(3) stops the pulls: five records make three even squares.
  const evens = await lastValueFrom(
    toObservable(squares).pipe(
      map((record) => record.squared),
      filter((square) => square % 2 === 0),
      take(3),
      toArray(),
    ),
  );
  print(`even squares: ${evens.join(" ")}`);
  await squares.pull(); // the pipeline is still deployed: it goes on where the observable stopped
  print(`next square: ${squares.squared.getValue()}`);

  // A finite pipeline, not deployed: subscribing deploys it, and it is undeployed before the observable completes.
  const few = new SquaresPipeline(null, "few");
  few.numbers.setSource([3, 4, 5]);
  const all = await lastValueFrom(toObservable(few).pipe(toArray()));
  print(`all records: ${JSON.stringify(all)}, deployed: ${few.isDeployed}`);

  // A failed pull errors the observable.
  const fragile = new SquaresPipeline(null, "fragile");
  fragile.square.failOn = 2;
  const outcome = await lastValueFrom(
    toObservable(fragile).pipe(
      map((record) => `${record.squared}`),
      catchError((error: Error) => of(`${error.name}: ${error.message}`)),
      toArray(),
    ),
  );
  print(outcome.join(", "));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
