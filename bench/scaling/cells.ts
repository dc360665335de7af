/**
 * Cells of the scaling suites (`tiny`, `transfer`, `cpu`). Thread and process clones
 * rebuild the inner cells from their modules, hence the `registerCells` line (the
 * `cpu` suite's Hasher is the one of examples/scaling/cpu-threads.ts, registered there).
 * The gated source and the sink stay in the main thread.
 */
import {
  Connection,
  Input,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  ScalableCell,
  SingleCell,
  registerCells,
  type CompositeCell,
} from "@cellflow/core";
import { Hasher } from "../../examples/scaling/cpu-threads.js";

/** The trivial cell of the `tiny` suite: x + 1. */
export class Increment extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");

  protected async onPull(): Promise<void> {
    this.output.setValue((await this.input.pull()) + 1);
  }
}

/** The cell of the `transfer` suite: touches one element of the array and hands it back. */
export class Touch extends SingleCell {
  readonly input = new Input<Float64Array>(this, "input");
  readonly output = new Output<Float64Array>(this, "output");

  protected async onPull(): Promise<void> {
    const array = await this.input.pull();
    array[0] = array[0]! + 1;
    this.output.setValue(array);
  }
}

registerCells(import.meta.url, Increment, Touch);

/** A scalable cell around one inner cell with an `input` and an `output`. */
abstract class ScalableInOut<T> extends ScalableCell {
  readonly input = new InputPort<T>(this, "input");
  readonly output = new OutputPort<T>(this, "output");
}

export class ScalableIncrement extends ScalableInOut<number> {
  readonly inner = new Increment(this, "increment");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.inner.input);
    new Connection(this.inner.output, this.output);
  }
}

/** The example's CPU-bound Hasher (`work` xorshift rounds per item), with `input`/`output` ports. */
export class ScalableHash extends ScalableInOut<number> {
  readonly inner = new Hasher(this, "hasher");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.inner.seed);
    new Connection(this.inner.hash, this.output);
  }
}

export class ScalableTouch extends ScalableInOut<Float64Array> {
  readonly inner = new Touch(this, "touch");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.inner.input);
    new Connection(this.inner.output, this.output);
  }
}

/**
 * A source that emits `make(i)` for i = 0, 1, ... but only as many items as it was
 * granted (`grant(n)`): between timed runs the clones sit idle instead of filling the
 * queue in the background, so every run starts from the same idle state.
 */
export class GatedSource<T> extends SingleCell {
  readonly output = new Output<T>(this, "output");
  private next = 0;
  private granted = 0;
  private wake: (() => void) | null = null;

  constructor(
    parent: CompositeCell | null,
    name: string,
    public make: (i: number) => T,
  ) {
    super(parent, name);
  }

  /** Lets `n` more items through. */
  grant(n: number): void {
    this.granted += n;
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Lets every item through from now on (before undeploy, so no clone waits on the gate). */
  open(): void {
    this.grant(Infinity);
  }

  protected async onPull(): Promise<void> {
    while (this.granted <= 0) await new Promise<void>((resolve) => (this.wake = resolve));
    this.granted--;
    this.output.setValue(this.make(this.next++));
  }
}

/** Keeps the last value and hands it to `onValue`. */
export class LastValue<T> extends SingleCell {
  readonly input = new Input<T>(this, "input");
  last: T | undefined;
  onValue: (value: T) => void = () => {};

  protected async onPull(): Promise<void> {
    const value = await this.input.pull();
    this.last = value;
    this.onValue(value);
  }
}

/** gated source -> scalable cell -> last-value sink. */
export class GatedPipeline<T, S extends ScalableInOut<T>> extends Pipeline {
  readonly source: GatedSource<T>;
  readonly scalable: S;
  readonly sink: LastValue<T>;

  constructor(Scalable: new (parent: CompositeCell | null, name: string) => S, make: (i: number) => T) {
    super(null, "bench");
    this.source = new GatedSource<T>(this, "source", make);
    this.scalable = new Scalable(this, "scalable");
    this.sink = new LastValue<T>(this, "sink");
    new Connection(this.source.output, this.scalable.input);
    new Connection(this.scalable.output, this.sink.input);
  }
}
