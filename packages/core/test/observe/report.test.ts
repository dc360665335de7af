/**
 * The bottleneck report (SPEC 4.2) on the seed's scale-up example: source 1 unit,
 * multiplier 4, printer 2. Theory: without clones the multiplier limits the pipeline;
 * with n clones the rate is min(n/5, 1/2) per unit (a clone's cycle is its input's pull
 * plus the multiplier), so 3 clones keep up with the printer; with 4 the printer limits.
 */
import { describe, expect, it } from "vitest";
import { analyze, Connection, formatReport, Input, InvalidArgumentError, Pipeline, profile, SingleCell, type RecordedEvents } from "@cellflow/core";
import { Collector, CounterSource } from "../helpers.js";

/** Throws on every third value (0, 3, 6, …). */
class ThrowsOnThirds extends SingleCell {
  readonly input = new Input<number>(this, "input");
  protected async onPull(): Promise<void> {
    if ((await this.input.pull()) % 3 === 0) throw new Error("a third");
  }
}
import { PlainPipeline, ScaledPipeline } from "../../../../examples/scaleup/cells.js";

const UNIT_MS = 25;

async function profiled(clones: number) {
  const pipeline = clones === 0 ? new PlainPipeline(null, "my_pipeline") : new ScaledPipeline(null, "my_pipeline");
  pipeline.setUnit(UNIT_MS);
  if (pipeline instanceof ScaledPipeline) await pipeline.scalableMultiplier.scaleUp(clones);
  await pipeline.deploy();
  try {
    await pipeline.pull(); // past the start-up
    return await profile(pipeline, { pulls: 10 });
  } finally {
    await pipeline.undeploy();
  }
}

describe("the bottleneck report on the seed's scale-up example", () => {
  it("without clones names the multiplier, and suggests 3 clones for it", async () => {
    const report = await profiled(0);
    expect(report.pulls).toBe(10);
    expect(report.bottleneck).toBe("my_pipeline.multiplier");
    const byCell = new Map(report.cells.map((c) => [c.cell, c]));
    // Own work per item, in units (generous bounds: timers on a busy machine run late).
    const units = (cell: string) => byCell.get(cell)!.busyMs / byCell.get(cell)!.items / UNIT_MS;
    expect(units("my_pipeline.source")).toBeGreaterThan(0.9);
    expect(units("my_pipeline.source")).toBeLessThan(1.6);
    expect(units("my_pipeline.multiplier")).toBeGreaterThan(3.9);
    expect(units("my_pipeline.multiplier")).toBeLessThan(5);
    expect(units("my_pipeline.printer")).toBeGreaterThan(1.9);
    expect(units("my_pipeline.printer")).toBeLessThan(2.8);
    expect(report.suggestions).toEqual([expect.objectContaining({ cell: "my_pipeline.multiplier", clones: 0, suggested: 3 })]);
    expect(formatReport(report)).toMatch(/Bottleneck: my_pipeline\.multiplier/);
  });

  it("with 1 and 2 clones still names the scalable multiplier, and suggests 3", async () => {
    for (const clones of [1, 2]) {
      const report = await profiled(clones);
      expect(report.bottleneck).toBe("my_pipeline.scalable_multiplier");
      const scalable = report.cells.find((c) => c.cell === "my_pipeline.scalable_multiplier")!;
      expect(scalable.clones).toHaveLength(clones);
      expect(report.suggestions).toContainEqual(expect.objectContaining({ cell: "my_pipeline.scalable_multiplier", clones, suggested: 3 }));
    }
  });

  it("with 4 clones names the printer; the multiplier needs only 3", async () => {
    const report = await profiled(4);
    expect(report.bottleneck).toBe("my_pipeline.printer");
    const printer = report.cells.find((c) => c.cell === "my_pipeline.printer")!;
    expect(printer.utilisation).toBeGreaterThan(0.8); // it never waits for its input
    const scalable = report.cells.find((c) => c.cell === "my_pipeline.scalable_multiplier")!;
    expect(scalable.clones.map((c) => c.method)).toEqual(["async", "async", "async", "async"]);
    expect(scalable.queue!.meanFilled).toBeGreaterThan(0.5); // results wait for the printer
    expect(report.suggestions).toContainEqual(expect.objectContaining({ cell: "my_pipeline.scalable_multiplier", clones: 4, suggested: 3 }));
    const text = formatReport(report);
    expect(text).toMatch(/Bottleneck: my_pipeline\.printer/);
    expect(text).toMatch(/Suggested clones for my_pipeline\.scalable_multiplier: 3 \(now 4/);
    expect(text).toMatch(/#async-1/);
  });
});

describe("analyze and profile", () => {
  it("report nothing for no events, and count failures apart", () => {
    const none: RecordedEvents = { cellRuns: [], cloneItems: [], queueFills: [], from: 0, to: 100, dropped: 0 };
    expect(analyze(none)).toMatchObject({ bottleneck: null, cells: [], suggestions: [] });
    expect(formatReport(analyze(none))).toMatch(/Bottleneck: none/);
    const report = analyze({
      ...none,
      cellRuns: [
        { cell: "p.a", lane: "main", start: 0, end: 10, waited: 0, failed: false, runs: 1, timed: true },
        { cell: "p.a", lane: "main", start: 10, end: 20, waited: 0, failed: true, runs: 1, timed: true },
        { cell: "p.b", lane: "main", start: 0, end: 20, waited: 15, failed: false, runs: 1, timed: true },
        { cell: "q.c", lane: "main", start: 0, end: 50, waited: 0, failed: false, runs: 1, timed: true },
      ],
      dropped: 3,
    }, { under: "p" });
    expect(report.cells.map((c) => c.cell)).toEqual(["p.a", "p.b"]);
    expect(report.cells[0]).toMatchObject({ items: 1, errors: 1, busyMs: 20, trueRate: 100, utilisation: 0.2 });
    expect(report.cells[1]).toMatchObject({ items: 1, busyMs: 5, trueRate: 200 });
    expect(report.bottleneck).toBe("p.a");
    expect(formatReport(report)).toMatch(/3 older events were dropped/);
  });

  it("weigh events by the runs they stand for, and take busy time per run from the timed ones only", () => {
    const report = analyze({
      cellRuns: [
        // 4 runs, one timed (1 ms busy of 1.5), then 1 untimed failure, then 4 untimed runs counted at the stop.
        { cell: "p.a", lane: "main", start: 0, end: 1.5, waited: 0.5, failed: false, runs: 4, timed: true },
        { cell: "p.a", lane: "main", start: 3, end: 3, waited: 0, failed: true, runs: 1, timed: false },
        { cell: "p.a", lane: "main", start: 9, end: 9, waited: 0, failed: false, runs: 4, timed: false },
      ],
      cloneItems: [],
      queueFills: [],
      from: 0,
      to: 10,
      dropped: 0,
    });
    const a = report.cells[0]!;
    // 9 runs, 1 failed; 1 ms busy per run, for all 9; a cycle of 1.5 ms per run.
    expect(a).toMatchObject({ items: 8, errors: 1, timedRuns: 1, busyMs: 9, trueRate: 1000, cycleMs: 1.5 });
    expect(formatReport(report)).toMatch(/timed now and then.*p\.a 1 in 9/);
  });

  it.each([
    ["its only sink", 1],
    ["one of two sinks", 2],
  ])("profile() counts pulls that failed in a cell (%s) and goes on; other failures end it", async (_, sinks) => {
    const p = new Pipeline(null, "f");
    const source = new CounterSource(p, "source");
    const third = new ThrowsOnThirds(p, "third");
    new Connection(source.output, third.input);
    // A pipeline of several sinks pulls them under its own lock; of one, the sink's lock is all.
    if (sinks === 2) new Connection(source.output, new Collector(p, "collector").input);
    await p.deploy();
    try {
      const result = await profile(p, { pulls: 30 });
      expect(result).toMatchObject({ pulls: 20, failedPulls: 10 });
      expect(result.cells.find((c) => c.cell === "f.third")).toMatchObject({ items: 20, errors: 10 });
    } finally {
      await p.undeploy();
    }
    await expect(profile(p, { pulls: 3 })).rejects.toThrow(/not deployed/i);
  });

  it("profile() needs one of pulls or ms, positive", async () => {
    const pipeline = new PlainPipeline(null, "p");
    await expect(profile(pipeline, {})).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(profile(pipeline, { pulls: 2, ms: 5 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(profile(pipeline, { pulls: 0 })).rejects.toThrow(/positive integer/);
    await expect(profile(pipeline, { ms: -1 })).rejects.toThrow(/positive/);
  });

  it("profile({ ms }) pulls for about that long", async () => {
    const pipeline = new PlainPipeline(null, "p");
    pipeline.setUnit(1);
    await pipeline.deploy();
    try {
      const report = await profile(pipeline, { ms: 60 });
      expect(report.pulls).toBeGreaterThan(0);
      expect(report.ms).toBeGreaterThanOrEqual(60);
      expect(report.events.cellRuns.length).toBe(3 * report.pulls);
    } finally {
      await pipeline.undeploy();
    }
  });
});
