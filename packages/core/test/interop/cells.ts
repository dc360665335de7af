/**
 * Pipelines and signals shared by the interop tests: a source (set per test with
 * `setSource`) feeding a pass-through cell that counts its pulls, out through a port.
 */
import {
  Connection,
  Input,
  IterableSource,
  ObservableSource,
  Output,
  OutputPort,
  Pipeline,
  SingleCell,
  type CompositeCell,
  type ObservableLike,
} from "@cellflow/core";

/** Passes its input on; `fail` makes it throw for one value; counts its pulls and undeploys. */
export class PassCell<T> extends SingleCell {
  readonly input = new Input<T>(this, "input");
  readonly output = new Output<T>(this, "output");
  pulls = 0;
  fail: ((value: T) => boolean) | null = null;
  readonly undeployed = new Signal();

  protected async onPull(): Promise<void> {
    this.pulls++;
    const value = await this.input.pull();
    if (this.fail?.(value) === true) throw new Error(`cannot pass ${String(value)}`);
    this.output.setValue(value);
  }

  protected override onUndeploy(): void {
    this.undeployed.fire();
  }
}

/** iterable source -> pass -> port `value`. */
export class IterablePipeline<T = number> extends Pipeline {
  readonly source = new IterableSource<T>(this, "source");
  readonly pass = new PassCell<T>(this, "pass");
  readonly value = new OutputPort<T>(this, "value");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output, this.pass.input);
    new Connection(this.pass.output, this.value);
  }
}

/** observable source -> pass -> port `value`. */
export class ObservablePipeline<T = number> extends Pipeline {
  readonly source = new ObservableSource<T>(this, "source");
  readonly pass = new PassCell<T>(this, "pass");
  readonly value = new OutputPort<T>(this, "value");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output, this.pass.input);
    new Connection(this.pass.output, this.value);
  }
}

/** An event a test can await: `fired` resolves at the first `fire()`, `times(n)` at the n-th. */
export class Signal {
  count = 0;
  private waiting: Array<{ n: number; resolve: () => void }> = [];

  get fired(): Promise<void> {
    return this.times(1);
  }

  times(n: number): Promise<void> {
    if (this.count >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push({ n, resolve }));
  }

  fire(): void {
    this.count++;
    for (const w of this.waiting.filter((w) => w.n <= this.count)) w.resolve();
    this.waiting = this.waiting.filter((w) => w.n > this.count);
  }
}

/** `source`, telling `subscribed` each time something subscribes to it. */
export function watched<T>(source: ObservableLike<T>): { source: ObservableLike<T>; subscribed: Signal } {
  const subscribed = new Signal();
  return {
    subscribed,
    source: {
      subscribe(observer) {
        const subscription = source.subscribe(observer);
        subscribed.fire();
        return subscription;
      },
    },
  };
}

/** A promise settled from outside. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void; reject: (error: unknown) => void } {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Every record's `value`, pulling the pipeline with `for await` to its end. */
export async function drain<T>(pipeline: IterablePipeline<T> | ObservablePipeline<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const record of pipeline) values.push((record as { value: T }).value);
  return values;
}

/** The pipeline's `value` port after one pull. */
export async function pullValue<T>(pipeline: IterablePipeline<T> | ObservablePipeline<T>): Promise<T> {
  await pipeline.pull();
  return pipeline.value.getValue();
}
