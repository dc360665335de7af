/**
 * Hardening, cases 9–10: recurrent connections next to scalable cells. A recurrent
 * connection delivers the value its output held at the end of the previous iteration
 * (the initialValue for the first), also when it closes no cycle; scalable cells that
 * read a value computed on a recurrent cycle see exactly the sequential values.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Connection, Input, Output, Pipeline, SingleCell, type Cell } from "@cellflow/core";
import { ScalableTwice } from "./fixtures.js";
import { Collect, NumberSource, doubler, pullOutcomes, undeployQuietly, withinDeadline } from "./util.js";

const deployed: Cell[] = [];
afterEach(async () => {
  for (const p of deployed.splice(0)) await undeployQuietly(p);
});

async function deploy(p: Pipeline): Promise<void> {
  deployed.push(p);
  await withinDeadline(p.deploy(), 10_000);
}

describe("case 9: a connection marked recurrent that closes no cycle, into a scalable cell", () => {
  /** Emits 0, 10, 20, ...; its output starts out holding 100. */
  class TensSource extends SingleCell {
    readonly output = new Output<number>(this, "output", { initialValue: 100 });
    n = 0;
    protected async onPull(): Promise<void> {
      await Promise.resolve();
      this.output.setValue(10 * this.n++);
    }
  }

  for (const clones of [0, 1, 2]) {
    const label = clones === 0 ? "unscaled (reference)" : `${clones} async clone(s)`;
    it(`case 9: the cell sees the previous iteration's value: 200, 0, 20, 40 (${label})`, async () => {
      const p = new Pipeline(null, "p");
      const source = new TensSource(p, "source");
      const plain = new Collect(p, "plain");
      const d = doubler(p, "double", clones);
      const doubled = new Collect(p, "doubled");
      new Connection(source.output, plain.input);
      new Connection(source.output, d.input, { recurrent: true });
      new Connection(d.output, doubled.input);
      await deploy(p);
      expect(await pullOutcomes(p, 4)).toEqual(["ok", "ok", "ok", "ok"]);
      expect(plain.values).toEqual([0, 10, 20, 30]);
      expect(doubled.values).toEqual([200, 0, 20, 40]);
    });
  }
});

describe("case 10: a recurrent cycle next to scalable cells that read its values", () => {
  /** a = 10 x + prev + 1 (prev comes from another cell, which closes the cycle). */
  class Accumulate extends SingleCell {
    readonly x = new Input<number>(this, "x");
    readonly prev = new Input<number>(this, "prev");
    readonly output = new Output<number>(this, "output");
    protected async onPull(): Promise<void> {
      const x = await this.x.pull();
      const prev = await this.prev.pull();
      this.output.setValue(x * 10 + prev + 1);
    }
  }

  /** The same, for a self-loop: its own output starts out holding 0. */
  class SelfAccumulate extends SingleCell {
    readonly x = new Input<number>(this, "x");
    readonly prev = new Input<number>(this, "prev");
    readonly output = new Output<number>(this, "output", { initialValue: 0 });
    protected async onPull(): Promise<void> {
      const x = await this.x.pull();
      const prev = await this.prev.pull();
      this.output.setValue(x * 10 + prev + 1);
    }
  }

  /** Passes its input on after an async delay; starts out holding 0. */
  class Delay extends SingleCell {
    readonly input = new Input<number>(this, "input");
    readonly output = new Output<number>(this, "output", { initialValue: 0 });
    protected async onPull(): Promise<void> {
      const v = await this.input.pull();
      await new Promise<void>((resolve) => setImmediate(resolve));
      this.output.setValue(v);
    }
  }

  /** The sequential result: a_i = 10 i + a_(i-1) + 1 with a_(-1) = 0, i.e. (i + 1)(5 i + 1). */
  const a = (n: number) => Array.from({ length: n }, (_, i) => (i + 1) * (5 * i + 1));

  type Method = "async" | "thread" | "process";

  /**
   * source i -> A(x); A's previous value back into A(prev), through A's own output
   * ("self") or through a Delay cell B ("two-cell"); A's output also feeds two scalable
   * doublers (eager filling) and a plain collector.
   */
  function build(loop: "self" | "two-cell", method: Method, clones: number) {
    const p = new Pipeline(null, "p");
    const source = new NumberSource(p, "source");
    const acc = loop === "self" ? new SelfAccumulate(p, "acc") : new Accumulate(p, "acc");
    new Connection(source.output, acc.x);
    if (loop === "self") {
      new Connection(acc.output, acc.prev, { recurrent: true });
    } else {
      const b = new Delay(p, "b");
      new Connection(acc.output, b.input);
      new Connection(b.output, acc.prev);
    }
    const direct = new Collect(p, "direct");
    new Connection(acc.output, direct.input);
    const c1 = new Collect(p, "c1");
    const c2 = new Collect(p, "c2");
    if (clones === 0) {
      // The reference: the same graph with plain doublers.
      const d1 = doubler(p, "s1", 0);
      const d2 = doubler(p, "s2", 0);
      new Connection(acc.output, d1.input);
      new Connection(acc.output, d2.input);
      new Connection(d1.output, c1.input);
      new Connection(d2.output, c2.input);
      return { p, direct, c1, c2 };
    }
    const s1 = new ScalableTwice(p, "s1");
    const s2 = new ScalableTwice(p, "s2");
    s2.queueCapacity.setValue(1);
    new Connection(acc.output, s1.input);
    new Connection(acc.output, s2.input);
    new Connection(s1.output, c1.input);
    new Connection(s2.output, c2.input);
    void s1.scaleUp(clones, method);
    void s2.scaleUp(1, method);
    return { p, direct, c1, c2 };
  }

  const runs: Array<{ loop: "self" | "two-cell"; method: Method; clones: number }> = [
    { loop: "self", method: "async", clones: 0 },
    { loop: "two-cell", method: "async", clones: 0 },
    // A self-loop with scalable readers holds on the current engine (tried 1, 2, 4 async
    // clones, queue capacity auto/1/3, delays before and after the recurrent pull, thread
    // and process clones); kept as a guard.
    { loop: "self", method: "async", clones: 3 },
    { loop: "two-cell", method: "async", clones: 3 },
    { loop: "two-cell", method: "async", clones: 1 },
    { loop: "two-cell", method: "thread", clones: 2 },
    { loop: "two-cell", method: "process", clones: 1 },
  ];

  for (const { loop, method, clones } of runs) {
    const label = clones === 0 ? "unscaled (reference)" : `${clones} ${method} clone(s)`;
    it(`case 10: scalable readers see the sequential values (${loop} cycle, ${label})`, async () => {
      const { p, direct, c1, c2 } = build(loop, method, clones);
      await deploy(p);
      const n = 8;
      expect(await pullOutcomes(p, n, 3_000)).toEqual(Array(n).fill("ok"));
      const expected = a(n);
      expect(direct.values).toEqual(expected);
      expect(c1.values).toEqual(expected.map((v) => 2 * v));
      expect(c2.values).toEqual(expected.map((v) => 2 * v));
    });
  }
});

describe("recurrent connections and failed pulls (found by the stress suite)", () => {
  /** out = a + previous, where previous comes back over a recurrent connection (initial `start`). */
  class Accumulate extends SingleCell {
    readonly a = new Input<number>(this, "a");
    readonly previous = new Input<number>(this, "previous");
    readonly output = new Output<number>(this, "output", { initialValue: 0 });
    protected async onPull(): Promise<void> {
      const a = await this.a.pull(); // throws before `previous` is read when the source fails
      this.output.setValue(a + (await this.previous.pull()));
    }
  }

  it("a pull that fails before reading its recurrent input still uses up that iteration's step", async () => {
    const p = new Pipeline(null, "p");
    const source = new NumberSource(p, "source");
    source.failOn.add(1);
    const sum = new Accumulate(p, "sum");
    const sink = new Collect(p, "sink");
    new Connection(source.output, sum.a);
    new Connection(sum.output, sum.previous); // recurrent: closes the self-loop
    new Connection(sum.output, sink.input);
    deployed.push(p);
    await withinDeadline(p.deploy());
    // 0 + 0; fails (holds 0); 2 + 0; 3 + 2; 4 + 5
    expect(await pullOutcomes(p, 5)).toEqual(["ok", "CellPullError(p.source)", "ok", "ok", "ok"]);
    expect(sink.values).toEqual([0, 2, 5, 9]);
  });

  /** out = a + previous; `previous` is fed by a finite source over a recurrent connection that closes no cycle. */
  class AddPrevious extends SingleCell {
    readonly a = new Input<number>(this, "a");
    readonly previous = new Input<number>(this, "previous");
    readonly output = new Output<number>(this, "output");
    protected async onPull(): Promise<void> {
      const a = await this.a.pull();
      this.output.setValue(a + (await this.previous.pull()));
    }
  }

  /** Emits 0, 1 and ends; its output starts at 100 for the recurrent connection. */
  class TwoItems extends SingleCell {
    readonly output = new Output<number>(this, "output", { initialValue: 100 });
    n = 0;
    protected async onPull(): Promise<void> {
      await Promise.resolve();
      this.output.setValue(this.n++);
    }
    protected override remainingPulls(): number {
      return 2 - this.n;
    }
  }

  it("a sink past its end is a step for its recurrent consumers: every later pull raises EndOfStreamError, none hangs", async () => {
    const p = new Pipeline(null, "p");
    const finite = new TwoItems(p, "finite"); // a sink: its only connection is recurrent
    const tens = new NumberSource(p, "tens");
    tens.scale = 10;
    const add = new AddPrevious(p, "add");
    const sink = new Collect(p, "sink");
    new Connection(tens.output, add.a);
    new Connection(finite.output, add.previous, { recurrent: true });
    new Connection(add.output, sink.input);
    deployed.push(p);
    await withinDeadline(p.deploy());
    expect(await pullOutcomes(p, 5)).toEqual(["ok", "ok", "EndOfStreamError", "EndOfStreamError", "EndOfStreamError"]);
    // previous: 100 (initial), 0, 1, then 1 held through the end-of-stream steps
    expect(sink.values).toEqual([100, 10, 21, 31, 41]);
  });
});
