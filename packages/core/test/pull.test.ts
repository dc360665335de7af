/**
 * SPEC 2.2 and 2.9 — pull-based execution: what `pipeline.pull()` does, sync and async
 * `onPull`, pulling one output of an inner cell directly, and `output.getValue()`.
 */
import { describe, expect, it } from "vitest";
import {
  Connection,
  Input,
  InputPort,
  NoValueError,
  Output,
  OutputPort,
  Pipeline,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { Collector, CounterSource, MapCell, rejectionOf, sleep, withinDeadline } from "./helpers.js";

/** The SPEC section 1 source: a counter and an alternating sign; its onPull is synchronous. */
class SourceCell extends SingleCell {
  readonly output1 = new Output<number>(this, "first_output");
  readonly output2 = new Output<number>(this, "second_output");
  private counter = 0;
  log: string[] = [];
  protected onPull(): void {
    this.log.push("source");
    this.output1.setValue(this.counter);
    this.output2.setValue(this.counter % 2 === 0 ? 1 : -1);
    this.counter++;
  }
}

class MultiplierCell extends SingleCell {
  readonly inputA = new Input<number>(this, "input_a");
  readonly inputB = new Input<number>(this, "input_b");
  readonly output = new Output<number>(this, "output");
  log: string[] = [];
  protected async onPull() {
    this.log.push("multiplier:start");
    const a = await this.inputA.pull();
    const b = await this.inputB.pull();
    this.log.push("multiplier:set");
    this.output.setValue(a * b);
  }
}

class ThreeCells extends Pipeline {
  readonly log: string[] = [];
  readonly source = new SourceCell(this, "source");
  readonly multiplier = new MultiplierCell(this, "multiplier");
  readonly printer = new Collector(this, "printer");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    this.source.log = this.log;
    this.multiplier.log = this.log;
    new Connection(this.source.output1, this.multiplier.inputA);
    new Connection(this.source.output2, this.multiplier.inputB);
    new Connection(this.multiplier.output, this.printer.input);
  }
}

describe("pipeline.pull()", () => {
  it("runs the SPEC's three-cell pipeline: 0 -1 2 -3 4", async () => {
    const pipeline = new ThreeCells(null, "my_pipeline");
    await pipeline.deploy();
    for (let i = 0; i < 5; i++) await pipeline.pull();
    expect(pipeline.printer.values).toEqual([0, -1, 2, -3, 4]);
    await pipeline.undeploy();
  });

  it("a pulled cell pulls its inputs first, and each cell runs once per iteration", async () => {
    const pipeline = new ThreeCells(null, "p");
    await pipeline.deploy();
    await pipeline.pull();
    // The multiplier is entered first (the sink pulled it); it pulls the source, then sets.
    expect(pipeline.log).toEqual(["multiplier:start", "source", "multiplier:set"]);
    await pipeline.pull();
    expect(pipeline.log).toEqual(["multiplier:start", "source", "multiplier:set", "multiplier:start", "source", "multiplier:set"]);
    await pipeline.undeploy();
  });

  it("is lazy: a cell runs only when something downstream pulls it", async () => {
    class EveryOther extends SingleCell {
      readonly input = new Input<number>(this, "input");
      readonly output = new Output<number>(this, "output");
      private n = 0;
      protected async onPull() {
        this.output.setValue(this.n++ % 2 === 0 ? await this.input.pull() : -1);
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const gate = new EveryOther(p, "gate");
    const sink = new Collector(p, "sink");
    new Connection(source.output, gate.input);
    new Connection(gate.output, sink.input);
    await p.deploy();
    for (let i = 0; i < 6; i++) await p.pull();
    expect(sink.values).toEqual([0, -1, 1, -1, 2, -1]);
    expect(source.pulls).toBe(3);
    await p.undeploy();
  });

  it("pulls every sink once per pull, and lets independent sinks run concurrently", async () => {
    // Sink a waits for sink b to have started: serialized sinks would never finish.
    let bStarted!: () => void;
    const started = new Promise<void>((resolve) => (bStarted = resolve));
    class A extends SingleCell {
      pulls = 0;
      protected async onPull() {
        this.pulls++;
        await started;
      }
    }
    class B extends SingleCell {
      pulls = 0;
      protected onPull() {
        this.pulls++;
        bStarted();
      }
    }
    const p = new Pipeline(null, "p");
    const a = new A(p, "a");
    const b = new B(p, "b");
    await p.deploy();
    await withinDeadline(p.pull());
    await withinDeadline(p.pull());
    expect([a.pulls, b.pulls]).toEqual([2, 2]);
    await p.undeploy();
  });

  it("serializes concurrent pulls of one pipeline: values stay in order and cells never overlap", async () => {
    let running = 0;
    let maxRunning = 0;
    class Slow extends SingleCell {
      readonly input = new Input<number>(this, "input");
      readonly output = new Output<number>(this, "output");
      protected async onPull() {
        running++;
        maxRunning = Math.max(maxRunning, running);
        const x = await this.input.pull();
        await sleep(1);
        running--;
        this.output.setValue(x);
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const slow = new Slow(p, "slow");
    const sink = new Collector(p, "sink");
    new Connection(source.output, slow.input);
    new Connection(slow.output, sink.input);
    await p.deploy();
    await Promise.all(Array.from({ length: 8 }, () => p.pull()));
    expect(sink.values).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(maxRunning).toBe(1);
    await p.undeploy();
  });

  it("accepts a synchronous onPull and an async one in the same pipeline", async () => {
    class SyncDouble extends SingleCell {
      readonly output = new Output<number>(this, "output");
      private n = 0;
      protected onPull(): void {
        this.output.setValue(2 * this.n++);
      }
    }
    class AsyncInc extends SingleCell {
      readonly input = new Input<number>(this, "input");
      readonly output = new Output<number>(this, "output");
      protected async onPull() {
        const x = await this.input.pull();
        await sleep(0);
        this.output.setValue(x + 1);
      }
    }
    const p = new Pipeline(null, "p");
    const d = new SyncDouble(p, "d");
    const inc = new AsyncInc(p, "inc");
    const sink = new Collector(p, "sink");
    new Connection(d.output, inc.input);
    new Connection(inc.output, sink.input);
    await p.deploy();
    const pulled = p.pull();
    expect(pulled).toBeInstanceOf(Promise);
    await pulled;
    await p.pull();
    expect(sink.values).toEqual([1, 3]);
    await p.undeploy();
  });

  it("runs a pipeline of only synchronous cells, and pull() still returns a promise", async () => {
    class Tick extends SingleCell {
      n = 0;
      protected onPull(): void {
        this.n++;
      }
    }
    const p = new Pipeline(null, "p");
    const tick = new Tick(p, "tick");
    await p.deploy();
    const pulled = p.pull();
    expect(pulled).toBeInstanceOf(Promise);
    await pulled;
    expect(tick.n).toBe(1);
    await p.undeploy();
  });

  it("sets the pipeline's output ports after pulling the sinks", async () => {
    class Outer extends Pipeline {
      readonly source = new CounterSource(this, "source");
      readonly doubler = new MapCell(this, "doubler");
      readonly doubled = new OutputPort<number>(this, "doubled");
      readonly raw = new OutputPort<number>(this, "raw");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        this.doubler.fn = (x) => 2 * x;
        new Connection(this.source.output, this.doubler.input);
        new Connection(this.doubler.output, this.doubled);
        new Connection(this.source.output, this.raw);
      }
    }
    const p = new Outer(null, "p");
    await p.deploy();
    const seen: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      await p.pull();
      seen.push(p.outputValues());
      expect(p.doubled.getValue()).toBe(2 * i);
    }
    expect(seen).toEqual([
      { doubled: 0, raw: 0 },
      { doubled: 2, raw: 1 },
      { doubled: 4, raw: 2 },
    ]);
    expect(p.source.pulls).toBe(3);
    await p.undeploy();
  });

  it("feeds a root pipeline's input port from the value set on it", async () => {
    class Scaler extends Pipeline {
      readonly factor = new InputPort<number>(this, "factor");
      readonly source = new CounterSource(this, "source");
      readonly mul = new (class extends SingleCell {
        readonly a = new Input<number>(this, "a");
        readonly b = new Input<number>(this, "b");
        readonly out = new Output<number>(this, "out");
        protected async onPull() {
          this.out.setValue((await this.a.pull()) * (await this.b.pull()));
        }
      })(this, "mul");
      readonly out = new OutputPort<number>(this, "out");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.source.output, this.mul.a);
        new Connection(this.factor, this.mul.b);
        new Connection(this.mul.out, this.out);
      }
    }
    const p = new Scaler(null, "p");
    p.factor.setValue(10);
    await p.deploy();
    expect(await p.out.pull()).toBe(0);
    expect(await p.out.pull()).toBe(10);
    p.factor.setValue(100);
    expect(await p.out.pull()).toBe(200);
    await p.undeploy();
  });

  it("runs the nested pipeline with ports: 0 1 2 3 4", async () => {
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
      readonly source = new CounterSource(this, "source");
      readonly inner = new Inner(this, "inner");
      readonly sink = new Collector(this, "sink");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.source.output, this.inner.in);
        new Connection(this.inner.out, this.sink.input);
      }
    }
    const p = new Outer(null, "outer");
    await p.deploy();
    for (let i = 0; i < 5; i++) await p.pull();
    expect(p.sink.values).toEqual([0, 1, 2, 3, 4]);
    expect(p.inner.out.getValue()).toBe(4);
    expect(p.inner.map.pulls).toBe(5);
    await p.undeploy();
  });
});

describe("pulling one output directly and reading values", () => {
  it("`await cell.output.pull()` pulls that cell (and what it needs) and returns the new value", async () => {
    const p = new ThreeCells(null, "p");
    await p.deploy();
    expect(await p.source.output1.pull()).toBe(0);
    expect(p.source.output2.getValue()).toBe(1);
    // The multiplier takes the values that direct pull made, then pulls the source afresh.
    expect(await p.multiplier.output.pull()).toBe(0);
    expect(await p.multiplier.output.pull()).toBe(-1);
    expect(p.printer.values).toEqual([]); // the printer was not pulled
    expect(p.log.filter((e) => e === "source")).toHaveLength(2);
    await p.undeploy();
  });

  it("a value pulled directly is still delivered to its connection once, not skipped or duplicated", async () => {
    const p = new ThreeCells(null, "p");
    await p.deploy();
    expect(await p.multiplier.output.pull()).toBe(0);
    await p.pull(); // the printer takes the value the direct pull made
    await p.pull();
    expect(p.printer.values).toEqual([0, -1]);
    await p.undeploy();
  });

  it("`output.getValue()` reads the value after the last pull, and throws NoValueError before any", async () => {
    const p = new ThreeCells(null, "p");
    await p.deploy();
    expect(() => p.multiplier.output.getValue()).toThrow(NoValueError);
    await p.pull();
    await p.pull();
    await p.pull();
    expect(p.multiplier.output.getValue()).toBe(2);
    expect(p.source.output1.getValue()).toBe(2);
    expect(p.source.output2.getValue()).toBe(1);
    expect(p.multiplier.inputA.getValue()).toBe(2);
    // Reading is not pulling: nothing runs again.
    expect(p.multiplier.output.getValue()).toBe(2);
    expect(p.printer.values).toEqual([0, -1, 2]);
    await p.undeploy();
  });

  it("an output that holds no value reports so through getValue(), and pulling it works from there", async () => {
    const p = new Pipeline(null, "p");
    const s = new CounterSource(p, "s");
    await p.deploy();
    const error = await rejectionOf(Promise.resolve().then(() => s.output.getValue()));
    expect(error).toBeInstanceOf(NoValueError);
    expect((error as Error).message).toContain("p.s.output");
    expect(await s.output.pull()).toBe(0);
    await p.undeploy();
  });
});
