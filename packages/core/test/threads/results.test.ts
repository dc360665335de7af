/**
 * SPEC 3.2, 3.3, 3.8 — thread and process clones compute exactly what async clones do,
 * in input order: for a single inner cell, a Pipeline as inner cell, and a scalable cell
 * nested in the inner cell (scaled on the template). Mixed methods in one scalable cell
 * keep order and exactly-once. A cell that cannot be located fails at `scaleUp`.
 * Every clone here runs in a REAL worker thread or child process.
 */
import { describe, expect, it } from "vitest";
import {
  CellNotLocatableError,
  Connection,
  Input,
  InputPort,
  Output,
  OutputPort,
  ScalableCell,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import {
  OuterScalable,
  ScalableMath,
  ScalablePipeline,
  cloneKey,
  methodOf,
  type Where,
} from "../fixtures/thread-cells.js";
import { thrownBy } from "../helpers.js";
import { harness } from "./harness.js";

const N = 16;
const wheres = (values: unknown[]) => values as Where[];

/** Pulls `n` times and returns the ordered outputs and where each item ran. */
async function run<S extends ScalableMath | ScalablePipeline | OuterScalable>(
  Scalable: new (parent: CompositeCell | null, name: string) => S,
  scale: (cell: S) => void,
  n = N,
) {
  const { pipeline, scalable, sinks, source } = harness(Scalable, (i) => i, ["output", "where"]);
  scale(scalable);
  await pipeline.deploy();
  try {
    for (let i = 0; i < n; i++) await pipeline.pull();
    return { outputs: sinks.output!.values as number[], where: wheres(sinks.where!.values), sourcePulls: source.pulls };
  } finally {
    await pipeline.undeploy();
  }
}

describe.each(["thread", "process"] as const)('"%s" clones give the ordered results of async clones', (method) => {
  it("for a single inner cell (two clones)", async () => {
    const reference = await run(ScalableMath, (s) => void s.scaleUp(2, "async"));
    expect(reference.outputs).toEqual(Array.from({ length: N }, (_, i) => i));

    const { outputs, where } = await run(ScalableMath, (s) => void s.scaleUp(2, method));
    expect(outputs).toEqual(reference.outputs);
    expect(new Set(where.map((w) => methodOf(w)))).toEqual(new Set([method]));
    // Both clones did work (so the order was restored across two real threads/processes).
    expect(new Set(where.map(cloneKey)).size).toBe(2);
  });

  it("for a Pipeline as inner cell", async () => {
    const reference = await run(ScalablePipeline, (s) => void s.scaleUp(2, "async"));
    expect(reference.outputs).toEqual(Array.from({ length: N }, (_, i) => 2 * (i + 1)));

    const { outputs, where } = await run(ScalablePipeline, (s) => void s.scaleUp(2, method));
    expect(outputs).toEqual(reference.outputs);
    expect(new Set(where.map((w) => methodOf(w)))).toEqual(new Set([method]));
  });

  it("for a scalable cell nested in the inner cell, scaled on the template", async () => {
    const reference = await run(OuterScalable, (s) => {
      s.nested.scaleUp(2, "async");
      void s.scaleUp(1, "async");
    });
    expect(reference.outputs).toEqual(Array.from({ length: N }, (_, i) => i));

    const { outputs, where } = await run(OuterScalable, (s) => {
      s.nested.scaleUp(1, "async");
      s.nested.scaleUp(1, "thread"); // a worker thread inside the outer clone
      void s.scaleUp(1, method);
    });
    expect(outputs).toEqual(reference.outputs);
    // The nested clones run inside the outer clone: in its process, or in threads of the outer thread.
    const nestedPlaces = new Set(where.map((w) => `${w.pid === process.pid ? "here" : "child"}:${w.mainThread}`));
    if (method === "process") {
      expect(where.every((w) => w.pid !== process.pid)).toBe(true);
      expect(nestedPlaces).toEqual(new Set(["child:true", "child:false"])); // async and thread inside the child
    } else {
      expect(where.every((w) => w.pid === process.pid && !w.mainThread)).toBe(true);
      expect(new Set(where.map((w) => w.threadId)).size).toBe(2); // the outer worker and its own worker
    }
  });
});

describe("mixed methods in one scalable cell", () => {
  it("async, thread and process clones together keep input order and exactly-once", async () => {
    const n = 40;
    const { pipeline, scalable, sinks, source } = harness(ScalableMath, (i) => i, ["output", "where"]);
    scalable.scaleUp(1, "async");
    scalable.scaleUp(1, "thread");
    scalable.scaleUp(1, "process");
    await pipeline.deploy();
    try {
      for (let i = 0; i < n; i++) await pipeline.pull();
      expect(sinks.output!.values).toEqual(Array.from({ length: n }, (_, i) => i));
      const where = wheres(sinks.where!.values);
      expect(new Set(where.map((w) => methodOf(w)))).toEqual(new Set(["async", "thread", "process"]));
      // Exactly once: each clone numbers the items it runs; the items it delivered carry
      // 1, 2, 3, ... with no gap, so no clone ran an item that was not delivered (or twice).
      const byClone = new Map<string, number[]>();
      for (const w of where) byClone.set(cloneKey(w), [...(byClone.get(cloneKey(w)) ?? []), w.seq!]);
      for (const seqs of byClone.values()) expect(seqs).toEqual(seqs.map((_, i) => i + 1));
      // The source was pulled once per item handed out: the delivered ones plus what fills the queue.
      expect(source.pulls).toBeGreaterThanOrEqual(n);
      expect(source.pulls).toBeLessThanOrEqual(n + scalable.cloneCount * 2 + 1);
    } finally {
      await pipeline.undeploy();
    }
  });
});

// ---- a cell that cannot be located ----------------------------------------------------------

/** Deliberately NOT registered with registerCells. */
class UnregisteredDoubler extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  protected async onPull(): Promise<void> {
    this.output.setValue(2 * (await this.input.pull()));
  }
}

class ScalableUnregistered extends ScalableCell {
  readonly doubler = new UnregisteredDoubler(this, "doubler");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.doubler.input);
    new Connection(this.doubler.output, this.output);
  }
}

describe("a cell class that is not registered", () => {
  it.each(["thread", "process"] as const)('fails scaleUp(1, "%s") at once, with the fix in the message', (method) => {
    const { scalable } = harness(ScalableUnregistered, (i) => i);
    const error = thrownBy(() => scalable.scaleUp(1, method));
    expect(error).toBeInstanceOf(CellNotLocatableError);
    expect((error as Error).message).toContain("registerCells(import.meta.url, UnregisteredDoubler)");
    expect(scalable.cloneCount).toBe(0); // nothing was requested
  });

  it("still scales with async clones, which need no module", async () => {
    const { pipeline, scalable, sinks } = harness(ScalableUnregistered, (i) => i);
    await scalable.scaleUp(1, "async");
    await pipeline.deploy();
    for (let i = 0; i < 3; i++) await pipeline.pull();
    expect(sinks.output!.values).toEqual([0, 2, 4]);
    await pipeline.undeploy();
  });
});
