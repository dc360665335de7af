/**
 * SPEC 3.6 — an error thrown in a clone surfaces at the pull() that would have received
 * that item, in order, as a CellPullError naming the cell path and keeping the original
 * as `cause`; the item is consumed and the next pulls keep working. Errors of the
 * upstream source surface the same way, at the matching pull.
 */
import { describe, expect, it } from "vitest";
import {
  CellPullError,
  Connection,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  ScalableCell,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { Collector, CounterSource, line, pullEach, scalableOf, sleep, workerClass } from "./cells.js";

/** Uneven clones that fail on every third item (sync throws, async throws and a non-Error). */
function failingLine() {
  return line(async (x) => {
    if (x === 1) throw new Error(`bad ${x}`); // before any await
    await sleep(x % 3 === 0 ? 2 : 0);
    if (x % 3 === 1 && x % 2 === 0) throw new Error(`bad ${x}`); // after an await
    if (x % 3 === 1) throw `bad ${x}`; // not an Error at all
    return x * 10;
  });
}

describe("errors thrown in a clone", () => {
  it("surface at the matching pull, in order, with the cell path and the cause; later pulls work", async () => {
    const { p, scalable, sink } = failingLine();
    await scalable.scaleUp(3);
    await p.deploy();
    const outcomes = await pullEach(p, 12);
    for (let i = 0; i < 12; i++) {
      const outcome = outcomes[i];
      if (i % 3 !== 1) {
        expect(outcome, `pull ${i}`).toBeUndefined();
        continue;
      }
      expect(outcome, `pull ${i}`).toBeInstanceOf(CellPullError);
      const error = outcome as CellPullError;
      expect(error.cellPath).toBe("p.scalable.worker");
      expect(error.message).toContain("p.scalable.worker");
      expect(error.message).toContain(`bad ${i}`);
      const cause = error.cause;
      expect(cause instanceof Error ? cause.message : cause).toBe(`bad ${i}`);
    }
    expect(sink.values).toEqual([0, 2, 3, 5, 6, 8, 9, 11].map((x) => x * 10));
    await p.undeploy();
  });

  it("a direct pull of the scalable cell gets the same error, and the item is consumed", async () => {
    const { p, scalable } = line((x) => {
      if (x === 0) throw new RangeError("first item");
      return x;
    });
    await scalable.scaleUp(2);
    await p.deploy();
    const error = await scalable.output.pull().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CellPullError);
    expect((error as CellPullError).cause).toBeInstanceOf(RangeError);
    expect(await scalable.output.pull()).toBe(1);
    expect(await scalable.output.pull()).toBe(2);
    await p.undeploy();
  });
});

describe("errors with several output ports", () => {
  it("every consumer of the item sees the error; values stay aligned afterwards", async () => {
    const { Worker } = workerClass(async (x) => {
      await sleep(x % 2);
      if (x % 4 === 1) throw new Error(`bad ${x}`);
      return -x;
    });
    class WithEcho extends ScalableCell {
      readonly worker = new Worker(this, "worker");
      readonly input = new InputPort<number>(this, "input");
      readonly output = new OutputPort<number>(this, "output");
      readonly echo = new OutputPort<number>(this, "echo");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.input, this.worker.input);
        new Connection(this.worker.output, this.output);
        new Connection(this.input, this.echo); // skip connection
      }
    }
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const scalable = new WithEcho(p, "scalable");
    const results = new Collector(p, "results");
    const echoes = new Collector(p, "echoes");
    new Connection(source.output, scalable.input);
    new Connection(scalable.output, results.input);
    new Connection(scalable.echo, echoes.input);
    await scalable.scaleUp(3);
    await p.deploy();
    const outcomes = await pullEach(p, 10);
    outcomes.forEach((o, i) => {
      if (i % 4 === 1) expect(o, `pull ${i}`).toBeInstanceOf(CellPullError);
      else expect(o, `pull ${i}`).toBeUndefined();
    });
    const ok = [0, 2, 3, 4, 6, 7, 8];
    expect(results.values).toEqual(ok.map((x) => -x));
    expect(echoes.values).toEqual(ok);
    await p.undeploy();
  });
});

describe("errors of the upstream source", () => {
  /** Fails on every fourth pull (n = 2, 6, 10, ...), after counting it. */
  class FlakySource extends SingleCell {
    readonly output = new Output<number>(this, "output");
    n = 0;
    protected async onPull(): Promise<void> {
      const n = this.n++;
      await Promise.resolve();
      if (n % 4 === 2) throw new Error(`source failed at ${n}`);
      this.output.setValue(n);
    }
  }

  it("surface at the matching pull, in order, naming the source; later pulls work", async () => {
    const { Worker } = workerClass(async (x) => {
      await sleep(x % 2);
      return x;
    });
    const Scalable = scalableOf(Worker);
    const p = new Pipeline(null, "p");
    const source = new FlakySource(p, "source");
    const scalable = new Scalable(p, "scalable");
    const sink = new Collector(p, "sink");
    new Connection(source.output, scalable.input);
    new Connection(scalable.output, sink.input);
    await scalable.scaleUp(3);
    await p.deploy();
    const outcomes = await pullEach(p, 11);
    outcomes.forEach((outcome, i) => {
      if (i % 4 !== 2) return expect(outcome, `pull ${i}`).toBeUndefined();
      expect(outcome, `pull ${i}`).toBeInstanceOf(CellPullError);
      expect((outcome as CellPullError).cellPath).toBe("p.source");
      expect(((outcome as CellPullError).cause as Error).message).toBe(`source failed at ${i}`);
    });
    expect(sink.values).toEqual([0, 1, 3, 4, 5, 7, 8, 9]);
    await p.undeploy();
  });
});
