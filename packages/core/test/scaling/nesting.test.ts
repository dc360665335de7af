/**
 * SPEC 3.1 / PyPipeline "Scaling up a pipeline" — any cell can be the inner cell: a whole
 * pipeline (each clone runs its own copy), or another scalable cell. A scalable cell
 * nested in the template is scaled up on the template before deploy; every clone copies
 * that scaling.
 */
import { describe, expect, it } from "vitest";
import {
  Connection,
  InactiveError,
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
import { withinDeadline } from "../helpers.js";
import { Collector, CounterSource, pullEach, scalableOf, sleep, workerClass, yields } from "./cells.js";

/** Every instance of the cells inside the nested pipeline, template and clones. */
const built: AddCell[] = [];

class AddCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  readonly amount = new RuntimeParameter<number>(this, "amount", { defaultValue: 1 });
  deploys = 0;
  runs = 0;
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    built.push(this);
  }
  protected override onDeploy(): void {
    this.deploys++;
  }
  protected async onPull(): Promise<void> {
    this.runs++;
    const x = await this.input.pull();
    await (x % 3 === 0 ? sleep(1) : yields(x % 4));
    this.output.setValue(x + this.amount.getValue());
  }
}

class DoubleCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    await yields(x % 2);
    this.output.setValue(2 * x);
  }
}

/** in -> add -> double -> out */
class InnerPipeline extends Pipeline {
  readonly in = new InputPort<number>(this, "in");
  readonly out = new OutputPort<number>(this, "out");
  readonly add = new AddCell(this, "add");
  readonly double = new DoubleCell(this, "double");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.in, this.add.input);
    new Connection(this.add.output, this.double.input);
    new Connection(this.double.output, this.out);
  }
}

class ScalablePipeline extends ScalableCell {
  readonly inner = new InnerPipeline(this, "inner");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.inner.in);
    new Connection(this.inner.out, this.output);
  }
}

describe("a pipeline nested inside a scalable cell", () => {
  it("runs a copy of the whole pipeline per clone; outputs in order; the template never runs", async () => {
    built.length = 0;
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const scalable = new ScalablePipeline(p, "scalable");
    const sink = new Collector(p, "sink");
    new Connection(source.output, scalable.input);
    new Connection(scalable.output, sink.input);
    scalable.inner.add.amount.setValue(5); // set on the template, deep inside
    await scalable.scaleUp(3);
    await p.deploy();
    for (let i = 0; i < 15; i++) await withinDeadline(p.pull());
    expect(sink.values).toEqual(Array.from({ length: 15 }, (_, i) => 2 * (i + 5)));
    const template = scalable.inner.add;
    expect(template.deploys).toBe(0);
    expect(template.runs).toBe(0);
    expect(scalable.inner.isDeployed).toBe(false);
    const clones = built.filter((c) => c !== template);
    expect(clones).toHaveLength(3);
    expect(clones.every((c) => c.deploys === 1)).toBe(true);
    expect(clones.reduce((n, c) => n + c.runs, 0)).toBeGreaterThanOrEqual(15);
    // A runtime parameter changed deep inside the template reaches the clones' copies.
    template.amount.setValue(50);
    for (let i = 0; i < 20; i++) await p.pull();
    expect(sink.values.at(-1)).toBe(2 * (34 + 50));
    await p.undeploy();
  });
});

describe("a scalable cell nested inside a scalable cell", () => {
  const { Worker, stats } = workerClass(async (x) => {
    await (x % 3 === 0 ? sleep(1) : yields(x % 4));
    return x * 3;
  });
  const InnerScalable = scalableOf(Worker);
  class OuterScalable extends ScalableCell {
    readonly nested = new InnerScalable(this, "nested");
    readonly input = new InputPort<number>(this, "input");
    readonly output = new OutputPort<number>(this, "output");
    constructor(parent: CompositeCell | null, name: string) {
      super(parent, name);
      new Connection(this.input, this.nested.input);
      new Connection(this.nested.output, this.output);
    }
  }
  function build() {
    stats.instances.length = 0;
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const outer = new OuterScalable(p, "outer");
    const sink = new Collector(p, "sink");
    new Connection(source.output, outer.input);
    new Connection(outer.output, sink.input);
    return { p, outer, sink };
  }

  it("clones copy the template's nested scaling; outputs stay in order", async () => {
    const { p, outer, sink } = build();
    await outer.nested.scaleUp(2); // on the template, before deploy
    await outer.scaleUp(2);
    await p.deploy();
    for (let i = 0; i < 20; i++) await withinDeadline(p.pull());
    expect(sink.values).toEqual(Array.from({ length: 20 }, (_, i) => 3 * i));
    // 2 outer clones x 2 nested clones run; every other Worker instance is a template.
    const deployed = stats.instances.filter((w) => w.deploys > 0);
    expect(deployed).toHaveLength(4);
    expect(stats.instances.filter((w) => w.deploys === 0).every((w) => w.seen.length === 0)).toBe(true);
    expect(deployed.reduce((n, w) => n + w.seen.length, 0)).toBeGreaterThanOrEqual(20);
    expect(outer.nested.isDeployed).toBe(false);
    await p.undeploy();
    expect(deployed.every((w) => w.undeploys === 1)).toBe(true);
  });

  it("a nested scalable cell left unscaled on the template reports InactiveError naming it", async () => {
    const { p, outer } = build();
    await outer.scaleUp(1);
    await p.deploy();
    const [outcome] = await pullEach(p, 1);
    expect(outcome).toBeInstanceOf(InactiveError);
    expect((outcome as InactiveError).cellPath).toBe("p.outer.nested");
    await p.undeploy();
  });
});
