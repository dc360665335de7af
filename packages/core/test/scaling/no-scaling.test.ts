/**
 * SPEC 3.9 — the "no-scaling" strategy runs the inner cell inline, for debugging: one
 * clone, run by each pull, no queue and no eager filling. It must give the same results
 * as the queue strategy: values, order, errors, skip connections, end of stream, and
 * InactiveError when not scaled up.
 */
import { describe, expect, it } from "vitest";
import {
  CellPullError,
  Connection,
  InactiveError,
  InputPort,
  OutputPort,
  Pipeline,
  ScalableCell,
  type CompositeCell,
  type ScalingStrategyName,
} from "@cellflow/core";
import { Collector, CounterSource, line, pullEach, sleep, workerClass, yields } from "./cells.js";

/** Runs the same uneven, sometimes failing, finite pipeline with a strategy; returns what the user sees. */
async function observe(strategy: ScalingStrategyName, clones: number) {
  const { p, scalable, sink, stats, template } = line(
    async (x, self) => {
      await (x % 4 === 0 ? sleep(1) : yields(x % 3));
      if (x % 5 === 3) throw new Error(`bad ${x}`);
      return x * self.factor.getValue();
    },
    { limit: 14 },
  );
  scalable.scalingStrategy.setValue(strategy);
  template.factor.setValue(3);
  await scalable.scaleUp(clones);
  await p.deploy();
  const outcomes = (await pullEach(p, 16)).map((o) =>
    o === undefined ? "ok" : o instanceof CellPullError ? `${o.name} ${o.cellPath} ${(o.cause as Error).message}` : (o as Error).name,
  );
  const result = { outcomes, values: [...sink.values], running: stats.instances.filter((w) => w !== template).length };
  await p.undeploy();
  return result;
}

describe('scalingStrategy "no-scaling"', () => {
  it("gives the same values, order, errors and end of stream as the queue strategy", async () => {
    const queued = await observe("queue", 3);
    const inline = await observe("no-scaling", 3);
    expect(inline.outcomes).toEqual(queued.outcomes);
    expect(inline.values).toEqual(queued.values);
    // The shared expectations, spelled out once.
    expect(queued.values).toEqual([0, 1, 2, 4, 5, 6, 7, 9, 10, 11, 12].map((x) => 3 * x));
    expect(queued.outcomes[3]).toBe("CellPullError p.scalable.worker bad 3");
    expect(queued.outcomes.slice(14)).toEqual(["EndOfStreamError", "EndOfStreamError"]);
    expect(queued.running).toBe(3);
    expect(inline.running).toBe(1); // one inline clone, whatever the count
  });

  it("does not fill eagerly: the source is pulled only by pulls", async () => {
    const { p, source, scalable, sink } = line((x) => x + 1);
    scalable.scalingStrategy.setValue("no-scaling");
    await scalable.scaleUp(2);
    await p.deploy();
    await scalable.whenIdle(); // at once: without a queue, nothing runs between pulls
    expect(source.pulls).toBe(0);
    await p.pull();
    await p.pull();
    expect(source.pulls).toBe(2);
    expect(sink.values).toEqual([1, 2]);
    await p.undeploy();
  });

  it("throws InactiveError when not scaled up, like the queue strategy", async () => {
    for (const strategy of ["queue", "no-scaling"] as const) {
      const { p, scalable } = line();
      scalable.scalingStrategy.setValue(strategy);
      await p.deploy();
      await expect(p.pull(), strategy).rejects.toBeInstanceOf(InactiveError);
      await scalable.scaleUp(1);
      await p.pull();
      await scalable.scaleDown(1);
      // (The queue strategy first hands out what its clone had already queued.)
      const outcomes = await pullEach(p, 4);
      expect(outcomes.at(-1), strategy).toBeInstanceOf(InactiveError);
      if (strategy === "no-scaling") expect(outcomes[0]).toBeInstanceOf(InactiveError);
      await p.undeploy();
    }
  });

  it("passes skip-connected values through, aligned, and applies runtime parameters", async () => {
    const { Worker } = workerClass((x, self) => x * self.factor.getValue());
    class WithSkip extends ScalableCell {
      readonly worker = new Worker(this, "worker");
      readonly input = new InputPort<number>(this, "input");
      readonly output = new OutputPort<number>(this, "output");
      readonly echo = new OutputPort<number>(this, "echo");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.input, this.worker.input);
        new Connection(this.worker.output, this.output);
        new Connection(this.input, this.echo); // skip
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const scalable = new WithSkip(p, "scalable");
    const results = new Collector(p, "results");
    const echoes = new Collector(p, "echoes");
    new Connection(source.output, scalable.input);
    new Connection(scalable.output, results.input);
    new Connection(scalable.echo, echoes.input);
    scalable.scalingStrategy.setValue("no-scaling");
    await scalable.scaleUp(1);
    await p.deploy();
    await p.pull();
    await p.pull();
    scalable.worker.factor.setValue(5);
    await p.pull();
    await p.pull();
    expect(results.values).toEqual([0, 1, 10, 15]);
    expect(echoes.values).toEqual([0, 1, 2, 3]);
    await p.undeploy();
  });
});
