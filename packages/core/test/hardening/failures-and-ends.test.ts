/**
 * Hardening, cases 4–6: pulls after a failure or past the end. A pipeline pull takes
 * every output port's value for the iteration even when a sink failed, so the next pull
 * works; once a source has no pulls left, EVERY further pull raises EndOfStreamError
 * (never a hang), also through scalable cells.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
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
import { Collect, NumberSource, doubler, outcomeOf, pullOutcomes, undeployQuietly, withinDeadline, PULL_DEADLINE_MS } from "./util.js";

const deployed: Cell[] = [];
afterEach(async () => {
  for (const p of deployed.splice(0)) await undeployQuietly(p);
});

async function deploy(p: Pipeline): Promise<void> {
  deployed.push(p);
  await p.deploy();
}

/** Pulls `n` times; after each successful pull records the pipeline's `out` port value. */
async function pullWithOutputs(p: Pipeline, n: number) {
  const outcomes: string[] = [];
  const outs: unknown[] = [];
  for (let i = 0; i < n; i++) {
    try {
      await withinDeadline(p.pull(), PULL_DEADLINE_MS);
      outcomes.push("ok");
      outs.push(p.outputValues().out);
    } catch (error) {
      const outcome = outcomeOf(error);
      outcomes.push(outcome);
      if (outcome === "hang") break;
    }
  }
  return { outcomes, outs };
}

/** x * 10; fails on x = 1. */
class TenfoldFailingOnOne extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  protected async onPull(): Promise<void> {
    const x = await this.input.pull();
    if (x === 1) throw new Error("fails on item 1");
    this.output.setValue(10 * x);
  }
}

class ScalableTenfold extends ScalableCell {
  readonly inner = new TenfoldFailingOnOne(this, "inner");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.inner.input);
    new Connection(this.inner.output, this.output);
  }
}

describe("case 4: a failing cell feeds a sibling and the pipeline's own OutputPort", () => {
  for (const clones of [0, 1]) {
    const label = clones === 0 ? "plain cell" : `scalable cell, ${clones} async clone(s)`;
    it(`case 4: the pull after the failure works and the port takes every iteration's value (${label})`, async () => {
      const p = new Pipeline(null, "p");
      const out = new OutputPort<number>(p, "out");
      const source = new NumberSource(p, "source");
      let f: { input: ConnectionTarget<number>; output: ConnectionSource<number> };
      if (clones === 0) f = new TenfoldFailingOnOne(p, "f");
      else {
        const s = new ScalableTenfold(p, "f");
        void s.scaleUp(clones);
        f = s;
      }
      const sibling = new Collect(p, "sibling");
      new Connection(source.output, f.input);
      new Connection(f.output, sibling.input);
      new Connection(f.output, out);
      await deploy(p);
      const { outcomes, outs } = await pullWithOutputs(p, 4);
      const failure = clones === 0 ? "CellPullError(p.f)" : "CellPullError(p.f.inner)";
      expect(outcomes).toEqual(["ok", failure, "ok", "ok"]);
      expect(sibling.values).toEqual([0, 20, 30]);
      expect(outs).toEqual([0, 20, 30]);
    });
  }
});

describe("case 5: a finite source feeds a sink and the pipeline's own OutputPort", () => {
  it("case 5: every pull past the end raises EndOfStreamError", async () => {
    const p = new Pipeline(null, "p");
    const out = new OutputPort<number>(p, "out");
    const source = new NumberSource(p, "source");
    source.limit = 2;
    const sink = new Collect(p, "sink");
    new Connection(source.output, sink.input);
    new Connection(source.output, out);
    await deploy(p);
    const { outcomes, outs } = await pullWithOutputs(p, 6);
    expect(outcomes).toEqual(["ok", "ok", "EndOfStreamError", "EndOfStreamError", "EndOfStreamError", "EndOfStreamError"]);
    expect(sink.values).toEqual([0, 1]);
    expect(outs).toEqual([0, 1]);
  });

  it("case 5: the same with a synchronous source and a mapping cell in between", async () => {
    const p = new Pipeline(null, "p");
    const out = new OutputPort<number>(p, "out");
    const source = new NumberSource(p, "source");
    source.limit = 3;
    source.sync = true;
    const d = doubler(p, "d", 0);
    const sink = new Collect(p, "sink");
    new Connection(source.output, d.input);
    new Connection(d.output, sink.input);
    new Connection(d.output, out);
    await deploy(p);
    const { outcomes, outs } = await pullWithOutputs(p, 6);
    expect(outcomes).toEqual(["ok", "ok", "ok", "EndOfStreamError", "EndOfStreamError", "EndOfStreamError"]);
    expect(sink.values).toEqual([0, 2, 4]);
    expect(outs).toEqual([0, 2, 4]);
  });
});

describe("case 6: a finite source feeds a scalable cell and a plain cell", () => {
  for (const clones of [0, 1, 2]) {
    const label = clones === 0 ? "unscaled (reference)" : `${clones} async clone(s)`;
    it(`case 6: past the end, EndOfStreamError every time (${label})`, async () => {
      const p = new Pipeline(null, "p");
      const source = new NumberSource(p, "source");
      source.limit = 3;
      const d = doubler(p, "scaled", clones);
      const doubled = new Collect(p, "doubled");
      const plain = new Collect(p, "plain");
      new Connection(source.output, d.input);
      new Connection(d.output, doubled.input);
      new Connection(source.output, plain.input);
      await deploy(p);
      const outcomes = await pullOutcomes(p, 7);
      expect(outcomes).toEqual(["ok", "ok", "ok", ...Array(4).fill("EndOfStreamError")]);
      expect(doubled.values).toEqual([0, 2, 4]);
      expect(plain.values).toEqual([0, 1, 2]);
    });
  }
});
