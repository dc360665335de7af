/**
 * SPEC 2.10 — finite streams and reset: a source says how many pulls it has left, a
 * pipeline derives its own count from its sinks, pulling past the end raises
 * EndOfStreamError (never a hang), `for await` runs to the end, and `reset()` starts over.
 */
import { describe, expect, it } from "vitest";
import {
  CellflowError,
  Connection,
  EndOfStreamError,
  Input,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { Collector, CounterSource, MapCell, rejectionOf, withinDeadline } from "./helpers.js";

/** Emits its items, one per pull, then ends. */
class ListSource extends SingleCell {
  readonly output = new Output<string>(this, "output");
  items: readonly string[] = [];
  private index = 0;
  protected async onPull() {
    await Promise.resolve();
    this.output.setValue(this.items[this.index++]!);
  }
  protected override remainingPulls(): number {
    return this.items.length - this.index;
  }
  protected override onReset() {
    this.index = 0;
  }
}

class Upper extends SingleCell {
  readonly input = new Input<string>(this, "input");
  readonly output = new Output<string>(this, "output");
  protected async onPull() {
    this.output.setValue((await this.input.pull()).toUpperCase());
  }
}

class Words extends Pipeline {
  readonly source = new ListSource(this, "source");
  readonly upper = new Upper(this, "upper");
  readonly word = new OutputPort<string>(this, "word");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    this.source.items = ["pull", "based", "dataflow"];
    new Connection(this.source.output, this.upper.input);
    new Connection(this.upper.output, this.word);
  }
}

describe("remaining pulls", () => {
  it("come from the source and are derived by the pipeline, counting down", async () => {
    const p = new Words(null, "words");
    await p.deploy();
    expect(p.source.availablePulls()).toBe(3);
    expect(p.upper.availablePulls()).toBe(3);
    expect(p.availablePulls()).toBe(3);
    await p.pull();
    expect(p.availablePulls()).toBe(2);
    await p.pull();
    await p.pull();
    expect(p.availablePulls()).toBe(0);
    await p.undeploy();
  });

  it("are unlimited by default", () => {
    expect(new CounterSource(null, "s").availablePulls()).toBe(Infinity);
    const q = new Pipeline(null, "q");
    const s = new CounterSource(q, "s");
    const sink = new Collector(q, "sink");
    new Connection(s.output, sink.input);
    expect(q.availablePulls()).toBe(Infinity);
  });

  it("of a pipeline are those of its most limited sink", () => {
    const p = new Pipeline(null, "p");
    const short = new CounterSource(p, "short");
    const long = new CounterSource(p, "long");
    short.limit = 2;
    long.limit = 5;
    const a = new Collector(p, "a");
    const b = new Collector(p, "b");
    new Connection(short.output, a.input);
    new Connection(long.output, b.input);
    expect(p.availablePulls()).toBe(2);
  });

  it("pass through a nested pipeline's ports", () => {
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
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const inner = new Inner(p, "inner");
    const sink = new Collector(p, "sink");
    source.limit = 4;
    new Connection(source.output, inner.in);
    new Connection(inner.out, sink.input);
    expect(inner.availablePulls()).toBe(4);
    expect(p.availablePulls()).toBe(4);
  });
});

describe("the end of the stream", () => {
  it("raises EndOfStreamError naming the source, every time, without hanging", async () => {
    const p = new Words(null, "words");
    await p.deploy();
    for (let i = 0; i < 3; i++) await p.pull();
    for (let i = 0; i < 2; i++) {
      const error = await withinDeadline(rejectionOf(p.pull()));
      expect(error).toBeInstanceOf(EndOfStreamError);
      expect(error).toBeInstanceOf(CellflowError);
      expect((error as EndOfStreamError).cellPath).toBe("words.source");
      expect((error as Error).message).toContain("words.source");
    }
    expect(p.isDeployed).toBe(true);
    expect(p.word.getValue()).toBe("DATAFLOW");
    await p.undeploy();
  });

  it("is raised through a direct pull of a cell's output too", async () => {
    const p = new Words(null, "words");
    await p.deploy();
    for (let i = 0; i < 3; i++) await p.upper.output.pull();
    expect(await withinDeadline(rejectionOf(p.upper.output.pull()))).toBeInstanceOf(EndOfStreamError);
    await p.undeploy();
  });

  it("fails only the pulls past the end when many are started at once", async () => {
    const p = new Words(null, "words");
    await p.deploy();
    const settled = await withinDeadline(Promise.allSettled(Array.from({ length: 5 }, () => p.pull())));
    expect(settled.map((s) => s.status)).toEqual(["fulfilled", "fulfilled", "fulfilled", "rejected", "rejected"]);
    for (const s of settled.slice(3)) expect((s as PromiseRejectedResult).reason).toBeInstanceOf(EndOfStreamError);
    await p.undeploy();
  });

  it("ends a stream shared by two sinks for both, without hanging", async () => {
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    source.limit = 2;
    const a = new Collector(p, "a");
    const b = new Collector(p, "b");
    new Connection(source.output, a.input);
    new Connection(source.output, b.input);
    await p.deploy();
    await p.pull();
    await p.pull();
    expect(await withinDeadline(rejectionOf(p.pull()))).toBeInstanceOf(EndOfStreamError);
    expect(await withinDeadline(rejectionOf(p.pull()))).toBeInstanceOf(EndOfStreamError);
    expect(a.values).toEqual([0, 1]);
    expect(b.values).toEqual([0, 1]);
    await p.undeploy();
  });

  it("stops a batching cell that asks for more than is left, without hanging", async () => {
    class Pairs extends SingleCell {
      readonly input = new Input<number>(this, "input");
      readonly output = new Output<number[]>(this, "output");
      protected async onPull() {
        this.output.setValue([await this.input.pull(), await this.input.pull()]);
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    source.limit = 5;
    const pairs = new Pairs(p, "pairs");
    const sink = new Collector<number[]>(p, "sink");
    new Connection(source.output, pairs.input);
    new Connection(pairs.output, sink.input);
    await p.deploy();
    const seen: unknown[] = [];
    for await (const out of withDeadline(p)) seen.push(out);
    expect(seen).toHaveLength(2);
    expect(sink.values).toEqual([
      [0, 1],
      [2, 3],
    ]);
    await p.undeploy();
  });
});

/** Iterates `p` but fails instead of hanging if one step takes too long. */
async function* withDeadline(p: Pipeline): AsyncGenerator<Readonly<Record<string, unknown>>> {
  const iterator = p[Symbol.asyncIterator]();
  for (;;) {
    const step = await withinDeadline(iterator.next());
    if (step.done) return;
    yield step.value;
  }
}

describe("for await (const out of pipeline)", () => {
  it("runs to the end, yielding the output ports' values after each pull", async () => {
    const p = new Words(null, "words");
    await p.deploy();
    const outputs: unknown[] = [];
    for await (const out of withDeadline(p)) outputs.push(out);
    expect(outputs).toEqual([{ word: "PULL" }, { word: "BASED" }, { word: "DATAFLOW" }]);
    expect(p.availablePulls()).toBe(0);
    await p.undeploy();
  });

  it("runs a pipeline without output ports to the end too", async () => {
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    source.limit = 4;
    const sink = new Collector(p, "sink");
    new Connection(source.output, sink.input);
    await p.deploy();
    let n = 0;
    for await (const out of withDeadline(p)) {
      expect(out).toEqual({});
      n++;
    }
    expect(n).toBe(4);
    expect(sink.values).toEqual([0, 1, 2, 3]);
    await p.undeploy();
  });

  it("rethrows errors other than the end of the stream", async () => {
    class Fails extends SingleCell {
      readonly input = new Input<number>(this, "input");
      protected async onPull() {
        if ((await this.input.pull()) === 1) throw new Error("bad item");
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const fails = new Fails(p, "fails");
    new Connection(source.output, fails.input);
    await p.deploy();
    let n = 0;
    await expect(
      (async () => {
        for await (const _ of withDeadline(p)) n++;
      })(),
    ).rejects.toThrow("bad item");
    expect(n).toBe(1);
    await p.undeploy();
  });
});

describe("reset()", () => {
  it("starts a finished stream over without redeploying", async () => {
    const p = new Words(null, "words");
    await p.deploy();
    const first: unknown[] = [];
    for await (const out of withDeadline(p)) first.push(out);
    expect(await rejectionOf(p.pull())).toBeInstanceOf(EndOfStreamError);
    await p.reset();
    expect(p.availablePulls()).toBe(3);
    const second: unknown[] = [];
    for await (const out of withDeadline(p)) second.push(out);
    expect(second).toEqual(first);
    await p.undeploy();
  });

  it("starts over in the middle of a stream", async () => {
    const p = new Words(null, "words");
    await p.deploy();
    await p.pull();
    await p.pull();
    await p.reset();
    await p.pull();
    expect(p.word.getValue()).toBe("PULL");
    expect(p.availablePulls()).toBe(2);
    await p.undeploy();
  });
});
