/**
 * SPEC 3.5 / PyPipeline "Skip connections" — a connection from an input port straight to
 * an output port of a scalable cell passes the value through the queue slot: it stays
 * aligned with the inner cell's outputs, and the source and sink stay decoupled. Without
 * it (the sink wired straight to the source, around the scalable cell), the coupling is
 * visible: the scalable cell cannot run ahead of the sink.
 */
import { describe, expect, it } from "vitest";
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
} from "@cellflow/core";
import { withinDeadline } from "../helpers.js";
import { sleep, workerClass } from "./cells.js";

/** Emits `value` = n and `tag` = "t<n>". */
class TaggedSource extends SingleCell {
  readonly value = new Output<number>(this, "value");
  readonly tag = new Output<string>(this, "tag");
  n = 0;
  pulls = 0;
  protected onPull(): void {
    this.pulls++;
    this.value.setValue(this.n);
    this.tag.setValue(`t${this.n++}`);
  }
}

/** Records [result, tag] pairs. */
class PairSink extends SingleCell {
  readonly result = new Input<number>(this, "result");
  readonly tag = new Input<string>(this, "tag");
  readonly pairs: Array<[number, string]> = [];
  protected async onPull(): Promise<void> {
    const result = await this.result.pull();
    this.pairs.push([result, await this.tag.pull()]);
  }
}

/** Uneven clones: item n takes (n % 3) ms, so later items often finish first. */
const { Worker } = workerClass(async (x) => {
  await sleep(x % 3);
  return x * x;
});

class WithSkip extends ScalableCell {
  readonly worker = new Worker(this, "worker");
  readonly value = new InputPort<number>(this, "value");
  readonly tag = new InputPort<string>(this, "tag");
  readonly result = new OutputPort<number>(this, "result");
  readonly tagOut = new OutputPort<string>(this, "tag_out");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.value, this.worker.input);
    new Connection(this.worker.output, this.result);
    new Connection(this.tag, this.tagOut); // the skip connection
  }
}

class WithoutSkip extends ScalableCell {
  readonly worker = new Worker(this, "worker");
  readonly value = new InputPort<number>(this, "value");
  readonly result = new OutputPort<number>(this, "result");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.value, this.worker.input);
    new Connection(this.worker.output, this.result);
  }
}

function skipPipeline() {
  const p = new Pipeline(null, "p");
  const source = new TaggedSource(p, "source");
  const scalable = new WithSkip(p, "scalable");
  const sink = new PairSink(p, "sink");
  new Connection(source.value, scalable.value);
  new Connection(source.tag, scalable.tag);
  new Connection(scalable.result, sink.result);
  new Connection(scalable.tagOut, sink.tag);
  return { p, source, scalable, sink };
}

function bypassPipeline() {
  const p = new Pipeline(null, "p");
  const source = new TaggedSource(p, "source");
  const scalable = new WithoutSkip(p, "scalable");
  const sink = new PairSink(p, "sink");
  new Connection(source.value, scalable.value);
  new Connection(source.tag, sink.tag); // around the scalable cell
  new Connection(scalable.result, sink.result);
  return { p, source, scalable, sink };
}

const pairs = (n: number) => Array.from({ length: n }, (_, i): [number, string] => [i * i, `t${i}`]);

describe("skip connection inside the scalable cell", () => {
  it("carries the value through the queue slot, aligned with the inner cell's output", async () => {
    const { p, scalable, sink } = skipPipeline();
    await scalable.scaleUp(3);
    await p.deploy();
    for (let i = 0; i < 15; i++) await withinDeadline(p.pull());
    expect(sink.pairs).toEqual(pairs(15));
    await p.undeploy();
  });

  it("keeps source and sink decoupled: the source runs ahead of the sink up to the queue capacity", async () => {
    const { p, source, scalable, sink } = skipPipeline();
    scalable.queueCapacity.setValue(4);
    await scalable.scaleUp(2);
    await p.deploy();
    await scalable.whenIdle();
    expect(source.pulls).toBe(4);
    for (let k = 1; k <= 3; k++) {
      await p.pull();
      await scalable.whenIdle();
      expect(source.pulls).toBe(k + 4);
    }
    expect(sink.pairs).toEqual(pairs(3));
    await p.undeploy();
  });
});

describe("without the skip connection (sink wired around the scalable cell)", () => {
  it("still delivers aligned values (exactly once per connection)", async () => {
    const { p, scalable, sink } = bypassPipeline();
    await scalable.scaleUp(3);
    await p.deploy();
    for (let i = 0; i < 15; i++) await withinDeadline(p.pull());
    expect(sink.pairs).toEqual(pairs(15));
    await p.undeploy();
  });

  it("couples the scalable cell to the sink: the source gets at most one item ahead, whatever the capacity", async () => {
    const { p, source, scalable, sink } = bypassPipeline();
    scalable.queueCapacity.setValue(4);
    await scalable.scaleUp(2);
    await p.deploy();
    // Eager filling takes value 0, but the source cannot make value 1 until the sink
    // took tag 0 over the bypass connection: the input pull for the next item waits for
    // that (a pull of the sink), so the cell is never idle; `whileWaiting` does not wait for it.
    await scalable.whenIdle({ whileWaiting: true });
    expect(source.pulls).toBe(1);
    for (let k = 1; k <= 3; k++) {
      await p.pull();
      await scalable.whenIdle({ whileWaiting: true });
      expect(source.pulls).toBe(k + 1);
    }
    expect(sink.pairs).toEqual(pairs(3));
    await p.undeploy();
  });
});
