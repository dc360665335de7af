/**
 * SPEC 2.4 + 3 — a recurrent connection over a scalable cell: its next input depends on
 * its last output, so it works serialized (fill on demand, no eager filling) and gives
 * exactly the sequence the same pipeline gives without scaling.
 */
import { describe, expect, it } from "vitest";
import {
  Connection,
  Input,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  ScalableCell,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { withinDeadline } from "../helpers.js";
import { Collector, CounterSource, sleep, yields } from "./cells.js";

/** out = a + b, with uneven delays. */
class AddCell extends SingleCell {
  readonly a = new Input<number>(this, "a");
  readonly b = new Input<number>(this, "b");
  readonly output = new Output<number>(this, "output");
  protected async onPull(): Promise<void> {
    const a = await this.a.pull();
    const b = await this.b.pull();
    await (a % 3 === 0 ? sleep(1) : yields(a % 4));
    this.output.setValue(a + b);
  }
}

/** Holds the last value it got; starts at 0. */
class DelayCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output", { initialValue: 0 });
  protected async onPull(): Promise<void> {
    this.output.setValue(await this.input.pull());
  }
}

class ScalableAdd extends ScalableCell {
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

/** Running sum: source -> add(a); add -> delay -> add(b) (recurrent); add -> sink. */
function runningSum(scaled: boolean) {
  const p = new Pipeline(null, "p");
  const source = new CounterSource(p, "source");
  const add = scaled ? new ScalableAdd(p, "add") : new AddCell(p, "add");
  const delay = new DelayCell(p, "delay");
  const sink = new Collector(p, "sink");
  new Connection(source.output, add.a);
  new Connection(add.output, delay.input);
  new Connection(delay.output, add.b); // closes the cycle: recurrent
  new Connection(add.output, sink.input);
  return { p, source, add, sink };
}

describe("a recurrent connection over a scalable cell", () => {
  it("gives the same sequence as the pipeline without scaling", async () => {
    const plain = runningSum(false);
    await plain.p.deploy();
    for (let i = 0; i < 12; i++) await plain.p.pull();
    await plain.p.undeploy();
    expect(plain.sink.values).toEqual([0, 1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 66]);

    for (const clones of [1, 3]) {
      const scaled = runningSum(true);
      await (scaled.add as ScalableAdd).scaleUp(clones);
      await scaled.p.deploy();
      for (let i = 0; i < 12; i++) await withinDeadline(scaled.p.pull());
      expect(scaled.sink.values, `${clones} clones`).toEqual(plain.sink.values);
      await scaled.p.undeploy();
    }
  });

  it("runs serialized: no eager filling, one source pull per pipeline pull", async () => {
    const { p, source, add } = runningSum(true);
    const scalable = add as ScalableAdd;
    await scalable.scaleUp(4);
    await p.deploy();
    await scalable.whenIdle();
    expect(source.pulls).toBe(0);
    for (let k = 1; k <= 4; k++) {
      await p.pull();
      await scalable.whenIdle();
      expect(source.pulls).toBe(k);
    }
    await p.undeploy();
  });

  it("works with the cycle straight from the scalable cell's output port back to its own input port", async () => {
    class LoopAdd extends ScalableCell {
      readonly add = new AddCell(this, "add");
      readonly a = new InputPort<number>(this, "a");
      readonly b = new InputPort<number>(this, "b");
      readonly output = new OutputPort<number>(this, "output", { initialValue: 0 });
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.a, this.add.a);
        new Connection(this.b, this.add.b);
        new Connection(this.add.output, this.output);
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const add = new LoopAdd(p, "add");
    const sink = new Collector(p, "sink");
    new Connection(source.output, add.a);
    new Connection(add.output, add.b); // self-loop, recurrent through the initialValue
    new Connection(add.output, sink.input);
    await add.scaleUp(3);
    await p.deploy();
    for (let i = 0; i < 8; i++) await withinDeadline(p.pull());
    expect(sink.values).toEqual([0, 1, 3, 6, 10, 15, 21, 28]);
    expect(source.pulls).toBe(8);
    await p.undeploy();
  });
});
