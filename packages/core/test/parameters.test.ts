/**
 * SPEC 2.6 — parameters: a ConfigParameter is set before deploy and read in onDeploy (and
 * cannot change while deployed); a RuntimeParameter may change between pulls. Both may
 * have defaults or incoming connections.
 */
import { describe, expect, it } from "vitest";
import {
  AlreadyDeployedError,
  ConfigParameter,
  Connection,
  InputPort,
  NoValueError,
  Output,
  Pipeline,
  RuntimeParameter,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { Collector, CounterSource, thrownBy } from "./helpers.js";

/** Scales a counter: `factor` is fixed per deployment, `offset` may change at any time. */
class Scaler extends SingleCell {
  readonly factor = new ConfigParameter<number>(this, "factor", { defaultValue: 1 });
  readonly offset = new RuntimeParameter<number>(this, "offset", { defaultValue: 0 });
  readonly output = new Output<number>(this, "output");
  private n = 0;
  /** What onDeploy read: config is resolved once per deployment. */
  deployedFactor: number | null = null;
  protected override onDeploy() {
    this.deployedFactor = this.factor.getValue();
  }
  protected async onPull() {
    this.output.setValue(this.deployedFactor! * this.n++ + (await this.offset.pull()));
  }
}

function scaled() {
  const p = new Pipeline(null, "p");
  const scaler = new Scaler(p, "scaler");
  const sink = new Collector(p, "sink");
  new Connection(scaler.output, sink.input);
  return { p, scaler, sink };
}

describe("ConfigParameter", () => {
  it("is set before deploy and read in onDeploy", async () => {
    const { p, scaler, sink } = scaled();
    scaler.factor.setValue(10);
    await p.deploy();
    expect(scaler.deployedFactor).toBe(10);
    for (let i = 0; i < 3; i++) await p.pull();
    expect(sink.values).toEqual([0, 10, 20]);
    await p.undeploy();
  });

  it("falls back to its default", async () => {
    const { p, scaler, sink } = scaled();
    await p.deploy();
    expect(scaler.deployedFactor).toBe(1);
    expect(scaler.factor.getValue()).toBe(1);
    await p.pull();
    await p.pull();
    expect(sink.values).toEqual([0, 1]);
    await p.undeploy();
  });

  it("refuses to change while deployed (AlreadyDeployedError naming it), and keeps its value", async () => {
    const { p, scaler } = scaled();
    scaler.factor.setValue(3);
    await p.deploy();
    const error = thrownBy(() => scaler.factor.setValue(4));
    expect(error).toBeInstanceOf(AlreadyDeployedError);
    expect((error as Error).message).toContain("p.scaler.factor");
    expect((error as Error).message).toContain("RuntimeParameter");
    expect(scaler.factor.getValue()).toBe(3);
    await p.undeploy();
    scaler.factor.setValue(4);
    await p.deploy();
    expect(scaler.deployedFactor).toBe(4);
    await p.undeploy();
  });

  it("refuses to change while deployed also deep inside a nested pipeline", async () => {
    class Outer extends Pipeline {
      readonly inner = new (class extends Pipeline {
        readonly scaler = new Scaler(this, "scaler");
      })(this, "inner");
    }
    const p = new Outer(null, "outer");
    await p.deploy();
    expect(() => p.inner.scaler.factor.setValue(2)).toThrow(AlreadyDeployedError);
    await p.undeploy();
  });

  it("throws NoValueError when read without a value or default", () => {
    class Bare extends SingleCell {
      readonly size = new ConfigParameter<number>(this, "size");
      protected onPull() {}
    }
    const cell = new Bare(null, "bare");
    const error = thrownBy(() => cell.size.getValue());
    expect(error).toBeInstanceOf(NoValueError);
    expect((error as Error).message).toContain("bare.size");
  });

  it("can be fed by a connection instead, and then pull() reads it like an input", async () => {
    class UsesConfig extends SingleCell {
      readonly limit = new ConfigParameter<number>(this, "limit");
      readonly seen: number[] = [];
      protected async onPull() {
        this.seen.push(await this.limit.pull());
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const user = new UsesConfig(p, "user");
    new Connection(source.output, user.limit);
    expect(p.isDeployable().ok).toBe(true);
    await p.deploy();
    await p.pull();
    await p.pull();
    expect(user.seen).toEqual([0, 1]);
    expect(user.limit.getValue()).toBe(1);
    await p.undeploy();
  });
});

describe("RuntimeParameter", () => {
  it("may change between pulls; the cell sees the new value at its next pull", async () => {
    const { p, scaler, sink } = scaled();
    await p.deploy();
    await p.pull();
    scaler.offset.setValue(100);
    await p.pull();
    await p.pull();
    scaler.offset.setValue(-5);
    await p.pull();
    expect(sink.values).toEqual([0, 101, 102, -2]);
    expect(scaler.offset.getValue()).toBe(-5);
    await p.undeploy();
  });

  it("may be set before deploy instead of using its default", async () => {
    const { p, scaler, sink } = scaled();
    scaler.offset.setValue(7);
    await p.deploy();
    await p.pull();
    expect(sink.values).toEqual([7]);
    await p.undeploy();
  });

  it("keeps its set value across undeploy, redeploy and reset (it is configuration, not stream data)", async () => {
    const { p, scaler, sink } = scaled();
    scaler.offset.setValue(50);
    await p.deploy();
    await p.undeploy();
    await p.deploy();
    await p.reset();
    await p.pull();
    expect(sink.values).toEqual([50]);
    await p.undeploy();
  });

  it("can be fed by a connection: each pull takes the next value", async () => {
    class Offsets extends SingleCell {
      readonly output = new Output<number>(this, "output");
      private n = 0;
      protected onPull() {
        this.output.setValue(1000 * ++this.n);
      }
    }
    const p = new Pipeline(null, "p");
    const offsets = new Offsets(p, "offsets");
    const scaler = new Scaler(p, "scaler");
    const sink = new Collector(p, "sink");
    new Connection(offsets.output, scaler.offset);
    new Connection(scaler.output, sink.input);
    await p.deploy();
    for (let i = 0; i < 3; i++) await p.pull();
    expect(sink.values).toEqual([1000, 2001, 3002]);
    await p.undeploy();
  });

  it("can be fed from a root pipeline's input port, set by the user between pulls", async () => {
    class Tunable extends Pipeline {
      readonly offset = new InputPort<number>(this, "offset");
      readonly scaler = new Scaler(this, "scaler");
      readonly sink = new Collector(this, "sink");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.offset, this.scaler.offset);
        new Connection(this.scaler.output, this.sink.input);
      }
    }
    const p = new Tunable(null, "p");
    p.offset.setValue(1);
    await p.deploy();
    await p.pull();
    p.offset.setValue(2);
    await p.pull();
    expect(p.sink.values).toEqual([1, 3]);
    await p.undeploy();
  });
});
