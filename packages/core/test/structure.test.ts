/**
 * SPEC 2.1 — cells, IO and connections: names, which IO a cell may declare, and which
 * connections are allowed (refused at construction with an error naming both ends).
 */
import { describe, expect, it } from "vitest";
import {
  AlreadyConnectedError,
  AlreadyDeployedError,
  CellflowError,
  ConfigParameter,
  Connection,
  Input,
  InputPort,
  InvalidConnectionError,
  InvalidIOError,
  InvalidNameError,
  Output,
  OutputPort,
  Pipeline,
  RuntimeParameter,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { Collector, CounterSource, MapCell, thrownBy } from "./helpers.js";
import { internal } from "./engine-internals.js";

class TwoIn extends SingleCell {
  readonly a = new Input<number>(this, "a");
  readonly b = new Input<number>(this, "b");
  readonly out = new Output<number>(this, "out");
  protected async onPull() {
    this.out.setValue((await this.a.pull()) + (await this.b.pull()));
  }
}

/** A nested pipeline with ports: in -> inner map -> out. */
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

describe("names", () => {
  it("gives cells and IO dotted paths from the root", () => {
    const root = new Pipeline(null, "root");
    const inner = new Inner(root, "inner");
    expect(root.path).toBe("root");
    expect(inner.map.path).toBe("root.inner.map");
    expect(inner.map.input.path).toBe("root.inner.map.input");
    expect(inner.in.path).toBe("root.inner.in");
    expect(inner.map.root).toBe(root);
    expect(root.child("inner")).toBe(inner);
    expect(inner.map.io("output")).toBe(inner.map.output);
    expect(inner.map.io("nope")).toBeUndefined();
  });

  it("refuses two IO with the same name on one cell", () => {
    class Dup extends SingleCell {
      readonly a = new Input<number>(this, "x");
      readonly b = new Output<number>(this, "x");
      protected onPull() {}
    }
    const error = thrownBy(() => new Dup(null, "dup"));
    expect(error).toBeInstanceOf(InvalidNameError);
    expect(error).toBeInstanceOf(CellflowError);
    expect((error as Error).message).toContain('"dup"');
    expect((error as Error).message).toContain('"x"');
  });

  it("refuses a parameter named like an input of the same cell", () => {
    class Dup extends SingleCell {
      readonly a = new Input<number>(this, "x");
      readonly p = new RuntimeParameter<number>(this, "x");
      protected onPull() {}
    }
    expect(() => new Dup(null, "dup")).toThrow(InvalidNameError);
  });

  it("refuses two children with the same name in one composite", () => {
    const root = new Pipeline(null, "root");
    new CounterSource(root, "twin");
    const error = thrownBy(() => new Collector(root, "twin"));
    expect(error).toBeInstanceOf(InvalidNameError);
    expect((error as Error).message).toContain('"root"');
    expect((error as Error).message).toContain('"twin"');
    expect(root.children.map((c) => c.name)).toEqual(["twin"]);
  });

  it("allows the same name in different scopes", () => {
    const root = new Pipeline(null, "root");
    const a = new Inner(root, "a");
    const b = new Inner(root, "b");
    expect(a.map.path).toBe("root.a.map");
    expect(b.map.path).toBe("root.b.map");
  });

  it.each(["", "a.b", "."])("refuses the invalid name %j for cells and IO", (name) => {
    expect(() => new Pipeline(null, name)).toThrow(InvalidNameError);
    const cell = new CounterSource(null, "ok");
    expect(() => new Input<number>(cell, name)).toThrow(InvalidNameError);
  });
});

describe("IO kinds", () => {
  it("refuses an Output or an Input on a composite cell: those have ports", () => {
    const root = new Pipeline(null, "root");
    const output = thrownBy(() => new Output<number>(root, "out"));
    expect(output).toBeInstanceOf(InvalidIOError);
    expect((output as Error).message).toMatch(/OutputPort/);
    expect(() => new Input<number>(root, "in")).toThrow(InvalidIOError);
  });

  it("refuses ports on a single cell", () => {
    const cell = new CounterSource(null, "cell");
    // Ports are typed for composite cells; a cast shows the runtime check too.
    const error = thrownBy(() => new InputPort<number>(cell as unknown as CompositeCell, "in"));
    expect(error).toBeInstanceOf(InvalidIOError);
    expect(() => new OutputPort<number>(cell as unknown as CompositeCell, "out")).toThrow(InvalidIOError);
  });

  it("lets a single cell declare inputs, outputs and both kinds of parameter", () => {
    class Full extends SingleCell {
      readonly i = new Input<number>(this, "i");
      readonly o = new Output<number>(this, "o");
      readonly c = new ConfigParameter<number>(this, "c");
      readonly r = new RuntimeParameter<number>(this, "r");
      protected onPull() {}
    }
    const cell = new Full(null, "full");
    expect([...cell[internal.ios].keys()]).toEqual(["i", "o", "c", "r"]);
    expect(cell.c.kind).toBe("config");
    expect(cell.r.kind).toBe("runtime");
  });

  it("refuses new IO and new children on a deployed pipeline", async () => {
    const root = new Pipeline(null, "root");
    const source = new CounterSource(root, "source");
    const sink = new Collector(root, "sink");
    new Connection(source.output, sink.input);
    await root.deploy();
    try {
      expect(() => new Collector(root, "late")).toThrow(AlreadyDeployedError);
      expect(() => new Input<number>(source, "late")).toThrow(AlreadyDeployedError);
      expect(() => new Connection(source.output, sink.input)).toThrow(CellflowError);
    } finally {
      await root.undeploy();
    }
  });
});

describe("connections", () => {
  it("joins siblings, a composite's input port to a child, a child to an output port, and port to port (skip)", () => {
    const root = new Pipeline(null, "root");
    const source = new CounterSource(root, "source");
    const inner = new Inner(root, "inner");
    const sink = new Collector(root, "sink");
    const c1 = new Connection(source.output, inner.in);
    const c2 = new Connection(inner.out, sink.input);
    expect(root.connections).toEqual([c1, c2]);
    expect(inner.connections).toHaveLength(2);
    expect(c1.scope).toBe(root);
    expect(inner.connections[0]!.scope).toBe(inner);
    expect(sink.input.incoming).toBe(c2);
    expect(source.output.outgoing).toEqual([c1]);

    class Skip extends Pipeline {
      readonly in = new InputPort<number>(this, "in");
      readonly out = new OutputPort<number>(this, "out");
    }
    const skip = new Skip(root, "skip");
    const c3 = new Connection(skip.in, skip.out);
    expect(c3.scope).toBe(skip);
  });

  it("refuses a connection between non-siblings, naming both ends", () => {
    const root = new Pipeline(null, "root");
    const inner = new Inner(root, "inner");
    const outer = new Collector(root, "outer");
    const error = thrownBy(() => new Connection(inner.map.output, outer.input));
    expect(error).toBeInstanceOf(InvalidConnectionError);
    const message = (error as Error).message;
    expect(message).toContain("root.inner.map.output");
    expect(message).toContain("root.outer.input");
    // Nothing half-made: neither end knows of the refused connection.
    expect(outer.input.incoming).toBeNull();
    expect(inner.map.output.outgoing).toHaveLength(1); // only its own connection to inner.out
    expect(root.connections).toEqual([]);
  });

  it("refuses a connection that goes inward past a port, naming both ends", () => {
    const root = new Pipeline(null, "root");
    const source = new CounterSource(root, "source");
    const inner = new Inner(root, "inner");
    const error = thrownBy(() => new Connection(source.output, inner.map.input));
    expect(error).toBeInstanceOf(InvalidConnectionError);
    expect((error as Error).message).toContain("root.source.output");
    expect((error as Error).message).toContain("root.inner.map.input");
  });

  it("refuses ports used from the wrong side", () => {
    const root = new Pipeline(null, "root");
    const source = new CounterSource(root, "source");
    const inner = new Inner(root, "inner");
    const sink = new Collector(root, "sink");
    // An input port is fed from outside and read from inside, not the other way round.
    expect(() => new Connection(inner.in, sink.input)).toThrow(InvalidConnectionError);
    // An output port is fed from inside, not from a sibling.
    expect(() => new Connection(source.output, inner.out as never)).toThrow(InvalidConnectionError);
    // A child may not feed its own parent's input port.
    expect(() => new Connection(inner.map.output, inner.in)).toThrow(InvalidConnectionError);
  });

  it("refuses connections across two root cells and from root cells", () => {
    const a = new Pipeline(null, "a");
    const b = new Pipeline(null, "b");
    const source = new CounterSource(a, "source");
    const sink = new Collector(b, "sink");
    const error = thrownBy(() => new Connection(source.output, sink.input));
    expect(error).toBeInstanceOf(InvalidConnectionError);
    expect((error as Error).message).toContain("a.source.output");
    expect((error as Error).message).toContain("b.sink.input");
    const lonelySource = new CounterSource(null, "s");
    const lonelySink = new Collector(null, "t");
    expect(() => new Connection(lonelySource.output, lonelySink.input)).toThrow(InvalidConnectionError);
  });

  it("refuses an input as a source and an output as a target", () => {
    const root = new Pipeline(null, "root");
    const x = new MapCell(root, "x");
    const y = new MapCell(root, "y");
    const fromInput = thrownBy(() => new Connection(x.input as never, y.input));
    expect(fromInput).toBeInstanceOf(InvalidConnectionError);
    expect((fromInput as Error).message).toContain("root.x.input");
    expect((fromInput as Error).message).toContain("root.y.input");
    const toOutput = thrownBy(() => new Connection(x.output, y.output as never));
    expect(toOutput).toBeInstanceOf(InvalidConnectionError);
    expect((toOutput as Error).message).toContain("root.y.output");
  });

  it("refuses connecting an input twice, naming both ends and the existing connection", () => {
    const root = new Pipeline(null, "root");
    const a = new CounterSource(root, "a");
    const b = new CounterSource(root, "b");
    const sink = new Collector(root, "sink");
    const first = new Connection(a.output, sink.input);
    const error = thrownBy(() => new Connection(b.output, sink.input));
    expect(error).toBeInstanceOf(AlreadyConnectedError);
    const message = (error as Error).message;
    expect(message).toContain("root.b.output");
    expect(message).toContain("root.sink.input");
    expect(message).toContain("root.a.output");
    expect(sink.input.incoming).toBe(first);
    expect(b.output.outgoing).toEqual([]);
    expect(root.connections).toEqual([first]);
    // The same pair twice is refused the same way.
    expect(() => new Connection(a.output, sink.input)).toThrow(AlreadyConnectedError);
  });

  it("refuses connecting a parameter or an input port twice", () => {
    class WithParam extends SingleCell {
      readonly p = new RuntimeParameter<number>(this, "p");
      protected onPull() {}
    }
    const root = new Pipeline(null, "root");
    const a = new CounterSource(root, "a");
    const b = new CounterSource(root, "b");
    const cell = new WithParam(root, "cell");
    const inner = new Inner(root, "inner");
    new Connection(a.output, cell.p);
    expect(() => new Connection(b.output, cell.p)).toThrow(AlreadyConnectedError);
    new Connection(a.output, inner.in);
    expect(() => new Connection(b.output, inner.in)).toThrow(AlreadyConnectedError);
  });

  it("lets one output feed many inputs", () => {
    const root = new Pipeline(null, "root");
    const a = new CounterSource(root, "a");
    const sinks = [0, 1, 2].map((i) => new Collector(root, `s${i}`));
    for (const s of sinks) new Connection(a.output, s.input);
    expect(a.output.outgoing.map((c) => c.target)).toEqual(sinks.map((s) => s.input));
  });

  it("refuses `recurrent: true` on an output without initialValue", () => {
    const root = new Pipeline(null, "root");
    const a = new MapCell(root, "a");
    const b = new MapCell(root, "b");
    const error = thrownBy(() => new Connection(a.output, b.input, { recurrent: true }));
    expect(error).toBeInstanceOf(InvalidConnectionError);
    expect((error as Error).message).toContain("root.a.output");
    expect((error as Error).message).toContain("initialValue");
    expect(b.input.incoming).toBeNull();
  });

  it("names errors after their class", () => {
    const root = new Pipeline(null, "root");
    new CounterSource(root, "x");
    const error = thrownBy(() => new CounterSource(root, "x")) as Error;
    expect(error.name).toBe("InvalidNameError");
  });
});
