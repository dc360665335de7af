/**
 * Hardening, cases 12, 13 and 15: reset(). After a reset the stream starts over at its
 * first item, cleanly: whatever failed before the reset, whatever pull, eager filling or
 * scaling call was in flight when it came. (Case 14 is in reset-in-flight.test.ts.)
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
import { ScalableTwice } from "./fixtures.js";
import { Collect, DoubleCell, NumberSource, ScalableAdd, ScalableDouble, pullOutcomes, settleOf, ticks, undeployQuietly, withinDeadline } from "./util.js";

const deployed: Cell[] = [];
afterEach(async () => {
  for (const p of deployed.splice(0)) await undeployQuietly(p);
});

async function deploy(p: Pipeline): Promise<void> {
  deployed.push(p);
  await withinDeadline(p.deploy(), 10_000);
}

const RESET_DEADLINE_MS = 5_000;

describe("case 12: a cell failed on an item before reset()", () => {
  /** A fresh class per test: x * 10, failing once, on the first run of item 1. */
  function failingOnce() {
    let failed = false;
    class TenfoldFailingOnce extends SingleCell {
      readonly input = new Input<number>(this, "input");
      readonly output = new Output<number>(this, "output");
      protected async onPull(): Promise<void> {
        const x = await this.input.pull();
        if (x === 1 && !failed) {
          failed = true;
          throw new Error("fails once, on item 1");
        }
        this.output.setValue(10 * x);
      }
    }
    class ScalableTenfold extends ScalableCell {
      readonly inner = new TenfoldFailingOnce(this, "inner");
      readonly input = new InputPort<number>(this, "input");
      readonly output = new OutputPort<number>(this, "output");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.input, this.inner.input);
        new Connection(this.inner.output, this.output);
      }
    }
    return { TenfoldFailingOnce, ScalableTenfold };
  }

  for (const clones of [0, 1, 2]) {
    for (const pullsBefore of [2, 3]) {
      const label = `${clones === 0 ? "unscaled" : `${clones} async clone(s)`}, ${pullsBefore} pulls before the reset`;
      it(`case 12: the pulls after the reset give 0, 10, 20, all succeeding (${label})`, async () => {
        const { TenfoldFailingOnce, ScalableTenfold } = failingOnce();
        const p = new Pipeline(null, "p");
        const source = new NumberSource(p, "source");
        const sink = new Collect(p, "sink");
        if (clones === 0) {
          const f = new TenfoldFailingOnce(p, "f");
          new Connection(source.output, f.input);
          new Connection(f.output, sink.input);
        } else {
          const f = new ScalableTenfold(p, "f");
          void f.scaleUp(clones);
          new Connection(source.output, f.input);
          new Connection(f.output, sink.input);
        }
        await deploy(p);
        const failure = clones === 0 ? "CellPullError(p.f)" : "CellPullError(p.f.inner)";
        expect(await pullOutcomes(p, pullsBefore)).toEqual(["ok", failure, "ok"].slice(0, pullsBefore));
        expect(await settleOf(p.reset(), RESET_DEADLINE_MS)).toBe("ok");
        expect(sink.values).toEqual([]);
        expect(await pullOutcomes(p, 3)).toEqual(["ok", "ok", "ok"]);
        expect(sink.values).toEqual([0, 10, 20]);
      });
    }
  }
});

describe("case 13: reset() a few microtasks after a pull, while eager filling runs", () => {
  /** source -> two scalable doublers (one with queue capacity 1) -> collectors. */
  function build() {
    const p = new Pipeline(null, "p");
    const source = new NumberSource(p, "source");
    const wide = new ScalableDouble(p, "wide");
    const narrow = new ScalableDouble(p, "narrow");
    narrow.queueCapacity.setValue(1);
    // Nothing here is ever really stuck: a short grace keeps a reset that waits for a
    // manager that never finishes from taking seconds.
    wide.stopGraceMs.setValue(300);
    narrow.stopGraceMs.setValue(300);
    const c1 = new Collect(p, "c1");
    const c2 = new Collect(p, "c2");
    new Connection(source.output, wide.input);
    new Connection(source.output, narrow.input);
    new Connection(wide.output, c1.input);
    new Connection(narrow.output, c2.input);
    void wide.scaleUp(2);
    void narrow.scaleUp(1);
    return { p, c1, c2 };
  }

  for (const pullsBefore of [0, 1, 2]) {
    it(`case 13: the stream restarts at its first item for every k in 0..10 (${pullsBefore} pulls before)`, async () => {
      const wrong: string[] = [];
      for (let k = 0; k <= 10; k++) {
        const { p, c1, c2 } = build();
        await deploy(p);
        try {
          expect(await pullOutcomes(p, pullsBefore)).toEqual(Array(pullsBefore).fill("ok"));
          const inFlight = p.pull();
          inFlight.catch(() => undefined);
          await ticks(k);
          const reset = await settleOf(p.reset(), RESET_DEADLINE_MS);
          await settleOf(inFlight); // cut short or finished: either is fine
          const after = await pullOutcomes(p, 3);
          const got = JSON.stringify({ reset, after, c1: c1.values, c2: c2.values });
          const want = JSON.stringify({ reset: "ok", after: ["ok", "ok", "ok"], c1: [0, 2, 4], c2: [0, 2, 4] });
          if (got !== want) wrong.push(`k=${k}: ${got}`);
        } finally {
          await undeployQuietly(p);
        }
      }
      expect(wrong).toEqual([]);
    });
  }
});

describe("case 15: reset() while pulls and scaleUp/scaleDown calls are in flight", () => {
  type Method = "async" | "thread";

  function build(clones: number, method: Method) {
    const p = new Pipeline(null, "p");
    const source = new NumberSource(p, "source");
    const scalable = new ScalableTwice(p, "scalable");
    const sink = new Collect(p, "sink");
    new Connection(source.output, scalable.input);
    new Connection(scalable.output, sink.input);
    void scalable.scaleUp(clones, method);
    return { p, scalable, sink };
  }

  type Step = "pull" | "up" | "down" | "reset";
  const scenarios: Array<{ clones: number; steps: Step[]; expectedClones: number; method?: Method }> = [
    { clones: 1, steps: ["pull", "up", "reset"], expectedClones: 2 },
    { clones: 1, steps: ["pull", "up", "reset", "down"], expectedClones: 1 },
    { clones: 1, steps: ["up", "pull", "reset", "pull"], expectedClones: 2 },
    { clones: 2, steps: ["pull", "down", "reset"], expectedClones: 1 },
    { clones: 2, steps: ["pull", "down", "reset", "pull"], expectedClones: 1 },
    { clones: 2, steps: ["down", "pull", "reset", "up", "pull"], expectedClones: 2 },
    { clones: 1, steps: ["up", "down", "pull", "reset", "pull"], expectedClones: 1 },
    { clones: 1, steps: ["pull", "up", "reset", "pull"], expectedClones: 2, method: "thread" },
    { clones: 2, steps: ["pull", "down", "up", "reset", "pull"], expectedClones: 2, method: "thread" },
  ];

  for (const { clones, steps, expectedClones, method = "async" } of scenarios) {
    it(`case 15: after ${clones} ${method} clone(s) and ${steps.join(", ")} (not awaited), the stream starts over with ${expectedClones} clone(s)`, async () => {
      const { p, scalable, sink } = build(clones, method);
      await deploy(p);
      expect(await pullOutcomes(p, 2, 3_000)).toEqual(["ok", "ok"]);
      const pending: Promise<unknown>[] = [];
      for (const step of steps) {
        const started =
          step === "pull"
            ? p.pull()
            : step === "up"
              ? scalable.scaleUp(1, method)
              : step === "down"
                ? scalable.scaleDown(1)
                : p.reset();
        started.catch(() => undefined);
        pending.push(started);
      }
      // Everything settles (each may succeed, or a pull may be cut short by the reset).
      const settled = await Promise.all(pending.map((s) => settleOf(s, RESET_DEADLINE_MS)));
      expect(settled.filter((s) => s === "hang")).toEqual([]);
      const scalingOutcomes = settled.filter((_, i) => steps[i] !== "pull");
      expect(scalingOutcomes).toEqual(scalingOutcomes.map(() => "ok"));
      // A pull started after the reset call may land in either stream; when there is one,
      // start over from one more reset. Otherwise the pipeline is at the start already.
      if (steps.slice(steps.indexOf("reset")).includes("pull")) {
        expect(await settleOf(p.reset(), RESET_DEADLINE_MS)).toBe("ok");
      }
      expect(scalable.cloneCount).toBe(expectedClones);
      expect(await pullOutcomes(p, 4, 3_000)).toEqual(["ok", "ok", "ok", "ok"]);
      expect(sink.values).toEqual([0, 2, 4, 6]);
      expect(scalable.cloneCount).toBe(expectedClones);
    });
  }
});

describe("reset() with a recurrent cycle of scalable cells read by an eager scalable cell (found by the stress suite)", () => {
  /** b.output starts at 5: a = b(previous) + source, b = 2 a; `reader` (eager) doubles a. */
  class ScalableDoubleFrom5 extends ScalableCell {
    readonly double = new DoubleCell(this, "double");
    readonly input = new InputPort<number>(this, "input");
    readonly output = new OutputPort<number>(this, "output", { initialValue: 5 });
    constructor(parent: CompositeCell | null, name: string) {
      super(parent, name);
      new Connection(this.input, this.double.input);
      new Connection(this.double.output, this.output);
    }
  }

  it("starts over with the same values: no manager reads the cycle before every cell is reset", async () => {
    const p = new Pipeline(null, "p");
    const source = new NumberSource(p, "source");
    const a = new ScalableAdd(p, "a");
    // Declared before b, so it comes before b in the execution order (and in reset order).
    const reader = new ScalableDouble(p, "reader");
    const b = new ScalableDoubleFrom5(p, "b");
    const cycle = new Collect(p, "cycle");
    const read = new Collect(p, "read");
    new Connection(b.output, a.a); // recurrent: closes the cycle a -> b
    new Connection(source.output, a.b);
    new Connection(a.output, b.input);
    new Connection(b.output, cycle.input);
    new Connection(a.output, reader.input);
    new Connection(reader.output, read.input);
    void a.scaleUp(2);
    void b.scaleUp(2);
    void reader.scaleUp(2); // not on the cycle: fills ahead, so it pulls `a` as soon as it can
    await deploy(p);
    // a: 5, 11, 24; b: 10, 22, 48; reader: 10, 22, 48
    expect(await pullOutcomes(p, 3)).toEqual(["ok", "ok", "ok"]);
    expect(cycle.values).toEqual([10, 22, 48]);
    expect(read.values).toEqual([10, 22, 48]);
    expect(await settleOf(p.reset(), RESET_DEADLINE_MS)).toBe("ok");
    expect(await pullOutcomes(p, 3)).toEqual(["ok", "ok", "ok"]);
    expect(cycle.values).toEqual([10, 22, 48]);
    expect(read.values).toEqual([10, 22, 48]);
  });
});
