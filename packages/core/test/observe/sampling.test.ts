/**
 * Which cell runs are timed while someone listens (observe/cell-runs.ts): a quick cell's
 * only now and then, each event standing for the untimed runs before it; a cell busy
 * 80 µs or more a run, every run; failures always; everything with `everyRun`.
 */
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Connection, Input, Output, Pipeline, Recorder, SingleCell, analyze, type CellRunEvent } from "@cellflow/core";
import { ScalableRunningSum } from "../fixtures/thread-cells.js";
import { harness } from "../threads/harness.js";
import { Collector, CounterSource } from "../helpers.js";
import { recordPulls } from "./recording.js";

const recorders: Recorder[] = [];
afterEach(() => {
  for (const r of recorders.splice(0)) r.stop();
});
function recording(everyRun = false): Recorder {
  const recorder = new Recorder({ everyRun }).start();
  recorders.push(recorder);
  return recorder;
}

/** Passes its input on; throws on the values `fails` picks. */
class Pass extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  fails: (x: number) => boolean = () => false;
  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    if (this.fails(x)) throw new Error(`fails on ${x}`);
    this.output.setValue(x);
  }
}

/** Keeps the CPU busy for `busyMs` a run (a clock loop: no timer, so no wait). */
class Spinner extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  busyMs = 0.15;
  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    const until = performance.now() + this.busyMs;
    while (performance.now() < until);
    this.output.setValue(x);
  }
}

function chain(name: string) {
  const p = new Pipeline(null, name);
  const source = new CounterSource(p, "source");
  const pass = new Pass(p, "pass");
  const sink = new Collector(p, "sink");
  new Connection(source.output, pass.input);
  new Connection(pass.output, sink.input);
  return { p, source, pass, sink };
}

const runsOf = (events: readonly CellRunEvent[], cell: string) => events.filter((e) => e.cell === cell).reduce((sum, e) => sum + e.runs, 0);

describe("timing now and then", () => {
  it("a quick cell's runs are timed only now and then; each event counts the untimed runs before it, and a stopping recorder counts the rest", async () => {
    const { p } = chain("p");
    await p.deploy();
    try {
      const sampled = recording();
      const pulls = 4_000;
      for (let i = 0; i < pulls; i++) await p.pull();
      sampled.stop();
      const events = sampled.events().cellRuns;
      for (const cell of ["p.source", "p.pass", "p.sink"]) {
        const own = events.filter((e) => e.cell === cell);
        // Trivial cells are busy well under 80 µs a run: far fewer events than runs (generous: a loaded machine slows them).
        expect(own.length).toBeLessThan(pulls / 2);
        expect(own.some((e) => e.runs > 1)).toBe(true);
        expect(own.every((e) => Number.isInteger(e.runs) && e.runs >= 1 && !e.failed)).toBe(true);
        // Every run counted: the timed events' and, at the stop, the untimed rest (at most one event).
        expect(runsOf(events, cell)).toBe(pulls);
        expect(own.filter((e) => !e.timed).length).toBeLessThanOrEqual(1);
        expect(own.filter((e) => !e.timed).every((e) => e.start === e.end && e.waited === 0)).toBe(true);
      }
      // Nothing was left over for the next recording: its first event is that run alone.
      const next = recording(true);
      await p.pull();
      next.stop();
      for (const cell of ["p.source", "p.pass", "p.sink"]) expect(runsOf(next.events().cellRuns, cell)).toBe(1);
      // The report counts runs, not events, and says which cells were timed now and then.
      const report = sampled.report();
      const pass = report.cells.find((c) => c.cell === "p.pass")!;
      expect(pass.items).toBe(pulls);
      expect(pass.timedRuns).toBe(events.filter((e) => e.cell === "p.pass" && e.timed).length);
      expect(pass.timedRuns).toBeLessThan(pulls / 2);
      expect(pass.trueRate).toBeGreaterThan(0);
    } finally {
      await p.undeploy();
    }
  });

  it("a cell busy 80 µs or more a run has every run timed, next to quick cells that are not", async () => {
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const spinner = new Spinner(p, "spinner");
    const sink = new Collector(p, "sink");
    new Connection(source.output, spinner.input);
    new Connection(spinner.output, sink.input);
    await p.deploy();
    try {
      const recorder = recording();
      for (let i = 0; i < 300; i++) await p.pull();
      recorder.stop();
      const runs = recorder.events().cellRuns.filter((e) => e.cell === "p.spinner");
      expect(runs).toHaveLength(300);
      expect(runs.every((e) => e.runs === 1 && e.end - e.start - e.waited >= 0.15)).toBe(true);
    } finally {
      await p.undeploy();
    }
  });

  it("every failure has an event, timed or not: errors are exact (property: failing values, pull counts)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 2, max: 40 }), fc.integer({ min: 200, max: 1_500 }), async (every, pulls) => {
        const { p, pass } = chain("f");
        pass.fails = (x) => x % every === 0;
        await p.deploy();
        try {
          const recorder = recording();
          let failed = 0;
          for (let i = 0; i < pulls; i++) await p.pull().catch(() => failed++);
          recorder.stop();
          const events = recorder.events().cellRuns.filter((e) => e.cell === "f.pass");
          expect(failed).toBe(Math.floor((pulls - 1) / every) + 1);
          expect(events.filter((e) => e.failed)).toHaveLength(failed);
          expect(analyze(recorder.events()).cells.find((c) => c.cell === "f.pass")!.errors).toBe(failed);
          // Counted once each: an untimed failure's event is not in a timed run's count too.
          expect(runsOf(events, "f.pass")).toBe(pulls);
          expect(events.filter((e) => e.failed && !e.timed).every((e) => e.runs === 1)).toBe(true);
        } finally {
          await p.undeploy();
        }
      }),
      { numRuns: 15 },
    );
  });

  it("everyRun times each run while it records, next to a recorder that samples, and lets go when it stops", async () => {
    const { p } = chain("e");
    await p.deploy();
    try {
      const sampled = recording();
      const every = recording(true);
      for (let i = 0; i < 500; i++) await p.pull();
      every.stop();
      // Both saw the same events: with everyRun out, one per run.
      expect(every.events().cellRuns.filter((e) => e.cell === "e.pass")).toHaveLength(500);
      expect(every.events().cellRuns.every((e) => e.runs === 1)).toBe(true);
      const before = sampled.events().cellRuns.length;
      for (let i = 0; i < 2_000; i++) await p.pull();
      sampled.stop();
      expect(sampled.events().cellRuns.length - before).toBeLessThan(3 * 1_000);
    } finally {
      await p.undeploy();
    }
  });

  it("clones in worker threads time their quick cells now and then too, and every run with everyRun", async () => {
    const run = async (everyRun: boolean) => {
      const { pipeline, scalable } = harness(ScalableRunningSum, (i) => i);
      scalable.scaleUp(2, "thread");
      const { cellRuns, cloneItems } = await recordPulls(pipeline, 600, () => ScalableRunningSum.whenAllIdle(pipeline), { everyRun });
      expect(cloneItems.length).toBeGreaterThanOrEqual(600);
      const inner = cellRuns.filter((r) => r.cell === "p.sc.sum");
      expect(inner.every((r) => r.lane !== "main")).toBe(true);
      return { inner, items: cloneItems.length };
    };
    const every = await run(true);
    expect(every.inner).toHaveLength(every.items);
    expect(every.inner.every((r) => r.runs === 1)).toBe(true);
    const sampled = await run(false);
    expect(sampled.inner.filter((r) => r.timed).length).toBeLessThan(sampled.items / 2);
    // The clones count their untimed runs into each reply's events: none is missing.
    expect(runsOf(sampled.inner, "p.sc.sum")).toBe(sampled.items);
  });
});
