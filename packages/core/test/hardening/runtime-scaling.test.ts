/**
 * Hardening, cases 7–8: scaling a deployed scalable cell. Scale-down lets the leaving
 * clone finish its item and resolves (also when the source feeds another cell too);
 * `scaleDown` removes the newest clone, even one that `scaleUp` is still starting.
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
} from "@cellflow/core";
import { Collect, NumberSource, ScalableDouble, pullOutcomes, settleOf, undeployQuietly } from "./util.js";

const deployed: Cell[] = [];
afterEach(async () => {
  for (const p of deployed.splice(0)) await undeployQuietly(p);
});

async function deploy(p: Pipeline): Promise<void> {
  deployed.push(p);
  await p.deploy();
}

describe("case 7: scaleDown(1) from 2 async clones to 1 while the source also feeds another cell", () => {
  function build() {
    const p = new Pipeline(null, "p");
    const source = new NumberSource(p, "source");
    const scalable = new ScalableDouble(p, "scalable");
    const doubled = new Collect(p, "doubled");
    const plain = new Collect(p, "plain");
    new Connection(source.output, scalable.input);
    new Connection(scalable.output, doubled.input);
    new Connection(source.output, plain.input);
    void scalable.scaleUp(2);
    return { p, scalable, doubled, plain };
  }

  for (const pulls of [0, 1, 2, 3]) {
    it(`case 7: scaleDown resolves after ${pulls} pull(s), and later pulls give the next values`, async () => {
      const { p, scalable, doubled, plain } = build();
      await deploy(p);
      expect(await pullOutcomes(p, pulls)).toEqual(Array(pulls).fill("ok"));
      expect(await settleOf(scalable.scaleDown(1))).toBe("ok");
      expect(scalable.cloneCount).toBe(1);
      expect(await pullOutcomes(p, 3)).toEqual(["ok", "ok", "ok"]);
      const n = pulls + 3;
      expect(doubled.values).toEqual(Array.from({ length: n }, (_, i) => 2 * i));
      expect(plain.values).toEqual(Array.from({ length: n }, (_, i) => i));
    });
  }
});

describe("case 8: scaleUp(1) then scaleDown(1), not awaited, on a deployed cell with one clone", () => {
  /** Every instance of `Tracked` (the template first), so a test can tell the clones apart. */
  const instances: Tracked[] = [];

  class Tracked extends SingleCell {
    readonly input = new Input<number>(this, "input");
    readonly output = new Output<number>(this, "output");
    readonly seen: number[] = [];
    undeployed = false;
    constructor(parent: CompositeCell | null, name: string) {
      super(parent, name);
      instances.push(this);
    }
    protected override onUndeploy(): void {
      this.undeployed = true;
    }
    protected async onPull(): Promise<void> {
      const x = await this.input.pull();
      this.seen.push(x);
      this.output.setValue(x + 1000);
    }
  }

  class ScalableTracked extends ScalableCell {
    readonly tracked = new Tracked(this, "tracked");
    readonly input = new InputPort<number>(this, "input");
    readonly output = new OutputPort<number>(this, "output");
    constructor(parent: CompositeCell | null, name: string) {
      super(parent, name);
      new Connection(this.input, this.tracked.input);
      new Connection(this.tracked.output, this.output);
    }
  }

  function build() {
    instances.length = 0;
    const p = new Pipeline(null, "p");
    const source = new NumberSource(p, "source");
    const scalable = new ScalableTracked(p, "scalable");
    const sink = new Collect(p, "sink");
    new Connection(source.output, scalable.input);
    new Connection(scalable.output, sink.input);
    void scalable.scaleUp(1);
    return { p, scalable, sink };
  }

  for (const pullsBefore of [0, 2]) {
    it(`case 8: the newest clone leaves, the first one keeps working (${pullsBefore} pulls before)`, async () => {
      const { p, scalable, sink } = build();
      await deploy(p);
      expect(await pullOutcomes(p, pullsBefore)).toEqual(Array(pullsBefore).fill("ok"));
      const up = scalable.scaleUp(1);
      const down = scalable.scaleDown(1);
      expect(await settleOf(up)).toBe("ok");
      expect(await settleOf(down)).toBe("ok");
      expect(scalable.cloneCount).toBe(1);
      expect(await pullOutcomes(p, 4)).toEqual(["ok", "ok", "ok", "ok"]);
      const n = pullsBefore + 4;
      expect(sink.values).toEqual(Array.from({ length: n }, (_, i) => i + 1000));
      // instances: [template, first clone, clone added by scaleUp]
      expect(instances).toHaveLength(3);
      const [, first, newest] = instances;
      expect(first!.undeployed).toBe(false);
      expect(newest!.undeployed).toBe(true);
      // The newest clone left before it ran anything; the first one ran every item, in order
      // (eager filling may have run it a few items further).
      expect(newest!.seen).toEqual([]);
      expect(first!.seen.slice(0, n)).toEqual(Array.from({ length: n }, (_, i) => i));
    });
  }

  it("case 8: a pull made between the two calls is served, and the cell keeps one working clone", async () => {
    const { p, scalable, sink } = build();
    await deploy(p);
    const up = scalable.scaleUp(1);
    const down = scalable.scaleDown(1);
    const pulled = p.pull();
    expect(await settleOf(pulled)).toBe("ok");
    expect(await settleOf(up)).toBe("ok");
    expect(await settleOf(down)).toBe("ok");
    expect(scalable.cloneCount).toBe(1);
    expect(await pullOutcomes(p, 3)).toEqual(["ok", "ok", "ok"]);
    expect(sink.values).toEqual([1000, 1001, 1002, 1003]);
    const [, first, newest] = instances;
    expect(first!.undeployed).toBe(false);
    expect(newest!.undeployed).toBe(true);
    expect(newest!.seen).toEqual([]);
  });
});

describe("SPEC 3.10: clones that are starting count", () => {
  for (const awaited of [false, true]) {
    it(`a pull right after scaleUp() on a cell deployed with no clones waits for them (${awaited ? "awaited" : "not awaited"})`, async () => {
      const p = new Pipeline(null, "p");
      const source = new NumberSource(p, "source");
      const scalable = new ScalableDouble(p, "scalable");
      const sink = new Collect(p, "sink");
      new Connection(source.output, scalable.input);
      new Connection(scalable.output, sink.input);
      await deploy(p);
      expect(await pullOutcomes(p, 1)).toEqual(["InactiveError"]); // nothing running or starting
      const up = scalable.scaleUp(2);
      expect(scalable.cloneCount).toBe(2);
      if (awaited) await up;
      expect(await pullOutcomes(p, 3)).toEqual(["ok", "ok", "ok"]);
      expect(await settleOf(up)).toBe("ok");
      // The failed pull used up no item: the stream starts at its first one.
      expect(sink.values).toEqual([0, 2, 4]);
    });
  }
});
