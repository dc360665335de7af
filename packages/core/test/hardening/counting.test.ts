/**
 * Hardening, case 16: counting. `availablePulls()` of a pipeline counts the items a
 * scalable cell already holds in its queue, also when the scalable cell sits inside a
 * nested pipeline, and never dips while a clone manager is pulling its inputs.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Connection, InputPort, Output, OutputPort, Pipeline, SingleCell, type Cell, type CompositeCell } from "@cellflow/core";
import { Collect, ScalableDouble, pullOutcomes, turn, undeployQuietly, withinDeadline } from "./util.js";

const deployed: Cell[] = [];
afterEach(async () => {
  for (const p of deployed.splice(0)) await undeployQuietly(p);
});

/** Emits 0, 1, 2, then ends; each pull takes a macrotask turn, so a manager is seen mid-pull. */
class SlowThree extends SingleCell {
  readonly output = new Output<number>(this, "output");
  n = 0;
  protected async onPull(): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    this.output.setValue(this.n++);
  }
  protected override remainingPulls(): number {
    return 3 - this.n;
  }
}

/** A pipeline around a scalable doubler: input -> scalable -> output. */
class Nested extends Pipeline {
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");
  readonly scalable = new ScalableDouble(this, "scalable");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.scalable.input);
    new Connection(this.scalable.output, this.output);
  }
}

function build(nested: boolean, clones: number) {
  const p = new Pipeline(null, "p");
  const source = new SlowThree(p, "source");
  const sink = new Collect(p, "sink");
  if (nested) {
    const inner = new Nested(p, "inner");
    void inner.scalable.scaleUp(clones);
    new Connection(source.output, inner.input);
    new Connection(inner.output, sink.input);
  } else {
    const scalable = new ScalableDouble(p, "scalable");
    void scalable.scaleUp(clones);
    new Connection(source.output, scalable.input);
    new Connection(scalable.output, sink.input);
  }
  return { p, sink };
}

/**
 * The distinct values of availablePulls() seen now, after each microtask tick and after
 * each macrotask turn, over `turns` turns (eager filling runs meanwhile).
 */
async function sample(p: Pipeline, turns = 12): Promise<number[]> {
  const seen = [p.availablePulls()];
  for (let i = 0; i < turns; i++) {
    for (let t = 0; t < 20; t++) {
      await Promise.resolve();
      seen.push(p.availablePulls());
    }
    await turn();
    seen.push(p.availablePulls());
  }
  return [...new Set(seen)];
}

describe("case 16: availablePulls() counts the items a scalable cell holds", () => {
  for (const nested of [false, true]) {
    for (const clones of [1, 2]) {
      const where = nested ? "inside a nested pipeline" : "directly in the pipeline (reference)";
      it(`case 16: reads 3, 2, 1 before the pulls of a 3-item stream, and 0 after (scalable cell ${where}, ${clones} clone(s))`, async () => {
        const { p, sink } = build(nested, clones);
        deployed.push(p);
        await withinDeadline(p.deploy());
        const before: number[][] = [];
        for (let i = 0; i < 3; i++) {
          before.push(await sample(p));
          expect(await pullOutcomes(p, 1)).toEqual(["ok"]);
        }
        before.push(await sample(p));
        expect(before).toEqual([[3], [2], [1], [0]]);
        expect(sink.values).toEqual([0, 2, 4]);
        expect(await pullOutcomes(p, 1)).toEqual(["EndOfStreamError"]);
      });
    }
  }
});
