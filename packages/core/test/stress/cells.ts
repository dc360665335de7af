/**
 * Fixture cells of the stress suite. Thread and process clones rebuild cells as
 * `new Class(parent, name)` from this module (hence `registerCells` at the bottom), so
 * each class has a fixed shape and all behaviour comes from ConfigParameters set on the
 * template before deploy: they reach every clone, wherever it runs.
 *
 * Shapes are made by factories (1–3 inputs × 1–2 outputs × with/without an initial value
 * on out0, and for scalable cells × with/without a skip connection); every class gets a
 * unique name so the registry finds it again in another thread or process.
 */
import { existsSync, writeFileSync } from "node:fs";
import { isMainThread, threadId } from "node:worker_threads";
import {
  ConfigParameter,
  Connection,
  Input,
  InputPort,
  Output,
  OutputPort,
  ScalableCell,
  SingleCell,
  registerCells,
  type Cell,
  type CellClass,
  type CompositeCell,
} from "@cellflow/core";
import {
  INIT,
  crashOutput,
  opFailMessage,
  opFails,
  opOutputs,
  opWait,
  sourceFailMessage,
  sourceFails,
  sourceValue,
  type Delay,
  type OpParams,
  type PullMode,
  type SourceParams,
} from "./functions.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---- sources ------------------------------------------------------------------------------

/** Emits base + step·i for item i, throws on the chosen items, ends after `length` items (-1: never). */
export class StressSource extends SingleCell {
  readonly output = new Output<number>(this, "output");
  readonly sourceId = new ConfigParameter<number>(this, "source_id", { defaultValue: 0 });
  readonly base = new ConfigParameter<number>(this, "base", { defaultValue: 0 });
  readonly step = new ConfigParameter<number>(this, "step", { defaultValue: 1 });
  readonly length = new ConfigParameter<number>(this, "length", { defaultValue: -1 });
  readonly failItems = new ConfigParameter<number[]>(this, "fail_items", { defaultValue: [] });
  /** > 0: each item takes that many milliseconds (a timer), so cells downstream wait for input. */
  readonly delayMs = new ConfigParameter<number>(this, "delay_ms", { defaultValue: 0 });
  private next = 0;

  configure(p: SourceParams): void {
    this.sourceId.setValue(p.id);
    this.base.setValue(p.base);
    this.step.setValue(p.step);
    this.length.setValue(p.length);
    this.failItems.setValue([...p.failItems]);
  }

  private params(): SourceParams {
    return {
      id: this.sourceId.getValue(),
      base: this.base.getValue(),
      step: this.step.getValue(),
      length: this.length.getValue(),
      failItems: this.failItems.getValue(),
    };
  }

  protected onPull(): void | Promise<void> {
    const p = this.params();
    const item = this.next++;
    const delay = this.delayMs.getValue();
    if (delay <= 0) return this.emit(p, item);
    return sleep(delay).then(() => this.emit(p, item));
  }

  private emit(p: SourceParams, item: number): void {
    if (sourceFails(p, item)) throw new Error(sourceFailMessage(p, item));
    this.output.setValue(sourceValue(p, item));
  }

  protected override remainingPulls(): number {
    const length = this.length.getValue();
    return length < 0 ? Infinity : length - this.next;
  }

  protected override onReset(): void {
    this.next = 0;
  }
}

// ---- operators ----------------------------------------------------------------------------

export interface OpCell extends SingleCell {
  readonly ins: ReadonlyArray<Input<number>>;
  readonly outs: ReadonlyArray<Output<number>>;
  configure(p: OpParams): void;
}

export type OpClass = CellClass<OpCell>;

function makeOp(nIn: number, nOut: number, init: boolean): OpClass {
  class Op extends SingleCell implements OpCell {
    readonly opId = new ConfigParameter<number>(this, "op_id", { defaultValue: -1 });
    readonly k = new ConfigParameter<number>(this, "k", { defaultValue: 1 });
    readonly c = new ConfigParameter<number>(this, "c", { defaultValue: 0 });
    readonly failMod = new ConfigParameter<number>(this, "fail_mod", { defaultValue: 0 });
    readonly failRes = new ConfigParameter<number>(this, "fail_res", { defaultValue: 0 });
    readonly delay = new ConfigParameter<Delay>(this, "delay", { defaultValue: "none" });
    readonly pullMode = new ConfigParameter<PullMode>(this, "pull_mode", { defaultValue: "seq" });
    readonly ins: Array<Input<number>> = [];
    readonly outs: Array<Output<number>> = [];
    /** Read in onDeploy, as a real cell would: a clone that did not get the values shows it here. */
    private p: OpParams | null = null;

    constructor(parent: CompositeCell | null, name: string) {
      super(parent, name);
      for (let q = 0; q < nIn; q++) this.ins.push(new Input<number>(this, `in${q}`));
      for (let m = 0; m < nOut; m++) {
        this.outs.push(new Output<number>(this, `out${m}`, m === 0 && init ? { initialValue: INIT } : {}));
      }
    }

    configure(p: OpParams): void {
      this.opId.setValue(p.id);
      this.k.setValue(p.k);
      this.c.setValue(p.c);
      this.failMod.setValue(p.failMod);
      this.failRes.setValue(p.failRes);
      this.delay.setValue(p.delay);
      this.pullMode.setValue(p.pullMode);
    }

    protected override onDeploy(): void {
      this.p = {
        id: this.opId.getValue(),
        k: this.k.getValue(),
        c: this.c.getValue(),
        failMod: this.failMod.getValue(),
        failRes: this.failRes.getValue(),
        delay: this.delay.getValue(),
        pullMode: this.pullMode.getValue(),
      };
    }

    protected async onPull(): Promise<void> {
      const p = this.p!;
      const values = await this.pullInputs(p.pullMode);
      const wait = opWait(p, values);
      if (wait !== null) {
        if ("ms" in wait) await sleep(wait.ms);
        else for (let i = 0; i < wait.micro; i++) await Promise.resolve();
      }
      if (opFails(p, values)) throw new Error(opFailMessage(p, values));
      const outs = opOutputs(p, values, nOut);
      outs.forEach((v, m) => this.outs[m]!.setValue(v));
    }

    private async pullInputs(mode: PullMode): Promise<number[]> {
      if (mode === "seq") {
        const values: number[] = [];
        for (const input of this.ins) values.push(await input.pull());
        return values;
      }
      let settled: PromiseSettledResult<number>[];
      if (mode === "concurrent") settled = await Promise.allSettled(this.ins.map((input) => input.pull()));
      else {
        settled = [];
        for (const input of this.ins) {
          try {
            settled.push({ status: "fulfilled", value: await input.pull() });
          } catch (reason) {
            settled.push({ status: "rejected", reason });
          }
        }
      }
      for (const s of settled) if (s.status === "rejected") throw s.reason;
      return settled.map((s) => (s as PromiseFulfilledResult<number>).value);
    }
  }
  Object.defineProperty(Op, "name", { value: `StressOp_i${nIn}_o${nOut}${init ? "_init" : ""}` });
  return Op;
}

// ---- scalable operators -------------------------------------------------------------------

export interface ScalableOpCell extends ScalableCell {
  readonly op: OpCell;
  readonly ins: ReadonlyArray<InputPort<number>>;
  /** out0..out{n-1}, then skip_out if the class has a skip connection. */
  readonly outs: ReadonlyArray<OutputPort<number>>;
  readonly skipIn: InputPort<number> | null;
}

export type ScalableOpClass = CellClass<ScalableOpCell>;

function makeScalable(nIn: number, nOut: number, init: boolean, skip: boolean, Inner: OpClass): ScalableOpClass {
  class ScalableOp extends ScalableCell implements ScalableOpCell {
    readonly op: OpCell;
    readonly ins: Array<InputPort<number>> = [];
    readonly outs: Array<OutputPort<number>> = [];
    readonly skipIn: InputPort<number> | null = null;

    constructor(parent: CompositeCell | null, name: string) {
      super(parent, name);
      this.op = new Inner(this, "op");
      for (let q = 0; q < nIn; q++) {
        const port = new InputPort<number>(this, `in${q}`);
        this.ins.push(port);
        new Connection(port, this.op.ins[q]!);
      }
      if (skip) this.skipIn = new InputPort<number>(this, "skip_in");
      for (let m = 0; m < nOut; m++) {
        const port = new OutputPort<number>(this, `out${m}`, m === 0 && init ? { initialValue: INIT } : {});
        this.outs.push(port);
        new Connection(this.op.outs[m]!, port);
      }
      if (this.skipIn !== null) {
        const skipOut = new OutputPort<number>(this, "skip_out");
        this.outs.push(skipOut);
        new Connection(this.skipIn, skipOut);
      }
    }
  }
  Object.defineProperty(ScalableOp, "name", {
    value: `StressScalable_i${nIn}_o${nOut}${init ? "_init" : ""}${skip ? "_skip" : ""}`,
  });
  return ScalableOp;
}

const opClasses = new Map<string, OpClass>();
const scalableClasses = new Map<string, ScalableOpClass>();
for (let nIn = 1; nIn <= 3; nIn++) {
  for (let nOut = 1; nOut <= 2; nOut++) {
    for (const init of [false, true]) {
      opClasses.set(`${nIn}/${nOut}/${init}`, makeOp(nIn, nOut, init));
    }
  }
}
for (let nIn = 1; nIn <= 3; nIn++) {
  for (let nOut = 1; nOut <= 2; nOut++) {
    for (const init of [false, true]) {
      for (const skip of [false, true]) {
        const Inner = opClasses.get(`${nIn}/${nOut}/false`)!;
        scalableClasses.set(`${nIn}/${nOut}/${init}/${skip}`, makeScalable(nIn, nOut, init, skip, Inner));
      }
    }
  }
}

export function opClass(nIn: number, nOut: number, init: boolean): OpClass {
  return opClasses.get(`${nIn}/${nOut}/${init}`)!;
}

export function scalableClass(nIn: number, nOut: number, init: boolean, skip: boolean): ScalableOpClass {
  return scalableClasses.get(`${nIn}/${nOut}/${init}/${skip}`)!;
}

// ---- sinks --------------------------------------------------------------------------------

export type Recorded = { readonly epoch: number; readonly value: number } | { readonly epoch: number; readonly error: unknown };

/**
 * Records, per pull, the value or the error it saw, tagged with the epoch current when
 * its pull started (how many times its `onReset` ran), and rethrows errors so the
 * pipeline pull fails. A pull that started before the reset counts for the old stream; one
 * that started after it, for the new one, whoever issued it. Only ever runs in the test's
 * own thread (never scaled), so the runner reads `records` directly.
 */
export class StressCollector extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly records: Recorded[] = [];
  epoch = 0;

  protected override onReset(): void {
    this.epoch++;
  }

  protected async onPull(): Promise<void> {
    const epoch = this.epoch;
    let value: number;
    try {
      value = await this.input.pull();
    } catch (error) {
      this.records.push({ epoch, error });
      throw error;
    }
    this.records.push({ epoch, value });
  }
}

// ---- crashes ------------------------------------------------------------------------------

/** True in a worker thread or a child process clone; false in the test runner (async clones). */
function inClone(): boolean {
  return !isMainThread || process.env.CELLFLOW_CLONE_BOOT !== undefined;
}

/**
 * `output = crashOutput(x)`, except that on an input in `crash_items` it ends its own
 * thread or process with `process.exit(1)`, the first time only: a marker file
 * (`marker_prefix` + item, holding the pid/threadId of the clone that crashed) tells the
 * item run again on another clone not to crash again.
 * With `crash_when` "item" it exits in the middle of the item; with "idle", 3 ms after
 * finishing it (the clone then dies between items). In the test's own thread (an async
 * clone) it never crashes.
 */
export class CrashCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  readonly crashItems = new ConfigParameter<number[]>(this, "crash_items", { defaultValue: [] });
  readonly markerPrefix = new ConfigParameter<string>(this, "marker_prefix", { defaultValue: "" });
  readonly crashWhen = new ConfigParameter<"item" | "idle">(this, "crash_when", { defaultValue: "item" });
  private items: number[] = [];
  private prefix = "";
  private when: "item" | "idle" = "item";

  protected override onDeploy(): void {
    this.items = this.crashItems.getValue();
    this.prefix = this.markerPrefix.getValue();
    this.when = this.crashWhen.getValue();
  }

  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    await sleep(x % 3);
    if (this.items.includes(x) && this.prefix !== "" && inClone()) {
      const marker = `${this.prefix}-${x}`;
      if (!existsSync(marker)) {
        // Who crashed: two crash items run within 3 ms by one "idle" clone end it once.
        writeFileSync(marker, `${process.pid}/${threadId}`);
        if (this.when === "item") process.exit(1);
        setTimeout(() => process.exit(1), 3);
      }
    }
    this.output.setValue(crashOutput(x));
  }
}

export class ScalableCrash extends ScalableCell {
  readonly crash = new CrashCell(this, "crash");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.crash.input);
    new Connection(this.crash.output, this.output);
  }
}

registerCells(
  import.meta.url,
  StressSource,
  StressCollector,
  CrashCell,
  ScalableCrash,
  ...(opClasses.values() as Iterable<CellClass<Cell>>),
  ...(scalableClasses.values() as Iterable<CellClass<Cell>>),
);
