/**
 * The engine's events (SPEC 4.1): cell runs, clone item runs and queue fill on
 * node:diagnostics_channel, from the main thread and from async, thread and process
 * clones, on one clock.
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { afterEach, describe, expect, it } from "vitest";
import {
  CHANNELS,
  Connection,
  Input,
  Output,
  Pipeline,
  Recorder,
  SingleCell,
  type CellRunEvent,
  type CloneItemEvent,
  type QueueFillEvent,
} from "@cellflow/core";
import { OuterScalable, ScalableMath } from "../fixtures/thread-cells.js";
import { harness } from "../threads/harness.js";
import { Collector, CounterSource, sleep } from "../helpers.js";

const recorders: Recorder[] = [];
afterEach(() => {
  for (const r of recorders.splice(0)) r.stop();
});
/** A recorder timing every run (the test cells are quick: by default only some would be). */
function recording(capacity?: number): Recorder {
  const recorder = new Recorder({ everyRun: true, ...(capacity === undefined ? {} : { capacity }) }).start();
  recorders.push(recorder);
  return recorder;
}

class Slow extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    await sleep(5);
    if (x === 2) throw new Error("two");
    this.output.setValue(x);
  }
}

class SlowSource extends CounterSource {
  protected override async onPull(): Promise<void> {
    await sleep(5);
    super.onPull();
  }
}

describe("cell runs", () => {
  it("one event per pull of each single cell, on the main lane, with its input waits apart from its own time", async () => {
    const p = new Pipeline(null, "p");
    const source = new SlowSource(p, "source");
    const slow = new Slow(p, "slow");
    const sink = new Collector(p, "sink");
    new Connection(source.output, slow.input);
    new Connection(slow.output, sink.input);
    await p.deploy();
    const recorder = recording();
    for (let i = 0; i < 4; i++) await p.pull().catch(() => undefined);
    recorder.stop();
    await p.undeploy();
    const runs = recorder.events().cellRuns;
    const of = (cell: string) => runs.filter((r) => r.cell === cell);
    expect(of("p.source")).toHaveLength(4);
    expect(of("p.slow")).toHaveLength(4);
    expect(of("p.sink")).toHaveLength(4);
    expect(new Set(runs.map((r) => r.lane))).toEqual(new Set(["main"]));
    // The slow cell waited ~5 ms for the source and worked ~5 ms itself; the sink waited for both.
    for (const r of of("p.slow")) {
      expect(r.waited).toBeGreaterThanOrEqual(4);
      expect(r.end - r.start - r.waited).toBeGreaterThanOrEqual(4);
      expect(r.waited).toBeLessThan(r.end - r.start);
    }
    for (const r of of("p.sink")) expect(r.end - r.start - r.waited).toBeLessThan(r.waited);
    // The third item failed in the slow cell, and so did the sink's pull of it.
    expect(of("p.slow").map((r) => r.failed)).toEqual([false, false, true, false]);
    expect(of("p.sink").map((r) => r.failed)).toEqual([false, false, true, false]);
    // Each run nests in its consumer's: pull-based execution.
    for (let i = 0; i < 4; i++) {
      expect(of("p.slow")[i]!.start).toBeGreaterThanOrEqual(of("p.sink")[i]!.start);
      expect(of("p.slow")[i]!.end).toBeLessThanOrEqual(of("p.sink")[i]!.end);
    }
  });

  it("nothing is published when nobody listens, and a recorder's ring keeps only the newest events", async () => {
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const sink = new Collector(p, "sink");
    new Connection(source.output, sink.input);
    await p.deploy();
    const seen: unknown[] = [];
    const listener = (m: unknown) => seen.push(m);
    for (let i = 0; i < 3; i++) await p.pull();
    subscribe(CHANNELS.cellRun, listener);
    const recorder = recording(5);
    for (let i = 0; i < 10; i++) await p.pull();
    unsubscribe(CHANNELS.cellRun, listener);
    recorder.stop();
    for (let i = 0; i < 3; i++) await p.pull();
    await p.undeploy();
    expect(seen).toHaveLength(20); // 10 pulls of 2 cells, none before or after
    const events = recorder.events();
    expect(events.cellRuns).toHaveLength(5);
    expect(events.dropped).toBe(15);
    expect(events.cellRuns.at(-1)).toEqual(seen.at(-1));
    expect(events.from).toBeLessThanOrEqual(events.cellRuns[0]!.start);
  });
});

describe("clone items", () => {
  for (const method of ["async", "thread", "process"] as const) {
    it(`${method} clones: one event per item with its clone's lane; the inner cell's runs on that lane, on the parent's clock`, async () => {
      const { pipeline, scalable } = harness(ScalableMath, (i) => i);
      await scalable.scaleUp(2, method);
      const recorder = recording(); // before deploy: clones fill the queue at once
      await pipeline.deploy();
      try {
        for (let i = 0; i < 12; i++) await pipeline.pull();
        await ScalableMath.whenAllIdle(pipeline);
      } finally {
        recorder.stop();
        await pipeline.undeploy();
      }
      const { cellRuns, cloneItems, queueFills } = recorder.events();
      const lanes = new Set(cloneItems.map((i) => i.lane));
      expect(lanes).toEqual(new Set([`p.sc#${method}-1`, `p.sc#${method}-2`]));
      expect(cloneItems.every((i) => i.cell === "p.sc" && i.method === method && !i.failed)).toBe(true);
      // Every ticket once (eager filling may have run a few more than were pulled).
      const tickets = cloneItems.map((i) => i.ticket).sort((a, b) => a - b);
      expect(tickets.slice(0, 12)).toEqual(Array.from({ length: 12 }, (_, i) => i));
      expect(new Set(tickets).size).toBe(tickets.length);
      // The inner cell ran once per item, on its clone's lane, inside the item as the parent timed it.
      const inner = cellRuns.filter((r) => r.cell === "p.sc.math");
      expect(inner).toHaveLength(cloneItems.length);
      for (const lane of lanes) {
        const items = cloneItems.filter((i) => i.lane === lane).sort((a, b) => a.start - b.start);
        const runs = inner.filter((r) => r.lane === lane).sort((a, b) => a.start - b.start);
        expect(runs).toHaveLength(items.length);
        // A thread's or process's clock moved onto the parent's: within a millisecond of the item.
        runs.forEach((run, k) => {
          expect(run.start).toBeGreaterThanOrEqual(items[k]!.start - 1);
          expect(run.end).toBeLessThanOrEqual(items[k]!.end + 1);
        });
      }
      expect(cellRuns.filter((r) => r.cell === "p.sc.math").every((r) => r.lane !== "main")).toBe(true);
      // The queue: never more out than its room.
      expect(queueFills.length).toBeGreaterThan(0);
      for (const q of queueFills) {
        expect(q.cell).toBe("p.sc");
        expect(q.outstanding).toBeLessThanOrEqual(q.capacity);
        expect(q.filled).toBeLessThanOrEqual(q.outstanding);
      }
    });
  }

  it("a scalable cell nested in a thread clone: its clones' lanes follow the outer clone's", async () => {
    const { pipeline, scalable } = harness(OuterScalable, (i) => i);
    scalable.nested.scaleUp(2, "async");
    await scalable.scaleUp(1, "thread");
    await pipeline.deploy();
    const items: CloneItemEvent[] = [];
    const runs: CellRunEvent[] = [];
    const fills: QueueFillEvent[] = [];
    const onItem = (m: unknown) => items.push(m as CloneItemEvent);
    const onRun = (m: unknown) => runs.push(m as CellRunEvent);
    const onFill = (m: unknown) => fills.push(m as QueueFillEvent);
    subscribe(CHANNELS.cloneItem, onItem);
    subscribe(CHANNELS.cellRun, onRun);
    subscribe(CHANNELS.queueFill, onFill);
    try {
      for (let i = 0; i < 8; i++) await pipeline.pull();
    } finally {
      unsubscribe(CHANNELS.cloneItem, onItem);
      unsubscribe(CHANNELS.cellRun, onRun);
      unsubscribe(CHANNELS.queueFill, onFill);
      await pipeline.undeploy();
    }
    const outer = "p.sc#thread-1";
    expect(new Set(items.filter((i) => i.cell === "p.sc").map((i) => i.lane))).toEqual(new Set([outer]));
    const nestedLanes = new Set(items.filter((i) => i.cell === "p.sc.nested").map((i) => i.lane));
    expect(nestedLanes).toEqual(new Set([`${outer}/p.sc.nested#async-1`, `${outer}/p.sc.nested#async-2`]));
    expect(new Set(runs.filter((r) => r.cell === "p.sc.nested.math").map((r) => r.lane))).toEqual(nestedLanes);
    expect(fills.some((q) => q.cell === "p.sc.nested")).toBe(true);
  });

  it("thread clones stop recording when the parent stops listening, and start again when it listens", async () => {
    const { pipeline, scalable } = harness(ScalableMath, (i) => i);
    await scalable.scaleUp(1, "thread");
    await pipeline.deploy();
    try {
      let recorder = recording();
      for (let i = 0; i < 4; i++) await pipeline.pull();
      await ScalableMath.whenAllIdle(pipeline);
      recorder.stop();
      const first = recorder.events().cellRuns.filter((r) => r.lane !== "main").length;
      expect(first).toBeGreaterThanOrEqual(4);
      // Unobserved: the clone is told with its next request and records nothing meanwhile.
      for (let i = 0; i < 6; i++) await pipeline.pull();
      await ScalableMath.whenAllIdle(pipeline);
      recorder = recording();
      for (let i = 0; i < 4; i++) await pipeline.pull();
      await ScalableMath.whenAllIdle(pipeline);
      recorder.stop();
      const again = recorder.events();
      const inClone = again.cellRuns.filter((r) => r.lane !== "main");
      // Only runs from while it listened: at most the items sent since (a batch in flight may straddle).
      expect(inClone.length).toBeGreaterThanOrEqual(1);
      expect(inClone.length).toBeLessThanOrEqual(again.cloneItems.length + 1);
      for (const r of inClone) expect(r.start).toBeGreaterThanOrEqual(again.from - 50);
    } finally {
      await pipeline.undeploy();
    }
  });
});
