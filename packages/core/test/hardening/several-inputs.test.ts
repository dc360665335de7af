/**
 * Hardening, cases 1–3: scalable cells with several inputs. A scalable cell pulls its
 * input ports in declaration order for each item; when one fails, the item's slot holds
 * the first error (in port order) and every other port's value for that item is still
 * consumed, exactly as an unscaled cell whose pull failed consumes the inputs it did not
 * get to. Past the end of a finite stream every pull raises EndOfStreamError, and the
 * other branches keep working as in the unscaled graph.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Connection, Output, Pipeline, SingleCell, type Cell } from "@cellflow/core";
import { Collect, NumberSource, adder, pullOutcomes, undeployQuietly } from "./util.js";

const deployed: Cell[] = [];
afterEach(async () => {
  for (const p of deployed.splice(0)) await undeployQuietly(p);
});

async function deploy(p: Pipeline): Promise<void> {
  deployed.push(p);
  await p.deploy();
}

const variants = [
  { label: "unscaled (reference)", clones: 0 },
  { label: "1 async clone", clones: 1 },
  { label: "3 async clones", clones: 3 },
] as const;

describe("case 1: two sources into a scalable Add, one of them fails on an item", () => {
  /** ones: 0, 1 (fails), 2, 3, ...; hundreds: 0, 100, 200, 300, ... */
  function build(clones: number) {
    const p = new Pipeline(null, "p");
    const ones = new NumberSource(p, "ones");
    ones.failOn.add(1);
    const hundreds = new NumberSource(p, "hundreds");
    hundreds.scale = 100;
    const add = adder(p, "add", clones);
    const sink = new Collect(p, "sink");
    new Connection(ones.output, add.a);
    new Connection(hundreds.output, add.b);
    new Connection(add.output, sink.input);
    return { p, sink };
  }

  for (const { label, clones } of variants) {
    it(`case 1: sums never mix items of different iterations (${label})`, async () => {
      const { p, sink } = build(clones);
      await deploy(p);
      const outcomes = await pullOutcomes(p, 5);
      expect(outcomes).toEqual(["ok", "CellPullError(p.ones)", "ok", "ok", "ok"]);
      expect(sink.values).toEqual([0, 202, 303, 404]);
    });
  }
});

describe("case 1 (variant): both sources fail on the same item", () => {
  for (const { label, clones } of variants) {
    it(`case 1: the slot holds the first error in port order, and both values are used up (${label})`, async () => {
      const p = new Pipeline(null, "p");
      const ones = new NumberSource(p, "ones");
      ones.failOn.add(1);
      const hundreds = new NumberSource(p, "hundreds");
      hundreds.scale = 100;
      hundreds.failOn.add(1).add(3);
      const add = adder(p, "add", clones);
      const sink = new Collect(p, "sink");
      new Connection(ones.output, add.a);
      new Connection(hundreds.output, add.b);
      new Connection(add.output, sink.input);
      await deploy(p);
      const outcomes = await pullOutcomes(p, 5);
      expect(outcomes).toEqual(["ok", "CellPullError(p.ones)", "ok", "CellPullError(p.hundreds)", "ok"]);
      expect(sink.values).toEqual([0, 202, 404]);
    });
  }
});

describe("case 2: one source with two outputs feeds both inputs of a scalable cell and fails on an item", () => {
  /** Emits (n, 10 n); fails on n = 1 (both outputs record the failure). */
  class PairSource extends SingleCell {
    readonly x = new Output<number>(this, "x");
    readonly tenX = new Output<number>(this, "ten_x");
    n = 0;
    protected async onPull(): Promise<void> {
      const n = this.n++;
      await Promise.resolve();
      if (n === 1) throw new Error("pair source fails on item 1");
      this.x.setValue(n);
      this.tenX.setValue(10 * n);
    }
  }

  function build(clones: number) {
    const p = new Pipeline(null, "p");
    const source = new PairSource(p, "source");
    const add = adder(p, "add", clones);
    const sink = new Collect(p, "sink");
    new Connection(source.x, add.a);
    new Connection(source.tenX, add.b);
    new Connection(add.output, sink.input);
    return { p, sink };
  }

  for (const { label, clones } of variants) {
    it(`case 2: the pull after the failure gets the next item (${label})`, async () => {
      const { p, sink } = build(clones);
      await deploy(p);
      const outcomes = await pullOutcomes(p, 4);
      expect(outcomes).toEqual(["ok", "CellPullError(p.source)", "ok", "ok"]);
      expect(sink.values).toEqual([0, 22, 33]);
    });
  }
});

describe("case 3: two finite sources of different lengths into one scalable cell; the longer one also feeds a plain cell", () => {
  /** short: 0, 1 (then ends); long: 0, 100, ..., 400 (then ends), also into a plain collector. */
  function build(clones: number) {
    const p = new Pipeline(null, "p");
    const short = new NumberSource(p, "short");
    short.limit = 2;
    const long = new NumberSource(p, "long");
    long.scale = 100;
    long.limit = 5;
    const add = adder(p, "add", clones);
    const sums = new Collect(p, "sums");
    const plain = new Collect(p, "plain");
    new Connection(short.output, add.a);
    new Connection(long.output, add.b);
    new Connection(add.output, sums.input);
    new Connection(long.output, plain.input);
    return { p, sums, plain };
  }

  for (const { label, clones } of variants) {
    it(`case 3: every pull past the end raises EndOfStreamError; the plain branch keeps its values (${label})`, async () => {
      const { p, sums, plain } = build(clones);
      await deploy(p);
      const outcomes = await pullOutcomes(p, 8);
      expect(outcomes).toEqual(["ok", "ok", ...Array(6).fill("EndOfStreamError")]);
      expect(sums.values).toEqual([0, 101]);
      expect(plain.values).toEqual([0, 100, 200, 300, 400]);
    });
  }
});
