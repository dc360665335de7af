/**
 * Cells the hardening tests run in REAL worker threads and child processes. Clones rebuild
 * them from this module with `(parent, name)` only, so per-test behaviour comes from
 * ConfigParameters set on the template (they reach every clone). Hence the
 * `registerCells` line at the bottom. Nothing here imports vitest.
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
  type CompositeCell,
} from "@cellflow/core";

/** True in a worker thread or a child process clone; false in the test runner itself. */
export function inClone(): boolean {
  return !isMainThread || process.env.CELLFLOW_CLONE_BOOT !== undefined;
}

/** Where a clone ran, as plain data. */
export function where(): string {
  return `${process.pid}:${threadId}`;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * `output = 2 * input`. `delayMs` (config): each item waits that long before it is done
 * (0: a few microtask ticks, uneven per item, so clones finish out of order).
 */
export class TwiceCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly delayMs = new ConfigParameter<number>(this, "delay_ms", { defaultValue: 0 });
  readonly output = new Output<number>(this, "output");
  private delay = 0;
  protected override onDeploy(): void {
    this.delay = this.delayMs.getValue();
  }
  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    if (this.delay > 0) await wait(this.delay);
    else for (let i = 0; i < Math.abs(x) % 4; i++) await Promise.resolve();
    this.output.setValue(2 * x);
  }
}

export class ScalableTwice extends ScalableCell {
  readonly twice = new TwiceCell(this, "twice");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.twice.input);
    new Connection(this.twice.output, this.output);
  }
}

/**
 * `output = 10 * input`, and `where` says which clone ran it. Item `crashOn` (config;
 * -1: none) kills the clone, once per `marker` file (the rerun on another clone then
 * succeeds), in the way `mode` says:
 * - "exit": `process.exit(7)` mid-item;
 * - "uncaught": a top-level throw from a timer mid-item (the item never settles);
 * - "uncaught-after": the item succeeds, and a timer throws at top level `afterMs`
 *   later, while the clone is idle.
 * Outside a clone (the test runner), nothing is ever killed.
 */
export class CrashCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly crashOn = new ConfigParameter<number>(this, "crash_on", { defaultValue: -1 });
  readonly mode = new ConfigParameter<"exit" | "uncaught" | "uncaught-after">(this, "mode", { defaultValue: "exit" });
  readonly marker = new ConfigParameter<string>(this, "marker", { defaultValue: "" });
  readonly afterMs = new ConfigParameter<number>(this, "after_ms", { defaultValue: 30 });
  readonly output = new Output<number>(this, "output");
  readonly where = new Output<string>(this, "where");

  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    if (x === this.crashOn.getValue() && inClone() && this.firstTime()) {
      switch (this.mode.getValue()) {
        case "exit":
          process.exit(7);
          break;
        case "uncaught":
          setTimeout(() => {
            throw new Error(`uncaught at top level on item ${x}`);
          }, 1);
          await new Promise(() => {}); // never settles: the clone dies first
          break;
        case "uncaught-after":
          setTimeout(() => {
            throw new Error(`uncaught at top level after item ${x}`);
          }, this.afterMs.getValue());
          break;
      }
    }
    await Promise.resolve();
    this.output.setValue(10 * x);
    this.where.setValue(where());
  }

  /** True the first time for this marker (creates the file); always true without a marker. */
  private firstTime(): boolean {
    const marker = this.marker.getValue();
    if (marker === "") return true;
    if (existsSync(marker)) return false;
    writeFileSync(marker, where());
    return true;
  }
}

export class ScalableCrash extends ScalableCell {
  readonly crash = new CrashCell(this, "crash");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");
  readonly where = new OutputPort<string>(this, "where");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.crash.input);
    new Connection(this.crash.output, this.output);
    new Connection(this.crash.where, this.where);
  }
}

registerCells(import.meta.url, TwiceCell, ScalableTwice, CrashCell, ScalableCrash);
