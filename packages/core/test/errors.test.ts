/**
 * Issue 2's bad-input case "an error thrown inside onPull": it reaches the caller of
 * `pull()` as a CellPullError with the cell's path and the original error as `cause`, and
 * the pipeline can be pulled again — also when the failing cell sits in one branch of
 * several, which must not deadlock the next pull.
 */
import { describe, expect, it } from "vitest";
import {
  CellflowError,
  CellPullError,
  Connection,
  Input,
  InputPort,
  Output,
  OutputNotSetError,
  OutputPort,
  Pipeline,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { Collector, CounterSource, MapCell, rejectionOf, withinDeadline } from "./helpers.js";

/** Passes its input on; throws on the pulls listed in `failAt`, before or after pulling its input. */
class Flaky extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  failAt = new Set<number>();
  failBeforePulling = false;
  sync = false;
  private n = 0;
  protected onPull(): void | Promise<void> {
    const pull = this.n++;
    if (this.sync && this.failAt.has(pull)) throw new Error(`sync failure on pull ${pull}`);
    return (async () => {
      if (this.failBeforePulling && this.failAt.has(pull)) throw new Error(`failure before pulling, pull ${pull}`);
      const x = await this.input.pull();
      if (this.failAt.has(pull)) throw new Error(`failure on value ${x}`);
      this.output.setValue(x);
    })();
  }
}

/** Pulls the pipeline `n` times; each entry is "ok" or the error. */
async function pullTimes(p: Pipeline, n: number): Promise<Array<"ok" | unknown>> {
  const results: Array<"ok" | unknown> = [];
  // The deadline only turns a hang into a failure; a healthy pull takes microseconds.
  for (let i = 0; i < n; i++) results.push(await withinDeadline(p.pull(), 1_000).then(() => "ok" as const, (e: unknown) => e));
  return results;
}

function line() {
  const p = new Pipeline(null, "p");
  const source = new CounterSource(p, "source");
  const f = new Flaky(p, "flaky");
  const sink = new Collector(p, "sink");
  new Connection(source.output, f.input);
  new Connection(f.output, sink.input);
  return { p, source, f, sink };
}

describe("an error in onPull", () => {
  it("reaches pull() as CellPullError with the cell's path and the original error as cause (async onPull)", async () => {
    const { p, f } = line();
    f.failAt = new Set([0]);
    await p.deploy();
    const error = await rejectionOf(p.pull());
    expect(error).toBeInstanceOf(CellPullError);
    expect(error).toBeInstanceOf(CellflowError);
    const e = error as CellPullError;
    expect(e.name).toBe("CellPullError");
    expect(e.cellPath).toBe("p.flaky");
    expect(e.cause).toBeInstanceOf(Error);
    expect((e.cause as Error).message).toBe("failure on value 0");
    expect(e.message).toContain("p.flaky");
    expect(e.message).toContain("failure on value 0");
    await p.undeploy();
  });

  it("reaches pull() the same way from a synchronous onPull, keeping the very same cause object", async () => {
    const original = new RangeError("out of range");
    class Throws extends SingleCell {
      protected onPull(): void {
        throw original;
      }
    }
    const p = new Pipeline(null, "p");
    new Throws(p, "thrower");
    await p.deploy();
    const pulled = p.pull();
    expect(pulled).toBeInstanceOf(Promise); // a rejection, not a synchronous throw
    const error = (await rejectionOf(pulled)) as CellPullError;
    expect(error).toBeInstanceOf(CellPullError);
    expect(error.cellPath).toBe("p.thrower");
    expect(error.cause).toBe(original);
    await p.undeploy();
  });

  it("keeps a thrown non-Error value as the cause", async () => {
    class ThrowsString extends SingleCell {
      protected async onPull() {
        throw "plain string";
      }
    }
    const p = new Pipeline(null, "p");
    new ThrowsString(p, "s");
    await p.deploy();
    const error = (await rejectionOf(p.pull())) as CellPullError;
    expect(error).toBeInstanceOf(CellPullError);
    expect(error.cause).toBe("plain string");
    expect(error.message).toContain("plain string");
    await p.undeploy();
  });

  it("names the failing upstream cell, not the cells it passed through, however deeply nested", async () => {
    class Inner extends Pipeline {
      readonly in = new InputPort<number>(this, "in");
      readonly out = new OutputPort<number>(this, "out");
      readonly flaky = new Flaky(this, "flaky");
      readonly after = new MapCell(this, "after");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.in, this.flaky.input);
        new Connection(this.flaky.output, this.after.input);
        new Connection(this.after.output, this.out);
      }
    }
    const p = new Pipeline(null, "outer");
    const source = new CounterSource(p, "source");
    const inner = new Inner(p, "inner");
    const sink = new Collector(p, "sink");
    new Connection(source.output, inner.in);
    new Connection(inner.out, sink.input);
    inner.flaky.failAt = new Set([1]);
    await p.deploy();
    const results = await pullTimes(p, 3);
    expect(results[0]).toBe("ok");
    expect(results[1]).toBeInstanceOf(CellPullError);
    expect((results[1] as CellPullError).cellPath).toBe("outer.inner.flaky");
    expect(((results[1] as CellPullError).cause as Error).message).toBe("failure on value 1");
    expect(results[2]).toBe("ok");
    expect(sink.values).toEqual([0, 2]);
    await p.undeploy();
  });

  it("leaves the pipeline usable: the failed item is consumed and the next pull gets the next one", async () => {
    const { p, f, sink } = line();
    f.failAt = new Set([1, 2]);
    await p.deploy();
    const results = await pullTimes(p, 5);
    expect(results.map((r) => (r === "ok" ? "ok" : (r as Error).name))).toEqual(["ok", "CellPullError", "CellPullError", "ok", "ok"]);
    expect(sink.values).toEqual([0, 3, 4]);
    await p.undeploy();
  });

  it("stays with the pull's promise until the caller looks: awaited only later, it is no unhandled rejection", async () => {
    const { p, f } = line();
    f.failAt = new Set([0]);
    await p.deploy();
    const unhandled: unknown[] = [];
    const note = (reason: unknown) => unhandled.push(reason);
    process.on("unhandledRejection", note);
    try {
      const pending = p.pull();
      // Node reports a rejection without a handler once the microtasks ran out, before the next turn.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
      await expect(pending).rejects.toBeInstanceOf(CellPullError);
    } finally {
      process.off("unhandledRejection", note);
      await p.undeploy();
    }
  });

  it("reaches a direct pull of the cell's output too", async () => {
    const { p, f } = line();
    f.failAt = new Set([0]);
    await p.deploy();
    const error = await rejectionOf(f.output.pull());
    expect(error).toBeInstanceOf(CellPullError);
    expect((error as CellPullError).cellPath).toBe("p.flaky");
    expect(await f.output.pull()).toBe(1);
    await p.undeploy();
  });

  it("is OutputNotSetError when a pull leaves a connected output unset, and the next pull works", async () => {
    class Forgetful extends SingleCell {
      readonly output = new Output<number>(this, "output");
      private n = 0;
      protected onPull() {
        if (this.n++ !== 1) this.output.setValue(this.n);
      }
    }
    const p = new Pipeline(null, "p");
    const forgetful = new Forgetful(p, "forgetful");
    const sink = new Collector(p, "sink");
    new Connection(forgetful.output, sink.input);
    await p.deploy();
    const results = await pullTimes(p, 3);
    expect(results[0]).toBe("ok");
    expect(results[1]).toBeInstanceOf(OutputNotSetError);
    expect((results[1] as Error).message).toContain("p.forgetful.output");
    expect(results[2]).toBe("ok");
    expect(sink.values).toEqual([1, 3]);
    await p.undeploy();
  });
});

describe("errors in one branch of several", () => {
  /** source feeds a flaky branch (flaky -> sinkA) and a healthy sink B. */
  function branches() {
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const flaky = new Flaky(p, "flaky");
    const sinkA = new Collector(p, "sink_a");
    const sinkB = new Collector(p, "sink_b");
    new Connection(source.output, flaky.input);
    new Connection(flaky.output, sinkA.input);
    new Connection(source.output, sinkB.input);
    return { p, source, flaky, sinkA, sinkB };
  }

  it("fails the pull but lets the other sinks finish theirs, and the next pulls run", async () => {
    const { p, flaky, sinkA, sinkB } = branches();
    flaky.failAt = new Set([1]);
    await p.deploy();
    const results = await pullTimes(p, 4);
    expect(results[1]).toBeInstanceOf(CellPullError);
    expect([results[0], results[2], results[3]]).toEqual(["ok", "ok", "ok"]);
    expect(sinkB.values).toEqual([0, 1, 2, 3]);
    expect(sinkA.values).toEqual([0, 2, 3]); // the branches stay in step
    await p.undeploy();
  });

  it("reports an error in a cell shared by two sinks once per pull, and recovers", async () => {
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const flaky = new Flaky(p, "flaky");
    const a = new Collector(p, "a");
    const b = new Collector(p, "b");
    new Connection(source.output, flaky.input);
    new Connection(flaky.output, a.input);
    new Connection(flaky.output, b.input);
    flaky.failAt = new Set([0]);
    await p.deploy();
    const results = await pullTimes(p, 3);
    expect(results[0]).toBeInstanceOf(CellPullError);
    expect((results[0] as CellPullError).cellPath).toBe("p.flaky");
    expect(results.slice(1)).toEqual(["ok", "ok"]);
    expect(a.values).toEqual([1, 2]);
    expect(b.values).toEqual([1, 2]);
    await p.undeploy();
  });

  it("does not deadlock when the failing cell throws before pulling its input, once", async () => {
    const { p, flaky, sinkA, sinkB } = branches();
    flaky.failAt = new Set([1]);
    flaky.failBeforePulling = true;
    await p.deploy();
    const results = await pullTimes(p, 4);
    expect(results.map((r) => (r === "ok" ? "ok" : (r as Error).name))).toEqual(["ok", "CellPullError", "ok", "ok"]);
    expect(sinkB.values).toEqual([0, 1, 2, 3]);
    // The failed pull consumed its item in every branch, so the branches stay in step.
    expect(sinkA.values).toEqual([0, 2, 3]);
    await p.undeploy();
  });

  it("does not deadlock when the failing cell throws before pulling its input, every time", async () => {
    const { p, flaky, sinkB } = branches();
    flaky.failAt = new Set([1, 2, 3]);
    flaky.failBeforePulling = true;
    await p.deploy();
    const results = await pullTimes(p, 3);
    expect(results[0]).toBe("ok");
    for (const r of results.slice(1)) expect(r).toBeInstanceOf(CellPullError);
    expect(sinkB.values).toEqual([0, 1, 2]);
    await p.undeploy();
  });

  it("does not deadlock when a synchronous onPull throws", async () => {
    const { p, flaky, sinkB } = branches();
    flaky.failAt = new Set([1, 2]);
    flaky.sync = true;
    await p.deploy();
    const results = await pullTimes(p, 3);
    expect(results.map((r) => (r === "ok" ? "ok" : (r as Error).name))).toEqual(["ok", "CellPullError", "CellPullError"]);
    expect(sinkB.values).toEqual([0, 1, 2]);
    await p.undeploy();
  });
});
