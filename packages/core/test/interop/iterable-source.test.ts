/**
 * IterableSource: a source cell from an (async) iterable. Values in order, one iterator
 * step per pull (back-pressure), the iterable's end as the finite-stream end, iterator
 * errors as failed pulls, `return()` on reset and undeploy, and what reset does for a
 * factory, a reusable iterable and a one-shot iterator.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  AbortedError,
  CellConstructorError,
  CellPullError,
  Connection,
  EndOfStreamError,
  InputPort,
  InvalidArgumentError,
  IterableSource,
  NotDeployableError,
  OutputPort,
  Pipeline,
  ScalableCell,
  SourceNotRestartableError,
  AlreadyDeployedError,
  type CompositeCell,
} from "@cellflow/core";
import { rejectionOf, thrownBy, withinDeadline } from "../helpers.js";
import { IterablePipeline, PassCell, deferred, drain, pullValue } from "./cells.js";

async function* letters(): AsyncGenerator<string> {
  yield "a";
  yield "b";
  yield "c";
}

describe("IterableSource: values and the end of the stream", () => {
  it("emits an async generator's values in order; its end is EndOfStreamError, and for await ends", async () => {
    await using p = new IterablePipeline<string>(null, "p");
    p.source.setSource(letters);
    await p.deploy();
    expect(p.availablePulls()).toBe(Infinity); // the end is only known once reached
    expect(await withinDeadline(drain(p))).toEqual(["a", "b", "c"]);
    expect(p.availablePulls()).toBe(0);
    const end = await rejectionOf(p.pull());
    expect(end).toBeInstanceOf(EndOfStreamError);
    expect((end as EndOfStreamError).cellPath).toBe("p.source");
  });

  it("reads sync iterables too (an array, a Set, a string), inferring the value type", async () => {
    const pipeline = new Pipeline(null, "p");
    const fromArray = new IterableSource(pipeline, "array", [1, 2]);
    const fromSet = new IterableSource(pipeline, "set", new Set(["x", "y"]));
    const fromString = new IterableSource(pipeline, "chars", "hi");
    const first = new OutputPort<number>(pipeline, "first");
    const second = new OutputPort<string>(pipeline, "second");
    const third = new OutputPort<string>(pipeline, "third");
    expectTypeOf(fromArray).toEqualTypeOf<IterableSource<number>>();
    expectTypeOf(fromString).toEqualTypeOf<IterableSource<string>>();
    const typesOnly = new Pipeline(null, "types_only");
    expectTypeOf(new IterableSource(typesOnly, "factory", letters)).toEqualTypeOf<IterableSource<string>>();
    expectTypeOf(new IterableSource(typesOnly, "generator", letters())).toEqualTypeOf<IterableSource<string>>();
    new Connection(fromArray.output, first);
    new Connection(fromSet.output, second);
    new Connection(fromString.output, third);
    await pipeline.deploy();
    const records: unknown[] = [];
    for await (const record of pipeline) records.push(record);
    expect(records).toEqual([
      { first: 1, second: "x", third: "h" },
      { first: 2, second: "y", third: "i" },
    ]);
    await pipeline.undeploy();
  });

  it("an iterator's error fails that pull with CellPullError (cause: the error); a finished generator then ends", async () => {
    const boom = new Error("disk on fire");
    async function* failing(): AsyncGenerator<number> {
      yield 1;
      throw boom;
    }
    await using p = new IterablePipeline(null, "p");
    p.source.setSource(failing);
    await p.deploy();
    expect(await pullValue(p)).toBe(1);
    const error = await rejectionOf(p.pull());
    expect(error).toBeInstanceOf(CellPullError);
    expect((error as CellPullError).cellPath).toBe("p.source");
    expect((error as CellPullError).cause).toBe(boom);
    expect(await rejectionOf(p.pull())).toBeInstanceOf(EndOfStreamError);
  });

  it("a non-generator iterator that throws once goes on: the next pull asks it again", async () => {
    let calls = 0;
    const flaky: Iterable<number> = {
      [Symbol.iterator]: () => ({
        next: () => {
          calls++;
          if (calls === 2) throw new Error("hiccup");
          return calls > 3 ? { done: true, value: undefined } : { done: false, value: calls };
        },
      }),
    };
    await using p = new IterablePipeline(null, "p");
    p.source.setSource(flaky);
    await p.deploy();
    expect(await pullValue(p)).toBe(1);
    expect(await rejectionOf(p.pull())).toBeInstanceOf(CellPullError);
    expect(await pullValue(p)).toBe(3);
    expect(await rejectionOf(p.pull())).toBeInstanceOf(EndOfStreamError);
  });
});

describe("IterableSource: back-pressure", () => {
  it("advances the generator once per pull, never ahead of the pulls", async () => {
    let advanced = 0;
    async function* naturals(): AsyncGenerator<number> {
      for (let i = 0; ; i++) {
        advanced++;
        yield i;
      }
    }
    await using p = new IterablePipeline(null, "p");
    p.source.setSource(naturals);
    await p.deploy();
    expect(advanced).toBe(0); // deploy reads nothing
    for (let i = 0; i < 5; i++) {
      expect(await pullValue(p)).toBe(i);
      expect(advanced).toBe(i + 1);
    }
  });

  it("with a scalable cell downstream, the generator runs at most the queue's capacity ahead of the pulls", async () => {
    const capacity = 3;
    let pulls = 0;
    let advanced = 0;
    const overruns: string[] = [];
    const reached = deferred();
    async function* naturals(): AsyncGenerator<number> {
      for (let i = 0; ; i++) {
        advanced++;
        // Checked at every step the generator takes, so no overrun can go unseen.
        if (advanced > pulls + capacity) overruns.push(`step ${advanced} after ${pulls} pulls`);
        if (advanced === capacity) reached.resolve();
        yield i;
      }
    }
    await using p = new ScaledPipeline(null, "p");
    p.source.setSource(naturals);
    p.scaled.queueCapacity.setValue(capacity);
    await p.scaled.scaleUp(1);
    await p.deploy();
    await withinDeadline(reached.promise); // the queue fills eagerly, before any pull
    for (let i = 0; i < 10; i++) {
      pulls++;
      await p.pull();
      expect(p.value.getValue()).toBe(i);
    }
    await p.undeploy();
    expect(overruns).toEqual([]);
    expect(advanced).toBeGreaterThanOrEqual(10);
  });
});

describe("IterableSource: reset and undeploy", () => {
  it("undeploy calls the iterator's return(): the generator's finally block runs before undeploy resolves", async () => {
    const cleanedUp: string[] = [];
    async function* lines(): AsyncGenerator<string> {
      try {
        yield "first";
        yield "second";
      } finally {
        cleanedUp.push("closed the file");
      }
    }
    const p = new IterablePipeline<string>(null, "p");
    p.source.setSource(lines);
    await p.deploy();
    expect(await pullValue(p)).toBe("first");
    expect(cleanedUp).toEqual([]);
    await p.undeploy();
    expect(cleanedUp).toEqual(["closed the file"]);
  });

  it("a finally block that throws fails the undeploy with LifecycleHookError naming the source", async () => {
    async function* broken(): AsyncGenerator<number> {
      try {
        yield 1;
      } finally {
        throw new Error("cannot close");
      }
    }
    const p = new IterablePipeline(null, "p");
    p.source.setSource(broken);
    await p.deploy();
    await p.pull();
    const error = (await rejectionOf(p.undeploy())) as Error;
    expect(error.name).toBe("LifecycleHookError");
    expect(error.message).toContain("p.source");
    expect((error.cause as Error).message).toBe("cannot close");
  });

  it("reset closes the iterator and calls the factory again: the stream starts over", async () => {
    let opened = 0;
    let closed = 0;
    async function* counted(): AsyncGenerator<number> {
      opened++;
      try {
        for (let i = 0; i < 3; i++) yield i;
      } finally {
        closed++;
      }
    }
    await using p = new IterablePipeline(null, "p");
    p.source.setSource(counted);
    await p.deploy();
    expect(await pullValue(p)).toBe(0);
    expect(await pullValue(p)).toBe(1);
    await p.reset();
    expect(closed).toBe(1);
    expect(await withinDeadline(drain(p))).toEqual([0, 1, 2]);
    expect(opened).toBe(2);
  });

  it("reset starts a reusable iterable (an array) over; a redeploy too", async () => {
    const p = new IterablePipeline(null, "p");
    p.source.setSource([10, 20, 30]);
    await p.deploy();
    expect(await drain(p)).toEqual([10, 20, 30]);
    await p.reset();
    expect(await drain(p)).toEqual([10, 20, 30]);
    await p.undeploy();
    await p.deploy();
    expect(await pullValue(p)).toBe(10);
    await p.undeploy();
  });

  it("a one-shot iterator (a generator object) cannot start over: pulls after a reset fail with SourceNotRestartableError", async () => {
    await using p = new IterablePipeline<string>(null, "p");
    p.source.setSource(letters()); // the generator object, not the function
    await p.deploy();
    expect(await pullValue(p)).toBe("a");
    await p.reset();
    const error = await rejectionOf(p.pull());
    expect(error).toBeInstanceOf(SourceNotRestartableError);
    expect((error as SourceNotRestartableError).cellPath).toBe("p.source");
    expect((error as Error).message).toContain("factory");
  });

  it("a one-shot iterator that was never pulled survives a reset", async () => {
    await using p = new IterablePipeline<string>(null, "p");
    p.source.setSource(letters());
    await p.deploy();
    await p.reset();
    expect(await drain(p)).toEqual(["a", "b", "c"]);
  });

  it("a pull waiting for the iterator is cut short by undeploy (AbortedError), and the generator is closed", async () => {
    const never = deferred();
    const closed = deferred();
    let reachedFinally = false;
    async function* stuck(): AsyncGenerator<number> {
      try {
        yield 1;
        await never.promise;
        yield 2;
      } finally {
        reachedFinally = true;
        closed.resolve();
      }
    }
    const p = new IterablePipeline(null, "p");
    p.source.setSource(stuck);
    await p.deploy();
    await p.pull();
    const waiting = p.pull();
    const undeployed = p.undeploy();
    expect(await withinDeadline(rejectionOf(waiting))).toBeInstanceOf(AbortedError);
    never.resolve(); // the generator leaves its await; the queued return() then runs its finally
    await withinDeadline(undeployed);
    await withinDeadline(closed.promise);
    expect(reachedFinally).toBe(true);
  });
});

describe("IterableSource: construction", () => {
  it("a source without an iterable is not deployable, and says how to give it one", async () => {
    const p = new IterablePipeline(null, "p");
    expect(p.isDeployable().reasons).toEqual([
      'IterableSource("p.source") has no source: pass one to its constructor or call setSource() before deploy',
    ]);
    expect(await rejectionOf(p.deploy())).toBeInstanceOf(NotDeployableError);
  });

  it("setSource is refused while deployed", async () => {
    await using p = new IterablePipeline(null, "p");
    p.source.setSource([1]);
    await p.deploy();
    expect(thrownBy(() => p.source.setSource([2]))).toBeInstanceOf(AlreadyDeployedError);
  });

  it("a factory that returns no iterable fails the pull with InvalidArgumentError naming the source", async () => {
    await using p = new IterablePipeline(null, "p");
    p.source.setSource((() => 42) as unknown as () => Iterable<number>);
    await p.deploy();
    const error = (await rejectionOf(p.pull())) as Error;
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toBe(
      'The source of "p.source" is not iterable (got number): give it an AsyncIterable, an Iterable, or a function that returns one.',
    );
  });

  it("as the inner cell of a scalable cell, scaleUp refuses it (CellConstructorError): clones cannot get the iterable", async () => {
    class ScaledSource extends ScalableCell {
      readonly source = new IterableSource(this, "source", [1, 2, 3]);
      readonly output = new OutputPort<number>(this, "output");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.source.output, this.output);
      }
    }
    const scaled = new ScaledSource(null, "scaled");
    const error = await rejectionOf(Promise.resolve().then(() => scaled.scaleUp(1)));
    expect(error).toBeInstanceOf(CellConstructorError);
    expect((error as CellConstructorError).declaredBy).toBe("IterableSource");
  });
});

/** A scalable pass-through: clones of PassCell behind the ordered queue. */
class ScalablePass extends ScalableCell {
  readonly inner = new PassCell<number>(this, "inner");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.inner.input);
    new Connection(this.inner.output, this.output);
  }
}

/** iterable source -> scalable pass-through -> port `value`. */
class ScaledPipeline extends Pipeline {
  readonly source = new IterableSource<number>(this, "source");
  readonly scaled = new ScalablePass(this, "scaled");
  readonly value = new OutputPort<number>(this, "value");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output, this.scaled.input);
    new Connection(this.scaled.output, this.value);
  }
}
