/**
 * A pipeline's pull gives its output record, typed end to end: each output port's value
 * under the name of the field holding the port. `for await` yields the same records.
 * And `pull({ signal })` / `deploy({ signal })` honour an AbortSignal. The marked lines
 * must not compile; the last test type-checks this file so vitest catches it if they do.
 */
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  Connection,
  Input,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  ScalableCell,
  SingleCell,
  type CompositeCell,
  type OutputRecord,
} from "@cellflow/core";
import { ScalablePipeline } from "./fixtures/thread-cells.js";
import { CounterSource } from "./helpers.js";
import { typeErrorsOf } from "./type-check.js";

class Words extends SingleCell {
  readonly word = new Output<string>(this, "word");
  readonly length = new Output<number>(this, "length");
  limit = 3;
  private n = 0;
  protected onPull(): void {
    const word = "w".repeat(this.n + 1);
    this.word.setValue(word);
    this.length.setValue(word.length);
    this.n++;
  }
  protected override remainingPulls(): number {
    return this.limit - this.n;
  }
  protected override onReset(): void {
    this.n = 0;
  }
}

class WordPipeline extends Pipeline {
  readonly words = new Words(this, "words");
  /** Field and port names differ: records use the field name. */
  readonly result = new OutputPort<string>(this, "the_word");
  readonly size = new OutputPort<number>(this, "size");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.words.word, this.result);
    new Connection(this.words.length, this.size);
    // A port no field holds: its record key is its port name.
    const unnamed = new OutputPort<number>(this, "unnamed");
    new Connection(this.words.length, unnamed);
  }
}

class Sink extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly seen: number[] = [];
  protected async onPull(): Promise<void> {
    this.seen.push(await this.input.pull());
  }
}

class NoPorts extends Pipeline {
  readonly source = new CounterSource(this, "source");
  readonly sink = new Sink(this, "sink");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output, this.sink.input);
  }
}

/** A sink that waits until `release()` before finishing its pull. */
class GatedSink extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly seen: number[] = [];
  private gate: (() => void) | null = null;
  started = signal();
  release(): void {
    this.gate?.();
  }
  protected async onPull(): Promise<void> {
    const value = await this.input.pull();
    this.started.resolve();
    await new Promise<void>((resolve) => (this.gate = resolve));
    this.seen.push(value);
  }
}

class Gated extends Pipeline {
  readonly source = new CounterSource(this, "source");
  readonly sink = new GatedSink(this, "sink");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output, this.sink.input);
  }
}

class Doubler extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  protected async onPull(): Promise<void> {
    this.output.setValue(2 * (await this.input.pull()));
  }
}

class ScalableDoubler extends ScalableCell {
  readonly doubler = new Doubler(this, "doubler");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.doubler.input);
    new Connection(this.doubler.output, this.output);
  }
}

/** `(x + 1) * 2` in a scalable cell whose clones can run in threads and processes. */
class Scaled extends Pipeline {
  readonly source = new CounterSource(this, "source");
  readonly doubler = new ScalablePipeline(this, "doubler");
  readonly sink = new Sink(this, "sink");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output, this.doubler.input);
    new Connection(this.doubler.output, this.sink.input);
  }
}

describe("a pipeline's output record", () => {
  it("pull() resolves to each output port's value under its field name (port name when no field holds it)", async () => {
    await using p = new WordPipeline(null, "p");
    await p.deploy();
    const out = await p.pull();
    expect(out).toEqual({ result: "w", size: 1, unnamed: 1 });
    expect(await p.pull()).toEqual({ result: "ww", size: 2, unnamed: 2 });
    expect(p.outputValues()).toEqual({ result: "ww", size: 2, unnamed: 2 });
  });

  it("is typed by the ports: string where the port is OutputPort<string>, and nothing else", async () => {
    await using p = new WordPipeline(null, "p");
    await p.deploy();
    const out = await p.pull();
    const word: string = out.result;
    const size: number = out.size;
    // @ts-expect-error the port is OutputPort<number>
    const notAString: string = out.size;
    // @ts-expect-error no field of WordPipeline holds an OutputPort called "words"
    void out.words;
    expectTypeOf(out).toEqualTypeOf<{ readonly result: string; readonly size: number }>();
    expect([word, size, notAString]).toEqual(["w", 1, 1]);
  });

  it("for await yields the same typed records, then ends", async () => {
    await using p = new WordPipeline(null, "p");
    await p.deploy();
    const words: string[] = [];
    for await (const out of p) {
      expectTypeOf(out).toEqualTypeOf<OutputRecord<WordPipeline>>();
      const word: string = out.result;
      // @ts-expect-error size is a number
      const wrong: string = out.size;
      words.push(word);
      void wrong;
    }
    expect(words).toEqual(["w", "ww", "www"]);
  });

  it("a pipeline without output ports resolves to undefined; for await yields {}; any pipeline is still a Pipeline", async () => {
    await using p = new NoPorts(null, "p");
    await p.deploy();
    expect(await p.pull()).toBeUndefined();
    const generic: Pipeline = new WordPipeline(null, "w"); // typed records fit the base type
    expect(generic).toBeInstanceOf(Pipeline);
    let n = 0;
    p.source.limit = 3;
    for await (const out of p) {
      expect(out).toEqual({});
      n++;
    }
    expect(n).toBe(2);
    expect(p.sink.seen).toEqual([0, 1, 2]);
  });

  it("carries through a scalable cell: the record of a scaled pipeline is typed the same way", async () => {
    class ScaledOut extends Pipeline {
      readonly source = new CounterSource(this, "source");
      readonly doubler = new ScalableDoubler(this, "doubler");
      readonly doubled = new OutputPort<number>(this, "doubled");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.source.output, this.doubler.input);
        new Connection(this.doubler.output, this.doubled);
      }
    }
    await using p = new ScaledOut(null, "p");
    p.doubler.scaleUp(2);
    await p.deploy();
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push((await p.pull()).doubled);
    expect(got).toEqual([0, 2, 4, 6, 8]);
  });
});

describe("AbortSignal", () => {
  it("pull({ signal }) already aborted rejects with the signal's reason and pulls nothing", async () => {
    await using p = new NoPorts(null, "p");
    await p.deploy();
    const reason = new Error("stop");
    await expect(p.pull({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(p.source.pulls).toBe(0);
    await p.pull();
    expect(p.sink.seen).toEqual([0]);
  });

  it("aborting a pull in progress rejects it at once (AbortError); the iteration still completes, exactly once", async () => {
    await using p = new Gated(null, "p");
    await p.deploy();
    const controller = new AbortController();
    const first = p.pull({ signal: controller.signal });
    await p.sink.started.promise;
    controller.abort();
    await expect(first).rejects.toMatchObject({ name: "AbortError" });
    expect(p.sink.seen).toEqual([]); // the onPull is still waiting
    // The next pull waits for the abandoned one, then runs its own iteration.
    p.sink.started = signal();
    const second = p.pull();
    p.sink.release();
    await p.sink.started.promise;
    p.sink.release();
    await second;
    expect(p.sink.seen).toEqual([0, 1]);
    expect(p.source.pulls).toBe(2);
  });

  it("a signal that never aborts changes nothing, and its listener is removed after the pull", async () => {
    await using p = new NoPorts(null, "p");
    await p.deploy();
    const controller = new AbortController();
    for (let i = 0; i < 3; i++) await p.pull({ signal: controller.signal });
    controller.abort(); // after the pulls: no effect, no unhandled rejection
    expect(p.sink.seen).toEqual([0, 1, 2]);
  });

  it("deploy({ signal }) already aborted rejects and deploys nothing", async () => {
    const p = new Scaled(null, "p");
    p.doubler.scaleUp(1, "thread");
    const reason = new Error("no");
    await expect(p.deploy({ signal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(p.isDeployed).toBe(false);
  });

  it("aborting a deploy in progress undeploys what started, then rejects (AbortError); a later deploy works", async () => {
    const p = new Scaled(null, "p");
    p.doubler.scaleUp(2, "process"); // child processes take a while to start
    const controller = new AbortController();
    const deploying = p.deploy({ signal: controller.signal });
    queueMicrotask(() => controller.abort());
    await expect(deploying).rejects.toMatchObject({ name: "AbortError" });
    expect(p.isDeployed).toBe(false);
    p.doubler.scaleDown(2);
    p.doubler.scaleUp(1);
    await p.deploy();
    try {
      for (let i = 0; i < 3; i++) await p.pull();
      // Items the aborted deployment's clones had claimed ahead went with it, as at any undeploy.
      const first = p.sink.seen[0]!;
      expect(p.sink.seen).toEqual([first, first + 2, first + 4]);
    } finally {
      await p.undeploy();
    }
  });
});

describe("typing", () => {
  it("this file type-checks, with every @ts-expect-error used", () => {
    expect(typeErrorsOf(import.meta.url)).toEqual([]);
  }, 30_000);
});

/** A promise with its resolve function (Promise.withResolvers is Node 22+). */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}
