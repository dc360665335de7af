/**
 * SPEC 2.5 — validation: `assertIsValid()` checks structural invariants recursively,
 * `isDeployable()` explains what keeps a pipeline from running, and `deploy()` of a
 * pipeline that is not deployable throws that explanation (never hangs).
 */
import { describe, expect, it } from "vitest";
import {
  CellflowError,
  ConfigParameter,
  Connection,
  Input,
  InputPort,
  InvalidCellError,
  NoValueError,
  NotDeployableError,
  OutputPort,
  Pipeline,
  RuntimeParameter,
  ScalableCell,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { Collector, CounterSource, MapCell, rejectionOf, thrownBy, withinDeadline } from "./helpers.js";

/** A nested pipeline; `wireOut` false leaves its output port without a source inside. */
class Inner extends Pipeline {
  readonly in = new InputPort<number>(this, "in");
  readonly out = new OutputPort<number>(this, "out");
  readonly map = new MapCell(this, "map");
  constructor(parent: CompositeCell | null, name: string, wireOut = true) {
    super(parent, name);
    new Connection(this.in, this.map.input);
    if (wireOut) new Connection(this.map.output, this.out);
  }
}

function chain(): { p: Pipeline; source: CounterSource; map: MapCell; sink: Collector } {
  const p = new Pipeline(null, "p");
  const source = new CounterSource(p, "source");
  const map = new MapCell(p, "map");
  const sink = new Collector(p, "sink");
  new Connection(source.output, map.input);
  new Connection(map.output, sink.input);
  return { p, source, map, sink };
}

describe("assertIsValid()", () => {
  it("accepts a well-formed pipeline, nested ones included", () => {
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const inner = new Inner(p, "inner");
    const sink = new Collector(p, "sink");
    new Connection(source.output, inner.in);
    new Connection(inner.out, sink.input);
    expect(() => p.assertIsValid()).not.toThrow();
    expect(p.isDeployable()).toEqual({ ok: true, reasons: [] });
  });

  it("finds an output port with nothing feeding it, however deep, and lists every problem", () => {
    const p = new Pipeline(null, "p");
    const a = new Inner(p, "a", false);
    const outer = new Inner(p, "b");
    new Inner(outer, "deep", false);
    const error = thrownBy(() => p.assertIsValid());
    expect(error).toBeInstanceOf(InvalidCellError);
    expect(error).toBeInstanceOf(CellflowError);
    const reasons = (error as InvalidCellError).reasons;
    expect(reasons).toHaveLength(2);
    expect(reasons.join("\n")).toContain("p.a.out");
    expect(reasons.join("\n")).toContain("p.b.deep.out");
    expect((error as Error).message).toContain("p.a.out");
    expect(a.isDeployable().ok).toBe(false);
  });

  it("is checked again by isDeployable() and deploy()", async () => {
    const p = new Pipeline(null, "p");
    new Inner(p, "a", false);
    const deployable = p.isDeployable();
    expect(deployable.ok).toBe(false);
    expect(deployable.reasons.join("\n")).toContain("p.a.out");
    const error = await withinDeadline(rejectionOf(p.deploy()));
    expect(error).toBeInstanceOf(NotDeployableError);
    expect((error as NotDeployableError).reasons.join("\n")).toContain("p.a.out");
  });
});

describe("isDeployable()", () => {
  it("explains an unconnected input without a value, by path", () => {
    const p = new Pipeline(null, "p");
    const map = new MapCell(p, "map");
    void map;
    const result = p.isDeployable();
    expect(result.ok).toBe(false);
    expect(result.reasons).toHaveLength(1);
    expect(result.reasons[0]).toContain("p.map.input");
    expect(result.reasons[0]).toMatch(/neither an incoming connection nor a value/);
  });

  it("accepts an unconnected input with a default value, and uses that value", async () => {
    class WithDefault extends SingleCell {
      readonly input = new Input<number>(this, "input", { defaultValue: 7 });
      readonly seen: number[] = [];
      protected async onPull() {
        this.seen.push(await this.input.pull());
      }
    }
    const p = new Pipeline(null, "p");
    const cell = new WithDefault(p, "cell");
    expect(p.isDeployable()).toEqual({ ok: true, reasons: [] });
    await p.deploy();
    await p.pull();
    await p.pull();
    expect(cell.seen).toEqual([7, 7]);
    await p.undeploy();
  });

  it("explains parameters that have neither a value, a default nor a connection, and accepts set ones", () => {
    class Params extends SingleCell {
      readonly config = new ConfigParameter<number>(this, "config");
      readonly runtime = new RuntimeParameter<string>(this, "runtime");
      protected onPull() {}
    }
    const p = new Pipeline(null, "p");
    const cell = new Params(p, "cell");
    const reasons = p.isDeployable().reasons.join("\n");
    expect(reasons).toContain("p.cell.config");
    expect(reasons).toContain("p.cell.runtime");
    cell.config.setValue(1);
    cell.runtime.setValue("x");
    expect(p.isDeployable()).toEqual({ ok: true, reasons: [] });
  });

  it("explains an unconnected input port of a nested pipeline", () => {
    const p = new Pipeline(null, "p");
    const inner = new Inner(p, "inner");
    const sink = new Collector(p, "sink");
    new Connection(inner.out, sink.input);
    const result = p.isDeployable();
    expect(result.ok).toBe(false);
    expect(result.reasons.join("\n")).toContain("p.inner.in");
  });

  it("lists every problem at once: inputs, topology and structure", () => {
    const p = new Pipeline(null, "p");
    new MapCell(p, "lonely");
    const x = new MapCell(p, "x");
    const y = new MapCell(p, "y");
    new Connection(x.output, y.input);
    new Connection(y.output, x.input);
    new Inner(p, "broken", false);
    const reasons = p.isDeployable().reasons.join("\n");
    expect(reasons).toContain("p.lonely.input");
    expect(reasons).toContain("p.x.output -> p.y.input");
    expect(reasons).toContain("p.broken.out");
  });

  it("explains a scalable cell with an invalid inner cell", () => {
    class Scalable extends ScalableCell {
      readonly in = new InputPort<number>(this, "in");
      readonly out = new OutputPort<number>(this, "out");
      readonly inner = new Inner(this, "inner", false);
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.in, this.inner.in);
        new Connection(this.inner.out, this.out);
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const scalable = new Scalable(p, "scalable");
    const sink = new Collector(p, "sink");
    new Connection(source.output, scalable.in);
    new Connection(scalable.out, sink.input);
    const result = p.isDeployable();
    expect(result.ok).toBe(false);
    expect(result.reasons.join("\n")).toContain("p.scalable.inner.out");
  });

  it("explains a scalable cell with no inner cell", () => {
    class Empty extends ScalableCell {}
    const p = new Pipeline(null, "p");
    new Empty(p, "empty");
    const result = p.isDeployable();
    expect(result.ok).toBe(false);
    expect(result.reasons.join("\n")).toContain("p.empty");
  });

  it("does not ask a root pipeline's input port for a value before deploy; a pull without one fails clearly", async () => {
    class Root extends Pipeline {
      readonly in = new InputPort<number>(this, "in");
      readonly sink = new Collector(this, "sink");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.in, this.sink.input);
      }
    }
    const p = new Root(null, "root");
    expect(p.isDeployable().ok).toBe(true);
    await p.deploy();
    const error = await withinDeadline(rejectionOf(p.pull()));
    expect(error).toBeInstanceOf(NoValueError);
    expect((error as Error).message).toContain("root.in");
    p.in.setValue(5);
    await p.pull();
    expect(p.sink.values).toEqual([5]);
    await p.undeploy();
  });
});

describe("deploy() of a pipeline that is not deployable", () => {
  it("throws NotDeployableError carrying isDeployable()'s reasons, and leaves the pipeline undeployed", async () => {
    const p = new Pipeline(null, "p");
    const map = new MapCell(p, "map");
    const expected = p.isDeployable().reasons;
    const error = await withinDeadline(rejectionOf(p.deploy()));
    expect(error).toBeInstanceOf(NotDeployableError);
    expect((error as NotDeployableError).reasons).toEqual(expected);
    expect((error as NotDeployableError).cellPath).toBe("p");
    expect((error as Error).message).toContain("p.map.input");
    expect(p.isDeployed).toBe(false);
    expect(map.isDeployed).toBe(false);
  });

  it("deploys once the problem is fixed", async () => {
    const p = new Pipeline(null, "p");
    const map = new MapCell(p, "map");
    await expect(p.deploy()).rejects.toThrow(NotDeployableError);
    const source = new CounterSource(p, "source");
    const sink = new Collector(p, "sink");
    new Connection(source.output, map.input);
    new Connection(map.output, sink.input);
    await p.deploy();
    await p.pull();
    expect(sink.values).toEqual([0]);
    await p.undeploy();
  });

  it("refuses to deploy a cell that is not a root", async () => {
    const { p, map } = chain();
    const error = await withinDeadline(rejectionOf(map.deploy()));
    expect(error).toBeInstanceOf(NotDeployableError);
    expect((error as Error).message).toContain('"p"');
    expect(p.isDeployed).toBe(false);
  });
});
