/**
 * SPEC 2.3 — exactly once per connection: an output with several outgoing connections
 * hands each value to each of them once, whatever order and concurrency they pull in;
 * concurrent pulls of one cell are serialized. Ends with a fast-check property over random
 * DAGs: every cell sees exactly what a plain sequential evaluation gives.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  Connection,
  Input,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { Collector, CounterSource, sleep, withinDeadline } from "./helpers.js";

/** A source feeding `n` collectors, one connection each. */
function fanOut(n: number) {
  const p = new Pipeline(null, "p");
  const source = new CounterSource(p, "source");
  const sinks = Array.from({ length: n }, (_, i) => new Collector(p, `sink${i}`));
  for (const s of sinks) new Connection(source.output, s.input);
  return { p, source, sinks };
}

describe("one output, several connections", () => {
  it("gives every connection every value once per pipeline pull", async () => {
    const { p, source, sinks } = fanOut(3);
    await p.deploy();
    for (let i = 0; i < 5; i++) await p.pull();
    for (const s of sinks) expect(s.values).toEqual([0, 1, 2, 3, 4]);
    expect(source.pulls).toBe(5);
    await p.undeploy();
  });

  it("makes a connection that pulls ahead wait until the others took the current value", async () => {
    const { p, source, sinks } = fanOut(2);
    const [a, b] = sinks as [Collector, Collector];
    await p.deploy();
    await a.pull();
    let secondDone = false;
    const second = a.pull().then(() => (secondDone = true));
    await sleep(5);
    expect(secondDone).toBe(false); // waits: b has not taken 0 yet
    expect(source.pulls).toBe(1);
    await b.pull();
    await withinDeadline(second);
    expect(a.values).toEqual([0, 1]);
    expect(b.values).toEqual([0]);
    await b.pull();
    expect(b.values).toEqual([0, 1]);
    expect(source.pulls).toBe(2);
    await p.undeploy();
  });

  it("serves every interleaving of direct consumer pulls without loss or duplication", async () => {
    // All schedules of 3 consumers pulled twice each (90 of them), launched at once or one
    // macrotask apart (by then the previous pull has either finished or parked).
    const schedules: number[][] = [];
    const build = (prefix: number[], left: number[]) => {
      if (left.every((n) => n === 0)) return void schedules.push(prefix);
      left.forEach((n, i) => {
        if (n > 0) build([...prefix, i], left.map((m, j) => (j === i ? m - 1 : m)));
      });
    };
    build([], [2, 2, 2]);
    expect(schedules).toHaveLength(90);
    for (const schedule of schedules) {
      for (const stepwise of [false, true]) {
        const { p, source, sinks } = fanOut(3);
        await p.deploy();
        const pulls: Array<Promise<unknown>> = [];
        for (const i of schedule) {
          pulls.push(sinks[i]!.pull());
          if (stepwise) await new Promise<void>((resolve) => setImmediate(resolve));
        }
        await withinDeadline(Promise.all(pulls));
        for (const s of sinks) expect(s.values).toEqual([0, 1]);
        expect(source.pulls).toBe(2);
        await p.undeploy();
      }
    }
  });

  it("serializes concurrent pulls of one cell", async () => {
    let running = 0;
    let maxRunning = 0;
    class Slow extends SingleCell {
      readonly output = new Output<number>(this, "output");
      private n = 0;
      protected async onPull() {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(1);
        running--;
        this.output.setValue(this.n++);
      }
    }
    const p = new Pipeline(null, "p");
    const slow = new Slow(p, "slow");
    await p.deploy();
    const values = await Promise.all(Array.from({ length: 5 }, () => slow.pull().then(() => slow.output.getValue())));
    expect(maxRunning).toBe(1);
    expect(values).toEqual([0, 1, 2, 3, 4]);
    await p.undeploy();
  });

  it("hands both outputs of one cell to their consumers in step", async () => {
    class Pair extends SingleCell {
      readonly x = new Output<number>(this, "x");
      readonly y = new Output<string>(this, "y");
      n = 0;
      protected onPull() {
        this.x.setValue(this.n);
        this.y.setValue(`v${this.n++}`);
      }
    }
    class Slow<T> extends Collector<T> {
      protected override async onPull() {
        await sleep(1);
        await super.onPull();
      }
    }
    const p = new Pipeline(null, "p");
    const pair = new Pair(p, "pair");
    const xs = new Collector<number>(p, "xs");
    const ys = new Slow<string>(p, "ys");
    new Connection(pair.x, xs.input);
    new Connection(pair.y, ys.input);
    await p.deploy();
    await Promise.all([p.pull(), p.pull(), p.pull()]);
    expect(xs.values).toEqual([0, 1, 2]);
    expect(ys.values).toEqual(["v0", "v1", "v2"]);
    expect(pair.n).toBe(3);
    await p.undeploy();
  });

  it("delivers to two inputs of one cell fed by the same output, pulled concurrently", async () => {
    class Both extends SingleCell {
      readonly a = new Input<number>(this, "a");
      readonly b = new Input<number>(this, "b");
      readonly seen: Array<[number, number]> = [];
      protected async onPull() {
        this.seen.push(await Promise.all([this.a.pull(), this.b.pull()]));
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const both = new Both(p, "both");
    new Connection(source.output, both.a);
    new Connection(source.output, both.b);
    await p.deploy();
    for (let i = 0; i < 3; i++) await p.pull();
    expect(both.seen).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
    await p.undeploy();
  });

  it("gives concurrent pulls of one input consecutive values, in call order", async () => {
    // The source sets its output before its pull settles, so a later pull could see the
    // fresh value before the pull that asked for it takes it.
    class SetsEarly extends SingleCell {
      readonly output = new Output<number>(this, "output");
      private n = 0;
      protected async onPull() {
        await Promise.resolve();
        this.output.setValue(this.n++);
        for (let i = 0; i < 3; i++) await Promise.resolve();
      }
    }
    class AllAtOnce extends SingleCell {
      readonly input = new Input<number>(this, "input");
      readonly batches: number[][] = [];
      protected async onPull() {
        const pulls = [this.input.pull()];
        await Promise.resolve();
        pulls.push(this.input.pull());
        for (let i = 0; i < 4; i++) await Promise.resolve();
        pulls.push(this.input.pull(), this.input.pull());
        this.batches.push(await Promise.all(pulls));
      }
    }
    const p = new Pipeline(null, "p");
    const source = new SetsEarly(p, "source");
    const batcher = new AllAtOnce(p, "batcher");
    new Connection(source.output, batcher.input);
    await p.deploy();
    await withinDeadline(p.pull());
    await withinDeadline(p.pull());
    expect(batcher.batches).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
    ]);
    await p.undeploy();
  });

  it("hands each value of an input port to each inner connection once", async () => {
    class Inner extends Pipeline {
      readonly in = new InputPort<number>(this, "in");
      readonly left = new Collector(this, "left");
      readonly right = new Collector(this, "right");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.in, this.left.input);
        new Connection(this.in, this.right.input);
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const inner = new Inner(p, "inner");
    const outside = new Collector(p, "outside");
    new Connection(source.output, inner.in);
    new Connection(source.output, outside.input);
    await p.deploy();
    await Promise.all([p.pull(), p.pull(), p.pull(), p.pull()]);
    expect(inner.left.values).toEqual([0, 1, 2, 3]);
    expect(inner.right.values).toEqual([0, 1, 2, 3]);
    expect(outside.values).toEqual([0, 1, 2, 3]);
    expect(source.pulls).toBe(4);
    await p.undeploy();
  });
});

// ---- property: random DAGs ---------------------------------------------------------------
//
// A random DAG of cells, each with two outputs. Some cells are wrapped in one or two nested
// pipelines with ports. Some cells batch: they pull an input several times per pull, so
// the consumers of one output run at different rates and must wait for each other within
// one pipeline pull. Cells yield microtasks or macrotasks at random points, and pull their
// inputs one by one or all at once. Every cell must see exactly what a plain sequential
// evaluation of the same graph gives.

type Delay = { kind: "none" } | { kind: "micro"; n: number } | { kind: "macro" };

interface NodeSpec {
  /** Each input reads output `output` (0 or 1) of an earlier node `from`. */
  readonly inputs: ReadonlyArray<{ from: number; output: number }>;
  /** 0: a plain cell; 1 or 2: wrapped in that many nested pipelines with ports. */
  readonly nesting: number;
  /** Pull everything at once (Promise.all) instead of one value after the other (see `mustPullAtOnce`). */
  readonly concurrentInputs: boolean;
  /** In which order the inputs are pulled (a permutation of input indices). */
  readonly inputOrder: readonly number[];
  /** Whether this node runs twice as often as its fastest consumer (if that stays <= 8). */
  readonly grow: boolean;
  /** Waits before each input pull and before setting the outputs, used cyclically. */
  readonly delays: readonly Delay[];
}

interface DagSpec {
  readonly nodes: readonly NodeSpec[];
  readonly pulls: number;
  readonly concurrentPulls: boolean;
}

const MOD = 1_000_003;

/** What node `i` outputs on its `t`-th pull, given its input values. */
function compute(i: number, t: number, inputs: readonly number[]): [number, number] {
  let out0 = inputs.length === 0 ? 1000 * i + t : i;
  inputs.forEach((x, k) => (out0 = (out0 + (k + 2) * x) % MOD));
  return [out0, (out0 * 7 + 3) % MOD];
}

/**
 * How often each node runs per pipeline pull. A sink runs once; any other node runs as
 * often as its fastest consumer, or twice that. All rates are powers of two, so every
 * consumer pulls each input a whole number of times (`rate[from] / rate[to]`) per pull.
 */
function rates(spec: DagSpec): number[] {
  const rate: number[] = spec.nodes.map(() => 1);
  for (let j = spec.nodes.length - 1; j >= 0; j--) {
    let fastest = 0;
    spec.nodes.forEach((node, i) => {
      if (node.inputs.some((e) => e.from === j)) fastest = Math.max(fastest, rate[i]!);
    });
    if (fastest > 0) rate[j] = spec.nodes[j]!.grow && fastest < 8 ? 2 * fastest : fastest;
  }
  return rate;
}

/** The plain sequential evaluation: every node's pulls, each seeing input values then outputs. */
function reference(spec: DagSpec): number[][][] {
  const rate = rates(spec);
  const outs: Array<Array<[number, number]>> = [];
  return spec.nodes.map((node, i) => {
    const seen: number[][] = [];
    outs.push([]);
    for (let t = 0; t < rate[i]! * spec.pulls; t++) {
      const values = node.inputs.flatMap((e) => {
        const times = rate[e.from]! / rate[i]!;
        return Array.from({ length: times }, (_, q) => outs[e.from]![t * times + q]![e.output]!);
      });
      const out = compute(i, t, values);
      outs[i]!.push(out);
      seen.push([...values, ...out]);
    }
    return seen;
  });
}

async function wait(delay: Delay): Promise<void> {
  if (delay.kind === "micro") for (let k = 0; k < delay.n; k++) await Promise.resolve();
  else if (delay.kind === "macro") await new Promise<void>((resolve) => setImmediate(resolve));
}

class NodeCell extends SingleCell {
  readonly ins: Array<Input<number>> = [];
  readonly outs = [new Output<number>(this, "out0"), new Output<number>(this, "out1")] as const;
  /** Per pull: input values (by input, then by pull), then both outputs. */
  readonly seen: number[][] = [];
  private spec!: NodeSpec;
  private index = 0;
  /** How many times each input is pulled per pull of this cell. */
  private times: number[] = [];
  private concurrent = false;
  private t = 0;
  private step = 0;

  setUp(index: number, spec: NodeSpec, times: number[], mustPullAtOnce: boolean): void {
    this.index = index;
    this.spec = spec;
    this.times = times;
    this.concurrent = spec.concurrentInputs || mustPullAtOnce;
    spec.inputs.forEach((_, k) => this.ins.push(new Input<number>(this, `in${k}`)));
  }

  private nextDelay(): Promise<void> {
    return wait(this.spec.delays[this.step++ % this.spec.delays.length]!);
  }

  protected async onPull(): Promise<void> {
    const values = this.times.map((n) => new Array<number>(n));
    const calls = this.times.map(() => 0);
    const pullOne = async (k: number) => {
      await this.nextDelay();
      // Pulls of one input get consecutive values in the order they were called.
      const slot = calls[k]!++;
      values[k]![slot] = await this.ins[k]!.pull();
    };
    const order = this.spec.inputOrder.flatMap((k) => Array.from({ length: this.times[k]! }, () => k));
    if (this.concurrent) await Promise.all(order.map(pullOne));
    else for (const k of order) await pullOne(k);
    await this.nextDelay();
    const flat = values.flat();
    const [out0, out1] = compute(this.index, this.t++, flat);
    this.outs[0].setValue(out0);
    this.outs[1].setValue(out1);
    this.seen.push([...flat, out0, out1]);
  }
}

/** A pipeline around one node (a cell or another wrapper), with one port per input and output. */
class Wrapper extends Pipeline {
  readonly ins: Array<InputPort<number>> = [];
  readonly outs: Array<OutputPort<number>> = [];

  setUp(index: number, spec: NodeSpec, times: number[], mustPullAtOnce: boolean, depth: number): NodeCell {
    const inner = depth > 1 ? new Wrapper(this, "wrapper") : new NodeCell(this, "node");
    let cell: NodeCell;
    if (inner instanceof Wrapper) cell = inner.setUp(index, spec, times, mustPullAtOnce, depth - 1);
    else (cell = inner).setUp(index, spec, times, mustPullAtOnce);
    spec.inputs.forEach((_, k) => {
      const port = new InputPort<number>(this, `in${k}`);
      this.ins.push(port);
      new Connection(port, inner.ins[k]!);
    });
    for (let m = 0; m < 2; m++) {
      const port = new OutputPort<number>(this, `out${m}`);
      this.outs.push(port);
      new Connection(inner.outs[m]!, port);
    }
    return cell;
  }
}

/**
 * Which nodes must pull all their input values at once: those that batch or have a batching
 * cell upstream. A cell pulling one value after the other there can wait forever: it waits
 * for a sibling consumer of some output to take a value, and that sibling is only pulled
 * through an input the cell would pull later. That deadlock is the rule of SPEC 2.3 working
 * as specified (PyPipeline's too), not what this property is about.
 */
function mustPullAtOnce(spec: DagSpec): boolean[] {
  const rate = rates(spec);
  const result: boolean[] = [];
  spec.nodes.forEach((node, i) => {
    result.push(node.inputs.some((e) => rate[e.from] !== rate[i] || result[e.from]!));
  });
  return result;
}

function buildDag(spec: DagSpec): { pipeline: Pipeline; cells: NodeCell[] } {
  const rate = rates(spec);
  const atOnce = mustPullAtOnce(spec);
  const pipeline = new Pipeline(null, "dag");
  const nodes: Array<NodeCell | Wrapper> = [];
  const cells: NodeCell[] = [];
  spec.nodes.forEach((node, i) => {
    const times = node.inputs.map((e) => rate[e.from]! / rate[i]!);
    if (node.nesting === 0) {
      const cell = new NodeCell(pipeline, `n${i}`);
      cell.setUp(i, node, times, atOnce[i]!);
      nodes.push(cell);
      cells.push(cell);
    } else {
      const wrapper = new Wrapper(pipeline, `n${i}`);
      cells.push(wrapper.setUp(i, node, times, atOnce[i]!, node.nesting));
      nodes.push(wrapper);
    }
    node.inputs.forEach((e, k) => new Connection(nodes[e.from]!.outs[e.output]!, nodes[i]!.ins[k]!));
  });
  return { pipeline, cells };
}

const delayArb: fc.Arbitrary<Delay> = fc.oneof(
  fc.constant({ kind: "none" as const }),
  fc.record({ kind: fc.constant("micro" as const), n: fc.integer({ min: 1, max: 4 }) }),
  fc.constant({ kind: "macro" as const }),
);

function nodeArb(i: number): fc.Arbitrary<NodeSpec> {
  const inputs =
    i === 0 ? fc.constant([]) : fc.array(fc.record({ from: fc.nat(i - 1), output: fc.nat(1) }), { maxLength: 3 });
  return inputs.chain((ins) =>
    fc.record({
      inputs: fc.constant(ins),
      nesting: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 1, max: 2 }) }),
      concurrentInputs: fc.boolean(),
      inputOrder: fc.shuffledSubarray(
        ins.map((_, k) => k),
        { minLength: ins.length, maxLength: ins.length },
      ),
      grow: fc.boolean(),
      delays: fc.array(delayArb, { minLength: 1, maxLength: 4 }),
    }),
  );
}

const dagArb: fc.Arbitrary<DagSpec> = fc.integer({ min: 1, max: 8 }).chain((n) =>
  fc.record({
    nodes: fc.tuple(...Array.from({ length: n }, (_, i) => nodeArb(i))),
    pulls: fc.integer({ min: 1, max: 4 }),
    concurrentPulls: fc.boolean(),
  }),
);

describe("random DAGs (property)", () => {
  it("every cell sees exactly what a sequential evaluation gives, whatever the delays and rates", async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, async (spec) => {
        const { pipeline, cells } = buildDag(spec);
        await pipeline.deploy();
        try {
          const pull = () => withinDeadline(pipeline.pull(), 2_000);
          if (spec.concurrentPulls) await Promise.all(Array.from({ length: spec.pulls }, pull));
          else for (let i = 0; i < spec.pulls; i++) await pull();
        } finally {
          await pipeline.undeploy();
        }
        expect(cells.map((c) => c.seen)).toEqual(reference(spec));
      }),
      { numRuns: 150 },
    );
  });

  it("generates what it claims: several sinks, nesting, batching, wide fan-out, twin edges", () => {
    const samples = fc.sample(dagArb, { numRuns: 150, seed: 42 });
    const sinkCounts = samples.map((spec) => buildDag(spec).pipeline.topology().sinks.length);
    expect(Math.max(...sinkCounts)).toBeGreaterThan(2);
    expect(samples.some((s) => s.nodes.some((n) => n.nesting === 2))).toBe(true);
    expect(samples.some((s) => rates(s).some((r) => r >= 4))).toBe(true);
    // One output feeding consumers that pull it at different rates.
    expect(
      samples.some((s) => {
        const rate = rates(s);
        return s.nodes.some((_, j) => new Set(s.nodes.flatMap((n, i) => (n.inputs.some((e) => e.from === j) ? [rate[j]! / rate[i]!] : []))).size > 1);
      }),
    ).toBe(true);
    // Two inputs of one cell fed by the same output.
    expect(samples.some((s) => s.nodes.some((n) => new Set(n.inputs.map((e) => `${e.from}.${e.output}`)).size < n.inputs.length))).toBe(true);
    const fanOuts = samples.map((s) => {
      const counts = new Map<string, number>();
      for (const n of s.nodes) for (const e of n.inputs) counts.set(`${e.from}.${e.output}`, (counts.get(`${e.from}.${e.output}`) ?? 0) + 1);
      return Math.max(0, ...counts.values());
    });
    expect(Math.max(...fanOuts)).toBeGreaterThanOrEqual(3);
  });
});
