/**
 * SPEC 2.8 — advanced control flow in plain pipelines: a batching cell pulls its input N
 * times per pull and sets its output once; a patching cell pulls once and sets its output
 * N times over N pulls.
 */
import { describe, expect, it } from "vitest";
import { Connection, Input, Output, Pipeline, SingleCell } from "@cellflow/core";
import { Collector, CounterSource, MapCell } from "./helpers.js";

/** Pulls its input `size` times per pull, one after the other (or all at once), and emits the batch. */
class Batcher extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number[]>(this, "output");
  size = 3;
  atOnce = false;
  protected async onPull() {
    const batch: number[] = [];
    if (this.atOnce) batch.push(...(await Promise.all(Array.from({ length: this.size }, () => this.input.pull()))));
    else for (let i = 0; i < this.size; i++) batch.push(await this.input.pull());
    this.output.setValue(batch);
  }
}

/** Pulls one array every `array.length` pulls and emits its elements one per pull. */
class Patcher extends SingleCell {
  readonly input = new Input<number[]>(this, "input");
  readonly output = new Output<number>(this, "output");
  inputPulls = 0;
  private pending: number[] = [];
  protected async onPull() {
    if (this.pending.length === 0) {
      this.inputPulls++;
      this.pending = [...(await this.input.pull())];
    }
    this.output.setValue(this.pending.shift()!);
  }
  protected override onReset() {
    this.pending = [];
  }
}

/** Emits [0,1,2], [3,4,5], ... (async, so pulls really overlap). */
class ArraySource extends SingleCell {
  readonly output = new Output<number[]>(this, "output");
  size = 3;
  private n = 0;
  protected async onPull() {
    await Promise.resolve();
    this.output.setValue(Array.from({ length: this.size }, () => this.n++));
  }
}

describe("batching cells", () => {
  it("pull their input N times and set once", async () => {
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const batcher = new Batcher(p, "batcher");
    const sink = new Collector<number[]>(p, "sink");
    new Connection(source.output, batcher.input);
    new Connection(batcher.output, sink.input);
    await p.deploy();
    await p.pull();
    await p.pull();
    expect(sink.values).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(source.pulls).toBe(6);
    await p.undeploy();
  });

  it("may pull their input N times at once and get the values in call order", async () => {
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const slow = new MapCell(p, "slow"); // an async upstream, so the pulls really overlap
    const batcher = new Batcher(p, "batcher");
    const sink = new Collector<number[]>(p, "sink");
    slow.delayMs = 1;
    batcher.size = 4;
    batcher.atOnce = true;
    new Connection(source.output, slow.input);
    new Connection(slow.output, batcher.input);
    new Connection(batcher.output, sink.input);
    await p.deploy();
    await p.pull();
    await p.pull();
    expect(sink.values).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    await p.undeploy();
  });

  it("share a source with another batching consumer: each sees every value once, in order", async () => {
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const a = new Batcher(p, "a");
    const b = new Batcher(p, "b");
    const sinkA = new Collector<number[]>(p, "sink_a");
    const sinkB = new Collector<number[]>(p, "sink_b");
    b.atOnce = true;
    new Connection(source.output, a.input);
    new Connection(source.output, b.input);
    new Connection(a.output, sinkA.input);
    new Connection(b.output, sinkB.input);
    await p.deploy();
    await p.pull();
    await p.pull();
    const expected = [
      [0, 1, 2],
      [3, 4, 5],
    ];
    expect(sinkA.values).toEqual(expected);
    expect(sinkB.values).toEqual(expected);
    expect(source.pulls).toBe(6);
    await p.undeploy();
  });

  it("work with a sum over the batch downstream (a moving window of work)", async () => {
    class SumBatch extends SingleCell {
      readonly input = new Input<number[]>(this, "input");
      readonly output = new Output<number>(this, "output");
      protected async onPull() {
        this.output.setValue((await this.input.pull()).reduce((a, b) => a + b, 0));
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const batcher = new Batcher(p, "batcher");
    const sum = new SumBatch(p, "sum");
    const sink = new Collector(p, "sink");
    new Connection(source.output, batcher.input);
    new Connection(batcher.output, sum.input);
    new Connection(sum.output, sink.input);
    await p.deploy();
    for (let i = 0; i < 3; i++) await p.pull();
    expect(sink.values).toEqual([3, 12, 21]);
    await p.undeploy();
  });
});

describe("patching cells", () => {
  it("pull once and set N times over N pulls", async () => {
    const p = new Pipeline(null, "p");
    const source = new ArraySource(p, "source");
    const patcher = new Patcher(p, "patcher");
    const sink = new Collector(p, "sink");
    new Connection(source.output, patcher.input);
    new Connection(patcher.output, sink.input);
    await p.deploy();
    for (let i = 0; i < 7; i++) await p.pull();
    expect(sink.values).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(patcher.inputPulls).toBe(3);
    await p.undeploy();
  });

  it("undo a batching cell: patch -> work -> batch gives the arrays back, transformed", async () => {
    const p = new Pipeline(null, "p");
    const source = new ArraySource(p, "source");
    const patcher = new Patcher(p, "patcher");
    const times10 = new MapCell(p, "times10");
    const batcher = new Batcher(p, "batcher");
    const sink = new Collector<number[]>(p, "sink");
    times10.fn = (x) => 10 * x;
    new Connection(source.output, patcher.input);
    new Connection(patcher.output, times10.input);
    new Connection(times10.output, batcher.input);
    new Connection(batcher.output, sink.input);
    await p.deploy();
    await p.pull();
    await p.pull();
    expect(sink.values).toEqual([
      [0, 10, 20],
      [30, 40, 50],
    ]);
    expect(times10.pulls).toBe(6);
    await p.undeploy();
  });

  it("feed consumers that run at the patch rate, next to one that runs at the array rate", async () => {
    // source feeds a patcher (pulled 3x per pipeline pull by a batcher) and a direct sink.
    const p = new Pipeline(null, "p");
    const source = new ArraySource(p, "source");
    const patcher = new Patcher(p, "patcher");
    const batcher = new Batcher(p, "batcher");
    const patched = new Collector<number[]>(p, "patched");
    const whole = new Collector<number[]>(p, "whole");
    new Connection(source.output, patcher.input);
    new Connection(patcher.output, batcher.input);
    new Connection(batcher.output, patched.input);
    new Connection(source.output, whole.input);
    await p.deploy();
    for (let i = 0; i < 3; i++) await p.pull();
    expect(whole.values).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ]);
    expect(patched.values).toEqual(whole.values);
    await p.undeploy();
  });
});
