/**
 * Cells shared by the scaling tests. Clones are fresh instances of the inner cell's class,
 * built with `(parent, name)` only, so per-test behaviour lives in the class itself:
 * `workerClass(work)` makes a new class around `work` and a `stats` record that every
 * instance (template and clones) reports to.
 */
import {
  Connection,
  ConfigParameter,
  Input,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  RuntimeParameter,
  ScalableCell,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { Collector, CounterSource, sleep } from "../helpers.js";

export { Collector, CounterSource, sleep };

/** What every instance of one worker class did. */
export interface WorkerStats {
  /** Every instance ever built, the never-deployed template(s) first. */
  readonly instances: WorkerInstance[];
  /** Clone runs in progress right now, and the most seen at once. */
  running: number;
  maxRunning: number;
  /** Input values in the order clones finished them (to see clones overtake each other). */
  readonly finished: number[];
}

export interface WorkerInstance extends SingleCell {
  readonly input: Input<number>;
  readonly output: Output<number>;
  readonly factor: RuntimeParameter<number>;
  readonly label: ConfigParameter<string>;
  deploys: number;
  undeploys: number;
  /** Input values this instance ran, in order. */
  readonly seen: number[];
  /** The `factor` each run of this instance used, in order. */
  readonly factors: number[];
  /** The `label` this instance read in its `onDeploy`. */
  labelAtDeploy: string | undefined;
}

/** The work of one item: input value in, output value out (may wait, may throw). */
export type Work = (x: number, self: WorkerInstance) => number | Promise<number>;

/** A fresh single-cell class `input -> work -> output`, plus the stats its instances share. */
export function workerClass(work: Work = (x) => x) {
  const stats: WorkerStats = { instances: [], running: 0, maxRunning: 0, finished: [] };
  class Worker extends SingleCell implements WorkerInstance {
    readonly input = new Input<number>(this, "input");
    readonly output = new Output<number>(this, "output");
    readonly factor = new RuntimeParameter<number>(this, "factor", { defaultValue: 1 });
    readonly label = new ConfigParameter<string>(this, "label", { defaultValue: "default" });
    deploys = 0;
    undeploys = 0;
    readonly seen: number[] = [];
    readonly factors: number[] = [];
    labelAtDeploy: string | undefined;

    constructor(parent: CompositeCell | null, name: string) {
      super(parent, name);
      stats.instances.push(this);
    }
    protected override onDeploy(): void {
      this.deploys++;
      this.labelAtDeploy = this.label.getValue();
    }
    protected override onUndeploy(): void {
      this.undeploys++;
    }
    protected async onPull(): Promise<void> {
      stats.running++;
      stats.maxRunning = Math.max(stats.maxRunning, stats.running);
      try {
        const x = await this.input.pull();
        this.seen.push(x);
        this.factors.push(this.factor.getValue());
        const y = await work(x, this);
        stats.finished.push(x);
        this.output.setValue(y);
      } finally {
        stats.running--;
      }
    }
  }
  return { Worker, stats };
}

type WorkerClass = new (parent: CompositeCell | null, name: string) => WorkerInstance;

/** A scalable cell around `Inner`: `input -> worker -> output`. */
export function scalableOf(Inner: WorkerClass) {
  return class ScalableWorker extends ScalableCell {
    readonly worker = new Inner(this, "worker");
    readonly input = new InputPort<number>(this, "input");
    readonly output = new OutputPort<number>(this, "output");
    constructor(parent: CompositeCell | null, name: string) {
      super(parent, name);
      new Connection(this.input, this.worker.input);
      new Connection(this.worker.output, this.output);
    }
  };
}

export type ScalableWorker = InstanceType<ReturnType<typeof scalableOf>>;

/** `source -> scalable(worker) -> sink`, the scalable cell not scaled up yet. */
export function line(work: Work = (x) => x, options: { limit?: number } = {}) {
  const { Worker, stats } = workerClass(work);
  const Scalable = scalableOf(Worker);
  const p = new Pipeline(null, "p");
  const source = new CounterSource(p, "source");
  if (options.limit !== undefined) source.limit = options.limit;
  const scalable = new Scalable(p, "scalable");
  const sink = new Collector(p, "sink");
  new Connection(source.output, scalable.input);
  new Connection(scalable.output, sink.input);
  return { p, source, scalable, sink, stats, template: scalable.worker };
}

/** Resolves when `condition` holds; fails after a generous deadline (a safety net, not an assertion on time). */
export async function waitFor(condition: () => boolean, what = "condition", ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(1);
  }
}

/** A gate clone runs wait on: closed until `open()`. */
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

/** `n` microtask yields: clones finish out of order without any timer. */
export async function yields(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** Pulls `p` `n` times and returns each pull's outcome: the error, or undefined. */
export async function pullEach(p: { pull(): Promise<unknown> }, n: number): Promise<unknown[]> {
  const outcomes: unknown[] = [];
  for (let i = 0; i < n; i++) {
    try {
      await p.pull();
      outcomes.push(undefined);
    } catch (error) {
      outcomes.push(error);
    }
  }
  return outcomes;
}
