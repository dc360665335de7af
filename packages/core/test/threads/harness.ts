/**
 * Wiring shared by the thread/process clone tests: a source that makes item i with a
 * function, the scalable cell under test, and collectors on its outputs.
 */
import { spawnSync } from "node:child_process";
import { Connection, Input, Output, Pipeline, SingleCell, type CompositeCell, type OutputPort, type InputPort } from "@cellflow/core";

/** Emits make(0), make(1), ...; counts its pulls; `reset()` starts over. */
export class ItemSource<T> extends SingleCell {
  readonly output = new Output<T>(this, "output");
  next = 0;
  pulls = 0;
  limit = Infinity;
  /** The values it emitted, by index (so a test can inspect what it sent). */
  readonly sent: T[] = [];
  constructor(
    parent: CompositeCell | null,
    name: string,
    public make: (i: number) => T = (i) => i as T,
  ) {
    super(parent, name);
  }
  protected onPull(): void {
    this.pulls++;
    const value = this.make(this.next++);
    this.sent.push(value);
    this.output.setValue(value);
  }
  protected override remainingPulls(): number {
    return this.limit - this.next;
  }
  protected override onReset(): void {
    this.next = 0;
    this.sent.length = 0;
  }
}

/** Records every value it pulls. */
export class Sink<T> extends SingleCell {
  readonly input = new Input<T>(this, "input");
  readonly values: T[] = [];
  protected async onPull(): Promise<void> {
    this.values.push(await this.input.pull());
  }
  protected override onReset(): void {
    this.values.length = 0;
  }
}


/**
 * `source -> scalable -> sinks`, one sink per output port named in `outputs`
 * (`"output"` always). Returns the pieces by name.
 */
export function harness<I, S extends CompositeCell & { readonly input: InputPort<any> }>(
  Scalable: new (parent: CompositeCell | null, name: string) => S,
  make: (i: number) => I,
  outputs: readonly string[] = ["output"],
) {
  const pipeline = new Pipeline(null, "p");
  const source = new ItemSource<I>(pipeline, "source", make);
  const scalable = new Scalable(pipeline, "sc");
  new Connection(source.output, scalable.input);
  const sinks: Record<string, Sink<unknown>> = {};
  for (const name of outputs) {
    const sink = new Sink<unknown>(pipeline, `sink_${name}`);
    new Connection((scalable as unknown as Record<string, OutputPort<unknown>>)[name]!, sink.input);
    sinks[name] = sink;
  }
  return { pipeline, source, scalable, sinks };
}

/** Pulls the pipeline `n` times, recording each pull's outcome: "ok" or the error. */
export async function pullOutcomes(pipeline: Pipeline, n: number): Promise<Array<"ok" | Error>> {
  const outcomes: Array<"ok" | Error> = [];
  for (let i = 0; i < n; i++) {
    try {
      await pipeline.pull();
      outcomes.push("ok");
    } catch (error) {
      outcomes.push(error as Error);
    }
  }
  return outcomes;
}

/** Whether a process with this pid exists (signal 0 probes without killing). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/** Whether `pid` is a zombie (exited, not yet reaped); zombies are dead for our purposes. */
export function isZombie(pid: number): boolean {
  const ps = spawnSync("ps", ["-o", "stat=", "-p", String(pid)], { encoding: "utf8" });
  return ps.stdout.trim().startsWith("Z");
}

/** Polls `check` until it holds or `ms` passes; returns whether it held. */
export async function eventually(check: () => boolean, ms = 5_000, every = 20): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}
