/**
 * SPEC 4.3 — the trace Perfetto opens. Traces of real runs (async, thread and process
 * clones; the scale-up cells; a clone that crashed and was replaced) pass the structure
 * checker, name a lane per clone and link items to the runs that took them; random
 * overlapping runs never leave a lane with a partial overlap.
 */
import { afterAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { Recorder, toChromeTrace, type CellRunEvent, type ChromeTrace, type CloneItemEvent, type RecordedEvents } from "@cellflow/core";
import { OuterScalable, ScalableMath, ScalableTrouble, markerPath, removeMarkers, type TroubleItem } from "../fixtures/thread-cells.js";
import { eventually, harness } from "../threads/harness.js";
import { checkTrace, laneNames } from "./trace-checker.js";
import { recordPulls } from "./recording.js";

afterAll(removeMarkers);

const boxesOf = (trace: ChromeTrace, name: string) => trace.traceEvents.filter((e) => e.ph === "X" && e.name === name);
const laneOfTid = (trace: ChromeTrace) => new Map(trace.traceEvents.filter((e) => e.name === "thread_name").map((e) => [e.tid, (e.args as { name: string }).name]));

/** Records `pulls` pulls of `source -> p.sc (ScalableMath, 2 clones of method) -> sink`. */
async function recordMath(method: "async" | "thread" | "process", pulls = 12): Promise<RecordedEvents> {
  const { pipeline, scalable } = harness(ScalableMath, (i) => i);
  scalable.scaleUp(2, method);
  return recordPulls(pipeline, pulls);
}

describe.each(["async", "thread", "process"] as const)("the trace of a run with %s clones", (method) => {
  it("passes the checker, names a lane per clone, and links each item to the sink run that took it", async () => {
    const events = await recordMath(method);
    const trace = toChromeTrace(events);
    expect(checkTrace(trace)).toEqual([]);
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace); // plain JSON

    const lanes = laneNames(trace);
    expect(lanes[0]).toBe("main");
    expect(lanes).toContain(`p.sc#${method}-1`);
    expect(lanes).toContain(`p.sc#${method}-2`);
    const processName = trace.traceEvents.find((e) => e.name === "process_name");
    expect(processName?.args).toEqual({ name: "cellflow" });

    // A box per cell run and per clone item; items and the inner cell's runs on clone lanes.
    const xs = trace.traceEvents.filter((e) => e.ph === "X");
    expect(xs).toHaveLength(events.cellRuns.length + events.cloneItems.length);
    const names = laneOfTid(trace);
    const items = boxesOf(trace, "p.sc item");
    expect(items.length).toBeGreaterThanOrEqual(12);
    for (const e of [...items, ...boxesOf(trace, "p.sc.math")]) expect(names.get(e.tid)).toMatch(new RegExp(`^p\\.sc#${method}-[12]`));
    expect(boxesOf(trace, "p.sc.math")).toHaveLength(events.cellRuns.filter((r) => r.cell === "p.sc.math").length);

    // Queue fill as counters.
    const counters = trace.traceEvents.filter((e) => e.ph === "C");
    expect(counters).toHaveLength(events.queueFills.length);
    expect(counters[0]).toMatchObject({ name: "queue p.sc", args: { outstanding: expect.any(Number), filled: expect.any(Number), capacity: expect.any(Number) } });

    // Flows: one per item the sink took (12 pulls), from a clone lane to the sink's run.
    const starts = trace.traceEvents.filter((e) => e.ph === "s" && e.name === "item");
    const ends = trace.traceEvents.filter((e) => e.ph === "f" && e.name === "item");
    expect(ends).toHaveLength(12);
    expect(starts.map((e) => e.args?.ticket)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const sinkBoxes = boxesOf(trace, "p.sink_output");
    for (const [i, end] of ends.entries()) {
      expect(names.get(starts[i]!.tid)).toMatch(/#/);
      expect(sinkBoxes.some((b) => b.tid === end.tid && b.ts <= end.ts && end.ts <= b.ts + b.dur!)).toBe(true);
    }

    // Upstream: arrows from the source runs that made items' inputs into those items.
    const inputs = trace.traceEvents.filter((e) => e.ph === "f" && e.name === "input");
    expect(inputs.length).toBeGreaterThan(0);
    const sourceBoxes = boxesOf(trace, "p.source");
    const inside = (e: { ts: number; tid: number }, boxes: typeof items) => boxes.some((b) => b.tid === e.tid && b.ts <= e.ts && e.ts <= b.ts + b.dur!);
    for (const end of inputs) {
      expect(end.args?.from).toBe("p.source");
      expect(inside(end, items)).toBe(true);
      const start = trace.traceEvents.find((e) => e.ph === "s" && e.id === end.id)!;
      expect(inside(start, sourceBoxes)).toBe(true);
    }
  });
});

describe("the trace of nested scalable cells", () => {
  it("names the inner clones' lanes after the outer clone's (outer/inner) and passes the checker", async () => {
    const { pipeline, scalable } = harness(OuterScalable, (i) => i);
    scalable.nested.scaleUp(2, "async");
    await scalable.scaleUp(1, "thread");
    const trace = toChromeTrace(await recordPulls(pipeline, 8));
    expect(checkTrace(trace)).toEqual([]);
    const lanes = laneNames(trace);
    expect(lanes).toEqual(expect.arrayContaining(["main", "p.sc#thread-1", "p.sc#thread-1/p.sc.nested#async-1", "p.sc#thread-1/p.sc.nested#async-2"]));
    const names = laneOfTid(trace);
    for (const e of boxesOf(trace, "p.sc.nested.math")) expect(names.get(e.tid)).toMatch(/^p\.sc#thread-1\/p\.sc\.nested#async-[12]/);
    const outerArrows = trace.traceEvents.filter((e) => e.ph === "f" && e.name === "item" && e.args?.cell === "p.sc");
    expect(outerArrows).toHaveLength(8);
  });
});

describe("the trace of the scale-up cells", () => {
  it("puts the source pulled by a clone while the printer works on an overflow lane of main, nested properly", async () => {
    const { ScaledPipeline } = await import("../../../../examples/scaleup/cells.js");
    const pipeline = new ScaledPipeline(null, "my_pipeline");
    pipeline.setUnit(5);
    pipeline.scalableMultiplier.scaleUp(4);
    const trace = toChromeTrace(await recordPulls(pipeline, 8));
    expect(checkTrace(trace)).toEqual([]);
    const lanes = laneNames(trace);
    expect(lanes.slice(0, 2)).toEqual(["main", "main (2)"]);
    for (let n = 1; n <= 4; n++) expect(lanes).toContain(`my_pipeline.scalable_multiplier#async-${n}`);
    // The printer is the consumer read off the recording: 8 items, 8 arrows into printer runs.
    const names = laneOfTid(trace);
    const ends = trace.traceEvents.filter((e) => e.ph === "f" && e.name === "item");
    expect(ends).toHaveLength(8);
    const printer = boxesOf(trace, "my_pipeline.printer");
    for (const end of ends) {
      expect(names.get(end.tid)).toMatch(/^main/);
      expect(printer.some((b) => b.tid === end.tid && b.ts <= end.ts && end.ts <= b.ts + b.dur!)).toBe(true);
    }
  });
});

describe("the trace of a bounded recording", () => {
  it("a recorder that dropped its oldest events still gives a trace that passes, and says how many it dropped", async () => {
    const { pipeline, scalable } = harness(ScalableMath, (i) => i);
    scalable.scaleUp(2, "thread");
    const recorder = new Recorder({ capacity: 5, everyRun: true }).start();
    await pipeline.deploy();
    try {
      for (let i = 0; i < 12; i++) await pipeline.pull();
    } finally {
      await pipeline.undeploy();
    }
    const events = recorder.stop().events();
    expect(events.dropped).toBeGreaterThan(0);
    const trace = toChromeTrace(events);
    expect(checkTrace(trace)).toEqual([]);
    expect(trace.otherData.dropped).toBe(events.dropped);
    expect(trace.traceEvents.every((e) => e.ts >= 0)).toBe(true);
    // Without the first tickets the order of the queue cannot be matched: no arrows rather than wrong ones.
    expect(trace.traceEvents.filter((e) => e.ph === "f" && e.name === "item")).toEqual([]);
  });
});

describe("a crashed and replaced clone", () => {
  it("real run: the replacement has a lane of its own, the trace still passes, every item is linked", async () => {
    const marker = markerPath("trace-exit");
    const parts = harness(ScalableTrouble, (i): TroubleItem => ({ x: i, trouble: i === 3 ? { kind: "exit", marker } : { kind: "ok" } }));
    let crashes = 0;
    parts.scalable.events.on("cloneCrashed", () => crashes++);
    parts.scalable.scaleUp(2, "thread");
    const events = await recordPulls(parts.pipeline, 8, async () => {
      expect(await eventually(() => crashes === 1)).toBe(true);
    });
    const trace = toChromeTrace(events);
    expect(checkTrace(trace)).toEqual([]);
    expect(laneNames(trace)).toContain("p.sc#thread-3"); // the replacement
    const ends = trace.traceEvents.filter((e) => e.ph === "f" && e.name === "item");
    expect(trace.traceEvents.filter((e) => e.ph === "s" && e.name === "item").map((e) => e.args?.ticket)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(ends).toHaveLength(8);
  });

  it("recorded: the crashed clone's failed item stays on its lane, the flow starts at the re-run on the replacement", () => {
    const lane = (n: number) => `p.sc#process-${n}`;
    const item = (ticket: number, n: number, start: number, end: number, failed = false): CloneItemEvent => ({
      cell: "p.sc",
      lane: lane(n),
      method: "process",
      ticket,
      start,
      end,
      inputMs: 0,
      failed,
    });
    const run = (cell: string, runLane: string, start: number, end: number, waited = 0): CellRunEvent => ({ cell, lane: runLane, start, end, waited, failed: false, runs: 1, timed: true });
    const events: RecordedEvents = {
      cloneItems: [item(0, 1, 1, 5), item(1, 2, 2, 6, true), item(1, 3, 8, 12), item(2, 1, 6, 10)],
      cellRuns: [run("p.sc.inner", lane(1), 1.5, 4.5), run("p.sink", "main", 0, 5.5, 5), run("p.sink", "main", 5.6, 12.5, 6.5), run("p.sink", "main", 12.6, 13)],
      queueFills: [],
      from: 0,
      to: 14,
      dropped: 0,
    };
    const trace = toChromeTrace(events, { consumers: { "p.sc": "p.sink" } });
    expect(checkTrace(trace)).toEqual([]);
    expect(laneNames(trace)).toEqual(["main", lane(1), lane(2), lane(3)]);
    const names = laneOfTid(trace);
    const failed = trace.traceEvents.find((e) => e.ph === "X" && e.args?.failed === true);
    expect(names.get(failed!.tid)).toBe(lane(2));
    expect(failed).toMatchObject({ cname: "terrible", ts: 2000, dur: 4000 });
    const starts = trace.traceEvents.filter((e) => e.ph === "s" && e.name === "item");
    expect(starts.map((e) => [e.args?.ticket, names.get(e.tid)])).toEqual([
      [0, lane(1)],
      [1, lane(3)],
      [2, lane(1)],
    ]);
    // The sink's runs are drawn as their busy part: the first one from 5 ms to 5.5 ms.
    expect(boxesOf(trace, "p.sink")[0]).toMatchObject({ ts: 5000, dur: 500 });
    // Ticket 1's flow ends inside the second sink run's busy part (12 to 12.5 ms)…
    const ends = trace.traceEvents.filter((e) => e.ph === "f" && e.name === "item");
    expect(ends[1]!.ts).toBeGreaterThanOrEqual(12000);
    // …and ticket 2 (done at 10 ms, before the third run) ends at that run's start.
    expect(ends[2]!.ts).toBe(12600);
  });
});

describe("lanes under random overlapping runs (property)", () => {
  const lanes = ["main", "p.sc#async-1", "p.sc#thread-1", "p.sc#process-2", "p.sc#thread-1/p.sc.inner#async-1"];
  const span = fc.record({
    lane: fc.constantFrom(...lanes),
    start: fc.integer({ min: 0, max: 2_000 }).map((n) => n / 7),
    length: fc.integer({ min: 0, max: 600 }).map((n) => n / 3),
    waitShare: fc.double({ min: 0, max: 1, noNaN: true }),
    item: fc.boolean(),
  });

  it("every lane's boxes nest, every lane is named, and nothing is lost", () => {
    fc.assert(
      fc.property(fc.array(span, { maxLength: 80 }), (spans) => {
        const cellRuns: CellRunEvent[] = [];
        const cloneItems: CloneItemEvent[] = [];
        spans.forEach((s, i) => {
          const end = s.start + s.length;
          if (s.item && s.lane !== "main") cloneItems.push({ cell: "p.sc", lane: s.lane, method: "async", ticket: i, start: s.start, end, inputMs: 0, failed: false });
          else cellRuns.push({ cell: `p.c${i % 3}`, lane: s.lane, start: s.start, end, waited: s.length * s.waitShare, failed: i % 5 === 0, runs: 1 + (i % 4), timed: true });
        });
        const trace = toChromeTrace({ cellRuns, cloneItems, queueFills: [], from: 0, to: 3_000, dropped: 0 });
        expect(checkTrace(trace)).toEqual([]);
        expect(trace.traceEvents.filter((e) => e.ph === "X")).toHaveLength(spans.length);
        // Each box is on its own lane or one of that lane's overflow lanes.
        const names = laneOfTid(trace);
        for (const e of trace.traceEvents.filter((x) => x.ph === "X")) {
          const own = (e.args?.lane as string | undefined) ?? cloneItems.find((c) => c.ticket === e.args?.ticket)!.lane;
          expect(names.get(e.tid)).toMatch(new RegExp(`^${own.replace(/[.#/]/g, "\\$&")}( \\(\\d+\\))?$`));
        }
      }),
      { numRuns: 300 },
    );
  });

  it("the checker catches a partial overlap and an unnamed lane (it is not vacuous)", () => {
    const bad = {
      displayTimeUnit: "ms",
      traceEvents: [
        { name: "process_name", ph: "M", ts: 0, pid: 1, tid: 0, args: { name: "x" } },
        { name: "thread_name", ph: "M", ts: 0, pid: 1, tid: 1, args: { name: "main" } },
        { name: "a", ph: "X", ts: 0, dur: 10, pid: 1, tid: 1 },
        { name: "b", ph: "X", ts: 5, dur: 10, pid: 1, tid: 1 },
        { name: "c", ph: "X", ts: 0, dur: 1, pid: 1, tid: 2 },
        { name: "item", ph: "f", ts: 3, pid: 1, tid: 1, id: 9 },
        { name: "q", ph: "C", ts: 3, pid: 1, tid: 0, args: { n: "1" } },
      ],
    };
    const problems = checkTrace(bad);
    expect(problems.some((p) => p.includes("partly overlaps"))).toBe(true);
    expect(problems.some((p) => p.includes("no thread_name"))).toBe(true);
    expect(problems.some((p) => p.includes("flow end 9 has no start"))).toBe(true);
    expect(problems.some((p) => p.includes("not numeric"))).toBe(true);
  });
});
