/**
 * Clones are rebuilt as `new InnerClass(parent, name)`, so constructor arguments beyond
 * the name would be lost in every clone (`new Mul(this, "mul", 10)` gave clones without
 * a factor: NaN). `scaleUp` refuses such an inner cell with CellConstructorError, for
 * every clone method, naming the fix: a parameter set on the inner cell (clones copy
 * every parameter value), or a subclass whose constructor takes only (parent, name).
 */
import { describe, expect, it } from "vitest";
import {
  CellConstructorError,
  ConfigParameter,
  Connection,
  Input,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  ScalableCell,
  SingleCell,
  type Cell,
  type CompositeCell,
  type ConnectionSource,
  type ConnectionTarget,
} from "@cellflow/core";
import { thrownBy } from "../helpers.js";
import { Collector, CounterSource } from "./cells.js";

interface Multiplier extends Cell {
  readonly input: ConnectionTarget<number>;
  readonly output: ConnectionSource<number>;
}

/** The mistake: the factor is a constructor argument. */
class Mul extends SingleCell implements Multiplier {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  constructor(
    parent: CompositeCell | null,
    name: string,
    readonly factor: number,
  ) {
    super(parent, name);
  }
  protected async onPull(): Promise<void> {
    this.output.setValue((await this.input.pull()) * this.factor);
  }
}

/** No constructor of its own: inherits Mul's three arguments. */
class LoudMul extends Mul {}

/** Fix 1: a subclass with a (parent, name) constructor that passes the factor on. */
class Mul10 extends Mul {
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name, 10);
  }
}

/** Fix 2: the factor is a parameter, set on the inner (template) cell; clones copy it. */
class ConfiguredMul extends SingleCell implements Multiplier {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  readonly factor = new ConfigParameter<number>(this, "factor");
  private f = Number.NaN;
  protected override onDeploy(): void {
    this.f = this.factor.getValue();
  }
  protected async onPull(): Promise<void> {
    this.output.setValue((await this.input.pull()) * this.f);
  }
}

/** `source -> sc(inner) -> sink`, the inner cell made by `makeInner`; not scaled up yet. */
function line<M extends Multiplier>(makeInner: (scalable: CompositeCell) => M) {
  class ScalableMultiplier extends ScalableCell {
    readonly inner = makeInner(this);
    readonly input = new InputPort<number>(this, "input");
    readonly output = new OutputPort<number>(this, "output");
    constructor(parent: CompositeCell | null, name: string) {
      super(parent, name);
      new Connection(this.input, this.inner.input);
      new Connection(this.inner.output, this.output);
    }
  }
  const p = new Pipeline(null, "p");
  const source = new CounterSource(p, "source");
  const scalable = new ScalableMultiplier(p, "sc");
  const sink = new Collector(p, "sink");
  new Connection(source.output, scalable.input);
  new Connection(scalable.output, sink.input);
  return { p, scalable, sink };
}

describe("scaleUp of an inner cell whose constructor takes more than (parent, name)", () => {
  it.each(["async", "thread", "process"] as const)("throws CellConstructorError naming the class and the fix (%s clones)", (method) => {
    const { scalable } = line((s) => new Mul(s, "mul", 10));
    const error = thrownBy(() => scalable.scaleUp(2, method));
    expect(error).toBeInstanceOf(CellConstructorError);
    const e = error as CellConstructorError;
    expect(e.name).toBe("CellConstructorError");
    expect(e).toMatchObject({ cellPath: "p.sc.mul", className: "Mul", declaredBy: "Mul", argumentCount: 3 });
    expect(e.message).toContain('"p.sc.mul"');
    expect(e.message).toContain("new Mul(parent, name)");
    expect(e.message).toContain("would be lost");
    expect(e.message).toContain("ConfigParameter");
    expect(e.message).toContain("p.sc.mul.factor.setValue(10)");
    expect(e.message).toContain("constructor(parent, name) { super(parent, name, ...); }");
    // Nothing was requested: the scalable cell has no clones.
    expect(scalable.cloneCount).toBe(0);
  });

  it("throws for a subclass that inherits the three-argument constructor", () => {
    const { scalable } = line((s) => new LoudMul(s, "mul", 10));
    const error = thrownBy(() => scalable.scaleUp(1));
    expect(error).toBeInstanceOf(CellConstructorError);
    expect((error as Error).message).toContain("it is a LoudMul, whose constructor (inherited from Mul) takes 3 arguments");
    expect((error as Error).message).toContain("new LoudMul(parent, name)");
  });

  it("throws before deploy and while deployed alike", async () => {
    const { p, scalable } = line((s) => new Mul(s, "mul", 10));
    // With no clones the pipeline still deploys: only scaleUp builds clones.
    await p.deploy();
    try {
      expect(thrownBy(() => scalable.scaleUp(1))).toBeInstanceOf(CellConstructorError);
      expect(scalable.cloneCount).toBe(0);
    } finally {
      await p.undeploy();
    }
  });
});

describe("scaleUp of inner cells that clones rebuild faithfully", () => {
  it("accepts a subclass whose constructor takes (parent, name) and passes the argument on; its clones use it", async () => {
    const { p, scalable, sink } = line((s) => new Mul10(s, "mul"));
    await scalable.scaleUp(3);
    await p.deploy();
    try {
      for (let i = 0; i < 8; i++) await p.pull();
      expect(sink.values).toEqual([0, 10, 20, 30, 40, 50, 60, 70]);
    } finally {
      await p.undeploy();
    }
  });

  it("accepts cells with no constructor of their own, and pipelines", () => {
    const { scalable } = line((s) => new ConfiguredMul(s, "mul"));
    expect(() => scalable.scaleUp(2)).not.toThrow();

    class InnerPipeline extends Pipeline implements Multiplier {
      readonly mul = new Mul10(this, "mul");
      readonly input = new InputPort<number>(this, "input");
      readonly output = new OutputPort<number>(this, "output");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.input, this.mul.input);
        new Connection(this.mul.output, this.output);
      }
    }
    const nested = line((s) => new InnerPipeline(s, "inner"));
    expect(() => nested.scalable.scaleUp(1)).not.toThrow();
  });

  it("the fix: a ConfigParameter set on the inner cell reaches every async clone, and the results are right", async () => {
    const { p, scalable, sink } = line((s) => new ConfiguredMul(s, "mul"));
    scalable.inner.factor.setValue(10);
    await scalable.scaleUp(3, "async");
    await p.deploy();
    try {
      for (let i = 0; i < 12; i++) await p.pull();
      expect(sink.values).toEqual(Array.from({ length: 12 }, (_, i) => 10 * i));
      // Clones added while deployed copy the value too.
      await scalable.scaleUp(2, "async");
      for (let i = 12; i < 20; i++) await p.pull();
      expect(sink.values).toEqual(Array.from({ length: 20 }, (_, i) => 10 * i));
    } finally {
      await p.undeploy();
    }
  });
});
