/**
 * SPEC 2.4 — topology: Kahn's order, sources and sinks, recurrent connections through
 * outputs with an initialValue (Fibonacci), IndeterminableTopologyError for ambiguous or
 * unbreakable cycles, explicit `recurrent` marks, and `getTopologyDescription()`.
 */
import { describe, expect, it } from "vitest";
import {
  CellflowError,
  Connection,
  IndeterminableTopologyError,
  Input,
  InputPort,
  NotDeployableError,
  Output,
  OutputPort,
  Pipeline,
  SingleCell,
  type Cell,
  type CompositeCell,
} from "@cellflow/core";
import { Collector, CounterSource, MapCell, rejectionOf, thrownBy, withinDeadline } from "./helpers.js";

/** Adds up to three inputs (unconnected ones are not declared). */
class Sum extends SingleCell {
  readonly ins: Array<Input<number>> = [];
  readonly output: Output<number>;
  constructor(parent: CompositeCell | null, name: string, arity = 2, initialValue?: number) {
    super(parent, name);
    for (let i = 0; i < arity; i++) this.ins.push(new Input<number>(this, `in${i}`));
    this.output = new Output<number>(this, "output", initialValue === undefined ? {} : { initialValue });
  }
  protected async onPull() {
    let sum = 0;
    for (const input of this.ins) sum += await input.pull();
    this.output.setValue(sum);
  }
}

const names = (cells: readonly Cell[]) => cells.map((c) => c.name);

/** A six-cell DAG, children declared in an order that is not an execution order. */
class SixCells extends Pipeline {
  readonly f = new Sum(this, "f", 1);
  readonly e = new Sum(this, "e", 2);
  readonly d = new Sum(this, "d", 2);
  readonly c = new Sum(this, "c", 1);
  readonly b = new CounterSource(this, "b");
  readonly a = new CounterSource(this, "a");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.a.output, this.c.ins[0]!);
    new Connection(this.a.output, this.d.ins[0]!);
    new Connection(this.b.output, this.d.ins[1]!);
    new Connection(this.c.output, this.e.ins[0]!);
    new Connection(this.d.output, this.e.ins[1]!);
    new Connection(this.d.output, this.f.ins[0]!);
  }
}

describe("Kahn's algorithm", () => {
  it("orders children so every connection goes forward, ties broken by declaration order", () => {
    const p = new SixCells(null, "six");
    const topology = p.topology();
    expect(names(topology.order)).toEqual(["b", "a", "d", "f", "c", "e"]);
    const position = new Map(topology.order.map((c, i) => [c, i]));
    for (const c of p.connections) expect(position.get(c.source.cell)!).toBeLessThan(position.get(c.target.cell)!);
    expect(names(topology.sources)).toEqual(["b", "a"]);
    expect(names(topology.sinks)).toEqual(["f", "e"]);
    expect(topology.recurrent.size).toBe(0);
  });

  it("runs the six-cell DAG: every sink pulled once per pull, each value computed once", async () => {
    const p = new SixCells(null, "six");
    await p.deploy();
    for (let i = 0; i < 3; i++) await p.pull();
    // a = b = i; c = a; d = a + b; e = c + d; f = d
    expect(p.e.output.getValue()).toBe(2 + 4);
    expect(p.f.output.getValue()).toBe(4);
    expect([p.a.pulls, p.b.pulls]).toEqual([3, 3]);
    await p.undeploy();
  });

  it("treats a cell with no connections as both source and sink", () => {
    const p = new Pipeline(null, "p");
    const lonely = new CounterSource(p, "lonely");
    const t = p.topology();
    expect(t.sources).toEqual([lonely]);
    expect(t.sinks).toEqual([lonely]);
  });

  it("ignores connections to the composite's own ports when finding sources and sinks", () => {
    class Inner extends Pipeline {
      readonly in = new InputPort<number>(this, "in");
      readonly out = new OutputPort<number>(this, "out");
      readonly first = new MapCell(this, "first");
      readonly second = new MapCell(this, "second");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.in, this.first.input);
        new Connection(this.first.output, this.second.input);
        new Connection(this.second.output, this.out);
      }
    }
    const inner = new Inner(null, "inner");
    const t = inner.topology();
    expect(names(t.order)).toEqual(["first", "second"]);
    expect(names(t.sources)).toEqual(["first"]);
    expect(names(t.sinks)).toEqual(["second"]);
  });

  it("recomputes the topology when the structure changes before deploy", () => {
    const p = new Pipeline(null, "p");
    const a = new CounterSource(p, "a");
    const b = new Collector(p, "b");
    expect(names(p.topology().sinks)).toEqual(["a", "b"]);
    new Connection(a.output, b.input);
    expect(names(p.topology().sinks)).toEqual(["b"]);
  });
});

// ---- recurrency -----------------------------------------------------------------------------

/** Outputs what it stored last time and stores its input: a one-step delay. */
class Delay extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  private stored = 0;
  protected async onPull() {
    const next = await this.input.pull();
    this.output.setValue(this.stored);
    this.stored = next;
  }
}

/** Fibonacci across two cells: adder(previous, delayed) with feedback through a delay. */
class Fibonacci extends Pipeline {
  readonly adder = new Sum(this, "adder", 2, 1);
  readonly delay = new Delay(this, "delay");
  readonly printer = new Collector(this, "printer");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.adder.output, this.adder.ins[0]!); // self-loop: recurrent
    new Connection(this.adder.output, this.delay.input); // closes adder -> delay -> adder: recurrent
    new Connection(this.delay.output, this.adder.ins[1]!); // no initialValue: forward
    new Connection(this.adder.output, this.printer.input); // on no cycle: forward
  }
}

/** The one-cell form: a cell fed its own two outputs. */
class FibonacciCell extends SingleCell {
  readonly previous = new Input<number>(this, "previous");
  readonly beforePrevious = new Input<number>(this, "before_previous");
  readonly value = new Output<number>(this, "value", { initialValue: 1 });
  readonly previousOut = new Output<number>(this, "previous_out", { initialValue: 0 });
  protected async onPull() {
    const previous = await this.previous.pull();
    const beforePrevious = await this.beforePrevious.pull();
    this.value.setValue(previous + beforePrevious);
    this.previousOut.setValue(previous);
  }
}

describe("recurrent connections", () => {
  it("prints the Fibonacci sequence 1 2 3 5 8 13 21 34 through a two-cell cycle", async () => {
    const p = new Fibonacci(null, "fib");
    const description = p.getTopologyDescription();
    expect(description.connections.map((c) => [c.source, c.target, c.recurrent])).toEqual([
      ["fib.adder.output", "fib.adder.in0", true],
      ["fib.adder.output", "fib.delay.input", true],
      ["fib.delay.output", "fib.adder.in1", false],
      ["fib.adder.output", "fib.printer.input", false],
    ]);
    expect(names(p.topology().order)).toEqual(["delay", "adder", "printer"]);
    await p.deploy();
    for (let i = 0; i < 8; i++) await p.pull();
    expect(p.printer.values).toEqual([1, 2, 3, 5, 8, 13, 21, 34]);
    await p.undeploy();
  });

  it("prints 1 2 3 5 8 13 21 34 from a cell fed its own outputs", async () => {
    const p = new Pipeline(null, "fib");
    const fib = new FibonacciCell(p, "fibonacci");
    const printer = new Collector(p, "printer");
    new Connection(fib.value, fib.previous);
    new Connection(fib.previousOut, fib.beforePrevious);
    new Connection(fib.value, printer.input);
    expect([...p.topology().recurrent].map((c) => c.description)).toEqual([
      "fib.fibonacci.value -> fib.fibonacci.previous",
      "fib.fibonacci.previous_out -> fib.fibonacci.before_previous",
    ]);
    expect(names(p.topology().sinks)).toEqual(["printer"]);
    await p.deploy();
    for (let i = 0; i < 8; i++) await p.pull();
    expect(printer.values).toEqual([1, 2, 3, 5, 8, 13, 21, 34]);
    // reset() returns the outputs to their initial values: the sequence starts over.
    await p.reset();
    for (let i = 0; i < 3; i++) await p.pull();
    expect(printer.values).toEqual([1, 2, 3]);
    await p.undeploy();
  });

  it("lets a forward and a recurrent connection leave the same output", async () => {
    // The self-loop reads the previous value, the printer this iteration's.
    class Acc extends SingleCell {
      readonly previous = new Input<number>(this, "previous");
      readonly step = new Input<number>(this, "step");
      readonly total = new Output<number>(this, "total", { initialValue: 100 });
      readonly seenPrevious: number[] = [];
      protected async onPull() {
        const previous = await this.previous.pull();
        this.seenPrevious.push(previous);
        this.total.setValue(previous + (await this.step.pull()));
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const acc = new Acc(p, "acc");
    const printer = new Collector(p, "printer");
    new Connection(source.output, acc.step);
    new Connection(acc.total, acc.previous);
    new Connection(acc.total, printer.input);
    await p.deploy();
    for (let i = 0; i < 4; i++) await p.pull();
    expect(acc.seenPrevious).toEqual([100, 100, 101, 103]);
    expect(printer.values).toEqual([100, 101, 103, 106]);
    await p.undeploy();
  });

  it("delivers the previous iteration's value on a connection marked recurrent, whenever its target runs", async () => {
    // A "previous frame" input: the cell pulls this iteration's value first, then the
    // marked connection from the same output. SPEC 2.4: recurrent connections deliver the
    // previous iteration's value (the initialValue on the first pull).
    class Diff extends SingleCell {
      readonly current = new Input<number>(this, "current");
      readonly previous = new Input<number>(this, "previous");
      readonly seen: Array<[number, number]> = [];
      protected async onPull() {
        const current = await this.current.pull();
        this.seen.push([current, await this.previous.pull()]);
      }
    }
    class Frames extends SingleCell {
      readonly output = new Output<number>(this, "output", { initialValue: -1 });
      private n = 0;
      protected onPull() {
        this.output.setValue(this.n++);
      }
    }
    const p = new Pipeline(null, "p");
    const frames = new Frames(p, "frames");
    const diff = new Diff(p, "diff");
    new Connection(frames.output, diff.current);
    new Connection(frames.output, diff.previous, { recurrent: true });
    expect(p.getTopologyDescription().connections.map((c) => c.recurrent)).toEqual([false, true]);
    await p.deploy();
    for (let i = 0; i < 3; i++) await p.pull();
    expect(diff.seen).toEqual([
      [0, -1],
      [1, 0],
      [2, 1],
    ]);
    await p.undeploy();
  });
});

// ---- ambiguity and errors -------------------------------------------------------------------

class Increment extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output", { initialValue: 0 });
  protected async onPull() {
    this.output.setValue((await this.input.pull()) + 1);
  }
}

class Doubling extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output", { initialValue: 0 });
  protected async onPull() {
    this.output.setValue(2 * (await this.input.pull()));
  }
}

/** increment <-> doubling, both outputs with an initialValue; a printer on doubling. */
function loop(marks: { forward?: boolean; back?: boolean } = {}) {
  const p = new Pipeline(null, "loop");
  const increment = new Increment(p, "increment");
  const doubling = new Doubling(p, "doubling");
  const printer = new Collector(p, "printer");
  const opt = (recurrent: boolean | undefined) => (recurrent === undefined ? {} : { recurrent });
  new Connection(increment.output, doubling.input, opt(marks.forward));
  new Connection(doubling.output, increment.input, opt(marks.back));
  new Connection(doubling.output, printer.input);
  return { p, printer };
}

describe("IndeterminableTopologyError", () => {
  it("names the ambiguous connections and suggests `recurrent: true | false`", () => {
    const { p } = loop();
    const error = thrownBy(() => p.topology());
    expect(error).toBeInstanceOf(IndeterminableTopologyError);
    expect(error).toBeInstanceOf(CellflowError);
    const e = error as IndeterminableTopologyError;
    expect(e.name).toBe("IndeterminableTopologyError");
    expect(e.cellPath).toBe("loop");
    expect([...e.connections].sort()).toEqual([
      "loop.doubling.output -> loop.increment.input",
      "loop.increment.output -> loop.doubling.input",
    ]);
    expect(e.message).toContain("loop.doubling.output -> loop.increment.input");
    expect(e.message).toContain("loop.increment.output -> loop.doubling.input");
    expect(e.message).toContain("new Connection(a, b, { recurrent: true })");
    expect(e.message).toContain("{ recurrent: false }");
    expect(e.message).not.toContain("loop.printer");
    expect(() => p.getTopologyDescription()).toThrow(IndeterminableTopologyError);
  });

  it("makes the pipeline undeployable with that explanation; deploy() throws it and nothing hangs", async () => {
    const { p } = loop();
    const deployable = p.isDeployable();
    expect(deployable.ok).toBe(false);
    expect(deployable.reasons.join("\n")).toContain("recurrent: true");
    const error = await withinDeadline(rejectionOf(p.deploy()));
    expect(error).toBeInstanceOf(NotDeployableError);
    expect((error as Error).message).toContain("loop.increment.output -> loop.doubling.input");
    expect(p.isDeployed).toBe(false);
  });

  it("is settled by marking the feedback connection recurrent: 2 6 14 30", async () => {
    const { p, printer } = loop({ back: true });
    expect(p.getTopologyDescription().connections.map((c) => c.recurrent)).toEqual([false, true, false]);
    await p.deploy();
    for (let i = 0; i < 4; i++) await p.pull();
    expect(printer.values).toEqual([2, 6, 14, 30]);
    await p.undeploy();
  });

  it("is settled the other way by marking the other connection: 0 2 6 14", async () => {
    const { p, printer } = loop({ forward: true });
    expect(p.getTopologyDescription().connections.map((c) => c.recurrent)).toEqual([true, false, false]);
    await p.deploy();
    for (let i = 0; i < 4; i++) await p.pull();
    expect(printer.values).toEqual([0, 2, 6, 14]);
    await p.undeploy();
  });

  it("is settled by marking one connection `recurrent: false`", () => {
    const { p } = loop({ forward: false });
    expect(p.getTopologyDescription().connections.map((c) => c.recurrent)).toEqual([false, true, false]);
  });

  it("is raised for a cycle without an initialValue, naming its connections and the missing initialValue", async () => {
    const p = new Pipeline(null, "p");
    const x = new MapCell(p, "x");
    const y = new MapCell(p, "y");
    const sink = new Collector(p, "sink");
    new Connection(x.output, y.input);
    new Connection(y.output, x.input);
    new Connection(y.output, sink.input);
    const error = thrownBy(() => p.topology()) as IndeterminableTopologyError;
    expect(error).toBeInstanceOf(IndeterminableTopologyError);
    expect([...error.connections].sort()).toEqual(["p.x.output -> p.y.input", "p.y.output -> p.x.input"]);
    expect(error.message).toContain("initialValue");
    expect(error.message).toContain("recurrent: true");
    const deployed = await withinDeadline(rejectionOf(p.deploy()));
    expect(deployed).toBeInstanceOf(NotDeployableError);
    expect((deployed as NotDeployableError).reasons.join("\n")).toContain("p.x.output -> p.y.input");
  });

  it("is raised for a self-loop without an initialValue", () => {
    const p = new Pipeline(null, "p");
    const x = new MapCell(p, "x");
    new Connection(x.output, x.input);
    const error = thrownBy(() => p.topology()) as IndeterminableTopologyError;
    expect(error).toBeInstanceOf(IndeterminableTopologyError);
    expect(error.connections).toEqual(["p.x.output -> p.x.input"]);
  });

  it("is raised when every connection of a cycle is marked `recurrent: false`", () => {
    const { p } = loop({ forward: false, back: false });
    const error = thrownBy(() => p.topology()) as IndeterminableTopologyError;
    expect(error).toBeInstanceOf(IndeterminableTopologyError);
    expect(error.connections).toHaveLength(2);
  });
});

describe("getTopologyDescription()", () => {
  it("returns JSON: children in order with source/sink flags, connections with recurrent flags, nested topologies", () => {
    class Inner extends Pipeline {
      readonly in = new InputPort<number>(this, "in");
      readonly out = new OutputPort<number>(this, "out");
      readonly map = new MapCell(this, "map");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.in, this.map.input);
        new Connection(this.map.output, this.out);
      }
    }
    class Outer extends Pipeline {
      readonly sink = new Collector(this, "sink");
      readonly inner = new Inner(this, "inner");
      readonly source = new CounterSource(this, "source");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.source.output, this.inner.in);
        new Connection(this.inner.out, this.sink.input);
      }
    }
    const description = new Outer(null, "outer").getTopologyDescription();
    expect(description).toEqual({
      cell: "outer",
      type: "Outer",
      cells: [
        { name: "source", path: "outer.source", type: "CounterSource", isSource: true, isSink: false },
        {
          name: "inner",
          path: "outer.inner",
          type: "Inner",
          isSource: false,
          isSink: false,
          topology: {
            cell: "outer.inner",
            type: "Inner",
            cells: [{ name: "map", path: "outer.inner.map", type: "MapCell", isSource: true, isSink: true }],
            connections: [
              { source: "outer.inner.in", target: "outer.inner.map.input", recurrent: false },
              { source: "outer.inner.map.output", target: "outer.inner.out", recurrent: false },
            ],
          },
        },
        { name: "sink", path: "outer.sink", type: "Collector", isSource: false, isSink: true },
      ],
      connections: [
        { source: "outer.source.output", target: "outer.inner.in", recurrent: false },
        { source: "outer.inner.out", target: "outer.sink.input", recurrent: false },
      ],
    });
    expect(JSON.parse(JSON.stringify(description))).toEqual(description);
  });

  it("marks recurrent connections in the description", () => {
    const description = new Fibonacci(null, "fib").getTopologyDescription();
    expect(description.cells.map((c) => [c.name, c.isSource, c.isSink])).toEqual([
      ["delay", true, false],
      ["adder", false, false],
      ["printer", false, true],
    ]);
    expect(description.connections.filter((c) => c.recurrent)).toHaveLength(2);
  });
});
