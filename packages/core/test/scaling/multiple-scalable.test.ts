/**
 * SPEC 3.4 / PyPipeline "Multiple scalable cells" — several scalable cells fed by one
 * source, each with its own clones and speed, each see every value exactly once and in
 * order; the source is never pulled concurrently. Once with all consumers on ONE output
 * of the source, once spread over TWO outputs.
 */
import { describe, expect, it } from "vitest";
import { Connection, Output, Pipeline, SingleCell, type CompositeCell } from "@cellflow/core";
import { withinDeadline } from "../helpers.js";
import { Collector, scalableOf, sleep, workerClass, yields, type ScalableWorker } from "./cells.js";

/** Two outputs: `a` = n, `b` = 1000 + n. Async, and checks it is never pulled concurrently. */
class TwoOutputSource extends SingleCell {
  readonly a = new Output<number>(this, "a");
  readonly b = new Output<number>(this, "b");
  n = 0;
  pulls = 0;
  running = 0;
  overlapped = false;
  protected async onPull(): Promise<void> {
    this.pulls++;
    if (++this.running > 1) this.overlapped = true;
    await yields(1);
    this.a.setValue(this.n);
    this.b.setValue(1000 + this.n);
    this.n++;
    this.running--;
  }
}

/** Three scalable consumers at very different speeds, each followed by a collector. */
class ThreeConsumers extends Pipeline {
  readonly source = new TwoOutputSource(this, "source");
  readonly fast: ScalableWorker;
  readonly medium: ScalableWorker;
  readonly slow: ScalableWorker;
  readonly sinks: Collector[];

  constructor(parent: CompositeCell | null, name: string, outputs: ["a" | "b", "a" | "b", "a" | "b"]) {
    super(parent, name);
    const speeds = [
      (x: number) => yields(x % 2).then(() => x), // instant
      (x: number) => sleep(x % 3 === 0 ? 2 : 0).then(() => x), // uneven
      (x: number) => sleep(1 + (x % 2)).then(() => x), // slow
    ];
    const scalables = speeds.map((work, i) => {
      const Scalable = scalableOf(workerClass(work).Worker);
      return new Scalable(this, `scalable${i}`);
    });
    [this.fast, this.medium, this.slow] = scalables as [ScalableWorker, ScalableWorker, ScalableWorker];
    this.sinks = scalables.map((s, i) => {
      new Connection(this.source[outputs[i]!], s.input);
      const sink = new Collector(this, `sink${i}`);
      new Connection(s.output, sink.input);
      return sink;
    });
  }
}

const N = 25;
const expected = (output: "a" | "b") => Array.from({ length: N }, (_, i) => (output === "a" ? i : 1000 + i));

for (const outputs of [
  ["a", "a", "a"],
  ["a", "b", "a"],
] as const) {
  const label = outputs.every((o) => o === "a") ? "all on one output" : "on two different outputs";

  describe(`three scalable consumers of one source, ${label}`, () => {
    it("each sees every value exactly once, in order (pipeline pulls)", async () => {
      const p = new ThreeConsumers(null, "p", [...outputs]);
      await p.fast.scaleUp(1);
      await p.medium.scaleUp(3);
      await p.slow.scaleUp(2);
      await p.deploy();
      for (let i = 0; i < N; i++) await withinDeadline(p.pull());
      p.sinks.forEach((sink, i) => expect(sink.values, `sink${i}`).toEqual(expected(outputs[i]!)));
      expect(p.source.overlapped).toBe(false);
      await p.undeploy();
    });

    it("each sees every value exactly once, in order, when each consumer is pulled at its own pace", async () => {
      const p = new ThreeConsumers(null, "p", [...outputs]);
      await p.fast.scaleUp(2);
      await p.medium.scaleUp(1);
      await p.slow.scaleUp(4);
      await p.deploy();
      const paces = [0, 1, 2]; // ms between pulls of each sink
      await withinDeadline(
        Promise.all(
          p.sinks.map(async (sink, i) => {
            for (let k = 0; k < N; k++) {
              await sink.pull();
              if (paces[i]! > 0) await sleep(paces[i]!);
            }
          }),
        ),
        10_000,
      );
      p.sinks.forEach((sink, i) => expect(sink.values, `sink${i}`).toEqual(expected(outputs[i]!)));
      expect(p.source.overlapped).toBe(false);
      // The source never ran further ahead than the queues allow (each consumer's queue is bounded).
      expect(p.source.pulls).toBeLessThanOrEqual(N + 2 * 4 + 1);
      await p.undeploy();
    });
  });
}
