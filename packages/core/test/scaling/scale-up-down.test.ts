/**
 * SPEC 3.1–3.2 — a scalable cell holds exactly one inner cell, which is a template: it
 * never runs and is never deployed, its clones are. `scaleUp` / `scaleDown` work before
 * and while deployed; bad arguments throw typed errors at once; an unscaled scalable cell
 * that is pulled throws InactiveError telling the user to scale it up.
 */
import { describe, expect, it } from "vitest";
import {
  Connection,
  InactiveError,
  InputPort,
  InvalidArgumentError,
  InvalidCellError,
  OutputPort,
  Pipeline,
  ScalableCell,
  UnknownCloneMethodError,
  type CompositeCell,
} from "@cellflow/core";
import { rejectionOf, thrownBy, withinDeadline } from "../helpers.js";
import { line, sleep, workerClass, yields } from "./cells.js";

describe("scaling before deploy", () => {
  it("counts requested clones and deploys exactly that many", async () => {
    const { p, scalable, sink, stats, template } = line();
    await scalable.scaleUp(3);
    await scalable.scaleDown(1);
    await scalable.scaleUp(); // default: one more
    expect(scalable.cloneCount).toBe(3);
    await p.deploy();
    expect(scalable.cloneCount).toBe(3);
    const clones = stats.instances.filter((w) => w !== template);
    expect(clones).toHaveLength(3);
    expect(clones.every((c) => c.deploys === 1)).toBe(true);
    for (let i = 0; i < 6; i++) await p.pull();
    expect(sink.values).toEqual([0, 1, 2, 3, 4, 5]);
    await p.undeploy();
  });

  it("the inner cell is a template: never deployed, never pulled; only its clones run", async () => {
    const { p, scalable, stats, template } = line(async (x) => {
      await yields(x % 3);
      return x;
    });
    await scalable.scaleUp(2);
    await p.deploy();
    for (let i = 0; i < 8; i++) await p.pull();
    expect(template.isDeployed).toBe(false);
    expect(template.deploys).toBe(0);
    expect(template.seen).toEqual([]);
    const clones = stats.instances.filter((w) => w !== template);
    expect(clones).toHaveLength(2);
    for (const clone of clones) expect(clone.isDeployed).toBe(true);
    // Every item ran on some clone, exactly once.
    expect(clones.flatMap((c) => c.seen).sort((a, b) => a - b).slice(0, 8)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    await p.undeploy();
    expect(template.undeploys).toBe(0);
    expect(clones.every((c) => c.undeploys === 1)).toBe(true);
  });
});

describe("scaling while deployed", () => {
  it("scaleUp adds running clones that take work; scaleDown removes them", async () => {
    const { p, scalable, sink, stats, template } = line(async (x) => {
      await sleep(x % 2);
      return x * 10;
    });
    await scalable.scaleUp(1);
    await p.deploy();
    for (let i = 0; i < 3; i++) await p.pull();
    await withinDeadline(scalable.scaleUp(2));
    expect(scalable.cloneCount).toBe(3);
    const clones = stats.instances.filter((w) => w !== template);
    expect(clones).toHaveLength(3);
    expect(clones.every((c) => c.isDeployed)).toBe(true);
    for (let i = 0; i < 12; i++) await p.pull();
    // The clones added at runtime did some of the work.
    expect(clones[1]!.seen.length + clones[2]!.seen.length).toBeGreaterThan(0);
    await withinDeadline(scalable.scaleDown(2));
    expect(scalable.cloneCount).toBe(1);
    expect(clones.filter((c) => c.undeploys === 1)).toHaveLength(2);
    for (let i = 0; i < 5; i++) await p.pull();
    expect(sink.values).toEqual(Array.from({ length: 20 }, (_, i) => i * 10));
    await p.undeploy();
  });

  it("deploying with no clones is allowed; pulls throw InactiveError until scaled up", async () => {
    const { p, scalable, sink } = line();
    await p.deploy();
    const error = await rejectionOf(p.pull());
    expect(error).toBeInstanceOf(InactiveError);
    expect((error as InactiveError).cellPath).toBe("p.scalable");
    expect((error as Error).message).toMatch(/p\.scalable/);
    expect((error as Error).message).toMatch(/scale ?up|scaleUp/i);
    // The pulled scalable cell itself, directly, says the same.
    expect(await rejectionOf(scalable.output.pull())).toBeInstanceOf(InactiveError);
    await scalable.scaleUp(1);
    await p.pull();
    await p.pull();
    expect(sink.values).toEqual([0, 1]);
    await p.undeploy();
  });

  it("scaling down to zero makes the next pull that has nothing queued throw InactiveError", async () => {
    const { p, scalable, sink } = line();
    scalable.queueCapacity.setValue(2);
    await scalable.scaleUp(1);
    await p.deploy();
    await p.pull();
    await scalable.scaleDown(1);
    expect(scalable.cloneCount).toBe(0);
    // What was already queued still comes out, then the cell is inactive.
    const outcomes: unknown[] = [];
    for (let i = 0; i < 4; i++) outcomes.push(await p.pull().then(() => "ok", (e: unknown) => e));
    const firstInactive = outcomes.findIndex((o) => o instanceof InactiveError);
    expect(firstInactive).toBeGreaterThanOrEqual(0);
    expect(outcomes.slice(firstInactive).every((o) => o instanceof InactiveError)).toBe(true);
    expect(sink.values).toEqual(Array.from({ length: 1 + firstInactive }, (_, i) => i));
    await p.undeploy();
  });
});

describe("bad arguments throw typed errors at once", () => {
  it("scaleUp needs a positive integer count and a known method", () => {
    const { scalable } = line();
    for (const times of [0, -1, 1.5, Number.NaN, Infinity]) {
      expect(thrownBy(() => scalable.scaleUp(times))).toBeInstanceOf(InvalidArgumentError);
    }
    const unknown = thrownBy(() => scalable.scaleUp(1, "no-such-method"));
    expect(unknown).toBeInstanceOf(UnknownCloneMethodError);
    expect((unknown as Error).message).toMatch(/no-such-method/);
    expect((unknown as Error).message).toMatch(/"async"/); // lists what is available
    expect(scalable.cloneCount).toBe(0); // nothing was half-added
  });

  it("scaleDown needs a positive integer count no larger than the clones there are", async () => {
    const { p, scalable } = line();
    await scalable.scaleUp(2);
    for (const times of [0, -2, 0.5]) {
      expect(thrownBy(() => scalable.scaleDown(times))).toBeInstanceOf(InvalidArgumentError);
    }
    const tooMany = thrownBy(() => scalable.scaleDown(3));
    expect(tooMany).toBeInstanceOf(InvalidArgumentError);
    expect((tooMany as Error).message).toMatch(/2 clone/);
    expect(scalable.cloneCount).toBe(2);
    await p.deploy();
    expect(thrownBy(() => scalable.scaleDown(3))).toBeInstanceOf(InvalidArgumentError);
    expect(scalable.cloneCount).toBe(2);
    await p.undeploy();
  });
});

describe("exactly one inner cell", () => {
  it("refuses a second inner cell, with the fix in the message", () => {
    const { Worker } = workerClass();
    class TwoInside extends ScalableCell {
      readonly first = new Worker(this, "first");
      readonly second = new Worker(this, "second");
    }
    const error = thrownBy(() => new TwoInside(null, "two"));
    expect(error).toBeInstanceOf(InvalidCellError);
    expect((error as Error).message).toMatch(/exactly one inner cell/);
    expect((error as Error).message).toMatch(/Pipeline/);
  });

  it("a scalable cell without an inner cell is not deployable", async () => {
    class Empty extends ScalableCell {
      readonly input = new InputPort<number>(this, "input");
      readonly output = new OutputPort<number>(this, "output");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.input, this.output);
      }
    }
    const p = new Pipeline(null, "p");
    new Empty(p, "empty");
    const deployable = p.isDeployable();
    expect(deployable.ok).toBe(false);
    expect(deployable.reasons.join("\n")).toMatch(/no inner cell/);
    expect(await rejectionOf(p.deploy())).toBeInstanceOf(Error);
  });
});
