/**
 * Helpers shared by the hardening tests (not a fixture: clones never import this file).
 * Every wait that could hang is bounded, so a hang shows up as the outcome "hang"
 * instead of the runner's timeout.
 */
import {
  CellPullError,
  Connection,
  EndOfStreamError,
  InactiveError,
  Input,
  InputPort,
  Output,
  OutputPort,
  ScalableCell,
  SingleCell,
  type Cell,
  type CompositeCell,
  type ConnectionSource,
  type ConnectionTarget,
} from "@cellflow/core";
import { withinDeadline } from "../helpers.js";

export { withinDeadline };

/** How long one pull may take before it counts as a hang (never an assertion on time). */
export const PULL_DEADLINE_MS = 1_500;

/**
 * A readable, exact name for a pull's outcome: `"ok"`, `"EndOfStreamError"`,
 * `"CellPullError(p.cell)"` (with the failing cell's path), `"InactiveError"`, `"hang"`,
 * or the class and message of anything else.
 */
export function outcomeOf(error: unknown): string {
  if (error instanceof EndOfStreamError) return "EndOfStreamError";
  if (error instanceof CellPullError) return `CellPullError(${error.cellPath})`;
  if (error instanceof InactiveError) return "InactiveError";
  if (error instanceof Error && error.message.startsWith("hang:")) return "hang";
  if (error instanceof Error) return `${error.constructor.name}: ${error.message}`;
  return `non-error: ${String(error)}`;
}

/**
 * Pulls `p` up to `n` times, each pull bounded; records "ok" or the outcome of the error.
 * Stops after a hang (a hung pull stays in flight, so later pulls would only queue behind it).
 */
export async function pullOutcomes(p: { pull(): Promise<unknown> }, n: number, ms = PULL_DEADLINE_MS): Promise<string[]> {
  const outcomes: string[] = [];
  for (let i = 0; i < n; i++) {
    try {
      await withinDeadline(p.pull(), ms);
      outcomes.push("ok");
    } catch (error) {
      const outcome = outcomeOf(error);
      outcomes.push(outcome);
      if (outcome === "hang") break;
    }
  }
  return outcomes;
}

/** Bounded undeploy that ignores failures (a broken engine may not undeploy cleanly). */
export async function undeployQuietly(p: Cell, ms = 6_000): Promise<void> {
  if (!p.isDeployed) return;
  await withinDeadline(p.undeploy(), ms).catch(() => undefined);
}

/** Settles `promise` within the deadline and says how: "ok", or the outcome of its error. */
export async function settleOf(promise: Promise<unknown>, ms = PULL_DEADLINE_MS): Promise<string> {
  try {
    await withinDeadline(promise, ms);
    return "ok";
  } catch (error) {
    return outcomeOf(error);
  }
}

/** `n` microtask ticks. */
export async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** One macrotask turn (lets timers and I/O callbacks run). */
export const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A promise the test resolves: cells wait on it to force an interleaving. */
export class Gate {
  private opened = false;
  private waiting: Array<() => void> = [];
  get isOpen(): boolean {
    return this.opened;
  }
  wait(): Promise<void> {
    return this.opened ? Promise.resolve() : new Promise((resolve) => this.waiting.push(resolve));
  }
  open(): void {
    this.opened = true;
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

// ---- small cells ---------------------------------------------------------------------------

/**
 * Emits `scale * n` for n = 0, 1, 2, ... (`limit` values if finite); throws on the pulls
 * whose n is in `failOn` (the value n is used up all the same). Async by default.
 */
export class NumberSource extends SingleCell {
  readonly output = new Output<number>(this, "output");
  n = 0;
  pulls = 0;
  scale = 1;
  limit = Infinity;
  failOn = new Set<number>();
  sync = false;
  protected onPull(): void | Promise<void> {
    this.pulls++;
    const n = this.n++;
    const finish = () => {
      if (this.failOn.has(n)) throw new Error(`source "${this.name}" fails on item ${n}`);
      this.output.setValue(this.scale * n);
    };
    if (this.sync) return finish();
    return Promise.resolve().then(finish);
  }
  protected override remainingPulls(): number {
    return this.limit - this.n;
  }
  protected override onReset(): void {
    this.n = 0;
  }
}

/** Records every value it pulls. */
export class Collect<T = number> extends SingleCell {
  readonly input = new Input<T>(this, "input");
  readonly values: T[] = [];
  protected async onPull(): Promise<void> {
    this.values.push(await this.input.pull());
  }
  protected override onReset(): void {
    this.values.length = 0;
  }
}

/** out = a + b (pulls a, then b). */
export class AddCell extends SingleCell {
  readonly a = new Input<number>(this, "a");
  readonly b = new Input<number>(this, "b");
  readonly output = new Output<number>(this, "output");
  protected async onPull(): Promise<void> {
    const a = await this.a.pull();
    const b = await this.b.pull();
    this.output.setValue(a + b);
  }
}

export class ScalableAdd extends ScalableCell {
  readonly add = new AddCell(this, "add");
  readonly a = new InputPort<number>(this, "a");
  readonly b = new InputPort<number>(this, "b");
  readonly output = new OutputPort<number>(this, "output");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.a, this.add.a);
    new Connection(this.b, this.add.b);
    new Connection(this.add.output, this.output);
  }
}

/** out = 2 x. */
export class DoubleCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  protected async onPull(): Promise<void> {
    this.output.setValue(2 * (await this.input.pull()));
  }
}

export class ScalableDouble extends ScalableCell {
  readonly double = new DoubleCell(this, "double");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.double.input);
    new Connection(this.double.output, this.output);
  }
}

/** The IO of an adder, scaled or not, so a test can wire either the same way. */
export interface AdderIO {
  readonly a: ConnectionTarget<number>;
  readonly b: ConnectionTarget<number>;
  readonly output: ConnectionSource<number>;
  readonly scalable: ScalableAdd | null;
}

/** An `AddCell` (clones = 0) or a `ScalableAdd` with `clones` async clones, in `parent`. */
export function adder(parent: CompositeCell, name: string, clones: number): AdderIO {
  if (clones === 0) {
    const add = new AddCell(parent, name);
    return { a: add.a, b: add.b, output: add.output, scalable: null };
  }
  const add = new ScalableAdd(parent, name);
  void add.scaleUp(clones);
  return { a: add.a, b: add.b, output: add.output, scalable: add };
}

/** A doubler, scaled (async clones) or not. */
export function doubler(parent: CompositeCell, name: string, clones: number) {
  if (clones === 0) {
    const d = new DoubleCell(parent, name);
    return { input: d.input as ConnectionTarget<number>, output: d.output as ConnectionSource<number>, scalable: null };
  }
  const d = new ScalableDouble(parent, name);
  void d.scaleUp(clones);
  return { input: d.input as ConnectionTarget<number>, output: d.output as ConnectionSource<number>, scalable: d };
}
