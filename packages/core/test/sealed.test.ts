/**
 * The surface users subclass is sealed (issue #9): the engine's members of `Cell` and its
 * subclasses are symbol-keyed or `#private`, so a user's fields and methods named like
 * them (`produce`, `refreshing`, `ios`, …) compile and run, through plain, async, thread
 * and process clones; the classes' string-named members are exactly the public API; the
 * engine's own parameter names give a clear error when a user's IO takes one. The last
 * test type-checks this file (and the fixture) with the TypeScript API.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  Cell,
  CompositeCell,
  InputPort,
  InvalidNameError,
  NotDeployedError,
  Pipeline,
  ScalableCell,
  SingleCell,
  type CloneMethodName,
} from "@cellflow/core";
import { CollidingPipeline, CollidingSource } from "./fixtures/colliding-cells.js";
import { typeErrorsOf } from "./type-check.js";

const deployed: Cell[] = [];
afterEach(async () => {
  for (const cell of deployed.splice(0)) if (cell.isDeployed) await cell.undeploy();
});

async function pullResults(pipeline: CollidingPipeline, pulls: number): Promise<number[]> {
  await pipeline.deploy();
  deployed.push(pipeline);
  const results: number[] = [];
  for (let i = 0; i < pulls; i++) results.push((await pipeline.pull()).result);
  return results;
}

describe("a user's members named like the engine's", () => {
  it("leave the engine alone without clones (no-scaling runs the inner cell inline)", async () => {
    const pipeline = new CollidingPipeline(null, "colliding");
    pipeline.squares.scaleUp(1);
    pipeline.squares.scalingStrategy.setValue("no-scaling");
    expect(await pullResults(pipeline, 5)).toEqual([0, 1, 4, 9, 16]);
    // The user's fields kept the user's values; the user's methods were never called by the engine.
    expect(pipeline.source.ios).toEqual(["mine"]);
    expect(pipeline.source.refreshing).toBe(true);
    expect(pipeline.source.pullSerial).toBe(1000);
    expect(pipeline.source.pullInternal()).toBe("the user's pullInternal");
    expect(pipeline.squares.strategy).toBe("the user's strategy");
  });

  it.each<CloneMethodName>(["async", "thread", "process"])("leave the engine alone in %s clones, in order", async (method) => {
    const pipeline = new CollidingPipeline(null, "colliding");
    pipeline.squares.scaleUp(2, method);
    expect(await pullResults(pipeline, 6)).toEqual([0, 1, 4, 9, 16, 25]);
    expect(pipeline.squares.cloneCount).toBe(2);
  });

  it("show only the public API as string-named members of the classes users subclass", () => {
    const publicNames = (prototype: object) => Object.getOwnPropertyNames(prototype).sort();
    expect(publicNames(Cell.prototype)).toEqual(
      [
        "constructor", "path", "root", "isDeployed", "io", "pull", "availablePulls", "remainingPulls",
        "deploy", "undeploy", "reset", "assertIsValid", "isDeployable", "toString",
      ].sort(),
    );
    expect(publicNames(SingleCell.prototype)).toEqual(["constructor", "onDeploy", "onReset", "onUndeploy"]);
    expect(publicNames(CompositeCell.prototype)).toEqual(["child", "constructor", "getTopologyDescription", "topology"]);
    expect(publicNames(Pipeline.prototype)).toEqual(["availablePulls", "constructor", "outputValues", "pull"]);
    expect(publicNames(ScalableCell.prototype)).toEqual(
      ["availablePulls", "cloneCount", "constructor", "innerCell", "scaleDown", "scaleUp", "whenIdle"],
    );
    // An instance's own string keys: what the constructors set, then the user's fields.
    class Plain extends SingleCell {
      protected onPull(): void {}
    }
    expect(Object.keys(new Plain(null, "plain"))).toEqual(["parent", "name"]);
    class Empty extends Pipeline {}
    expect(Object.keys(new Empty(null, "empty"))).toEqual(["parent", "name", "children", "connections"]);
    expect(Object.keys(new CollidingSource(null, "source"))).toEqual(
      ["parent", "name", "output", "ios", "emitters", "refreshing", "haltReason", "pullSerial", "counter"],
    );
  });
});

describe("the engine's own parameter names", () => {
  it("refuse a user's IO of the same name with an error naming the engine's parameter", () => {
    class Clashing extends ScalableCell {
      readonly inner = new CollidingSource(this, "inner");
      readonly capacity = new InputPort<number>(this, "queue_capacity");
    }
    let error: unknown;
    try {
      new Clashing(null, "clashing");
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidNameError);
    expect((error as Error).message).toMatch(/"queue_capacity".*engine's own parameter `queueCapacity`.*another name/);
  });

  it("keep the plain message for two IO of the user's with one name", () => {
    class Twice extends Pipeline {
      readonly a = new InputPort<number>(this, "value");
      readonly b = new InputPort<number>(this, "value");
    }
    expect(() => new Twice(null, "twice")).toThrow(/already has an IO named "value"\.$/);
  });
});

describe("undeploy() called twice", () => {
  it("waits for the undeploy in progress instead of throwing; once undeployed, it throws", async () => {
    const pipeline = new CollidingPipeline(null, "twice");
    pipeline.squares.scaleUp(2, "thread");
    await pipeline.deploy();
    deployed.push(pipeline);
    await pipeline.pull();
    const first = pipeline.undeploy();
    const second = pipeline.undeploy();
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    expect(pipeline.isDeployed).toBe(false);
    await expect(pipeline.undeploy()).rejects.toBeInstanceOf(NotDeployedError);
    await pipeline.deploy(); // and it deploys again (the source's count goes on: no reset)
    expect(Number.isInteger(Math.sqrt((await pipeline.pull()).result))).toBe(true);
  });
});

describe("types", () => {
  it("this file and the colliding cells type-check (the user's members compile)", () => {
    expect(typeErrorsOf(import.meta.url)).toEqual([]);
    expect(typeErrorsOf(new URL("./fixtures/colliding-cells.ts", import.meta.url).href)).toEqual([]);
  });
});
