/**
 * SPEC 2.7 (and 2.10's reset) — lifecycle: async deploy/undeploy, typed errors for doing
 * either twice or pulling when undeployed, onDeploy/onUndeploy hooks, `await using` /
 * `Symbol.asyncDispose`, and `reset()` with `onReset`.
 */
import { describe, expect, it } from "vitest";
import {
  AbortedError,
  AlreadyDeployedError,
  CellflowError,
  Connection,
  Input,
  LifecycleHookError,
  NotDeployedError,
  Output,
  Pipeline,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { Collector, CounterSource, MapCell, rejectionOf, withinDeadline } from "./helpers.js";

/** Logs its hooks into a shared array. */
class Hooked extends SingleCell {
  readonly input = new Input<number>(this, "input", { defaultValue: 0 });
  readonly output = new Output<number>(this, "output");
  log: string[] = [];
  failOn: "onDeploy" | "onUndeploy" | "onReset" | null = null;
  resource: string | null = null;
  protected async onPull() {
    this.output.setValue((await this.input.pull()) + 1);
  }
  protected override async onDeploy() {
    await Promise.resolve();
    this.log.push(`deploy ${this.name}`);
    if (this.failOn === "onDeploy") throw new Error(`no resource for ${this.name}`);
    this.resource = `handle of ${this.name}`;
  }
  protected override onUndeploy() {
    this.log.push(`undeploy ${this.name}`);
    this.resource = null;
    if (this.failOn === "onUndeploy") throw new Error(`cannot release ${this.name}`);
  }
  protected override onReset() {
    this.log.push(`reset ${this.name}`);
    if (this.failOn === "onReset") throw new Error(`cannot reset ${this.name}`);
  }
}

class HookedChain extends Pipeline {
  readonly log: string[] = [];
  // Declared downstream first: hooks follow the execution order, not the declaration order.
  readonly c = new Hooked(this, "c");
  readonly b = new Hooked(this, "b");
  readonly a = new Hooked(this, "a");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    for (const cell of [this.a, this.b, this.c]) cell.log = this.log;
    new Connection(this.a.output, this.b.input);
    new Connection(this.b.output, this.c.input);
  }
}

describe("deploy() and undeploy()", () => {
  it("a pull while deploy() still runs (not awaited) says so, and a second deploy() is refused", async () => {
    const p = new HookedChain(null, "p");
    const deploying = p.deploy();
    const early = (await rejectionOf(p.pull())) as NotDeployedError;
    expect(early).toBeInstanceOf(NotDeployedError);
    expect(early.message).toMatch(/still deploying: await deploy\(\) before pulling/);
    expect(await rejectionOf(p.deploy())).toBeInstanceOf(AlreadyDeployedError);
    await deploying;
    await p.pull();
    expect(p.c.output.getValue()).toBe(3);
    await p.undeploy();
    // Not deploying any more: the plain message again.
    expect(((await rejectionOf(p.pull())) as Error).message).toMatch(/not deployed: call deploy\(\)/);
  });

  it("deploy every cell (upstream first, onDeploy acquiring resources) and undeploy in reverse", async () => {
    const p = new HookedChain(null, "p");
    expect(p.isDeployed).toBe(false);
    const deploying = p.deploy();
    expect(deploying).toBeInstanceOf(Promise);
    await deploying;
    expect(p.isDeployed).toBe(true);
    expect([p.a, p.b, p.c].every((c) => c.isDeployed && c.resource !== null)).toBe(true);
    expect(p.log).toEqual(["deploy a", "deploy b", "deploy c"]);
    await p.pull();
    expect(p.c.output.getValue()).toBe(3);
    await p.undeploy();
    expect(p.isDeployed).toBe(false);
    expect([p.a, p.b, p.c].some((c) => c.isDeployed || c.resource !== null)).toBe(false);
    expect(p.log).toEqual(["deploy a", "deploy b", "deploy c", "undeploy c", "undeploy b", "undeploy a"]);
  });

  it("throws AlreadyDeployedError when deploying twice", async () => {
    const p = new HookedChain(null, "p");
    await p.deploy();
    const error = await rejectionOf(p.deploy());
    expect(error).toBeInstanceOf(AlreadyDeployedError);
    expect(error).toBeInstanceOf(CellflowError);
    expect((error as Error).message).toContain('"p"');
    expect(p.log.filter((l) => l.startsWith("deploy"))).toHaveLength(3); // hooks not run again
    expect(p.isDeployed).toBe(true);
    await p.undeploy();
  });

  it("throws NotDeployedError when undeploying a pipeline that is not deployed", async () => {
    const p = new HookedChain(null, "p");
    expect(await rejectionOf(p.undeploy())).toBeInstanceOf(NotDeployedError);
    await p.deploy();
    await p.undeploy();
    expect(await rejectionOf(p.undeploy())).toBeInstanceOf(NotDeployedError);
    expect(p.log.filter((l) => l.startsWith("undeploy"))).toHaveLength(3);
  });

  it("throws NotDeployedError (as a rejection) when pulling a pipeline, a cell or an output that is not deployed", async () => {
    const p = new HookedChain(null, "p");
    const pulled = p.pull();
    expect(pulled).toBeInstanceOf(Promise);
    const error = await withinDeadline(rejectionOf(pulled));
    expect(error).toBeInstanceOf(NotDeployedError);
    expect((error as Error).message).toContain('"p"');
    expect((error as Error).message).toMatch(/deploy\(\)/);
    expect(await rejectionOf(p.b.pull())).toBeInstanceOf(NotDeployedError);
    expect(await rejectionOf(p.c.output.pull())).toBeInstanceOf(NotDeployedError);
    await p.deploy();
    await p.undeploy();
    expect(await rejectionOf(p.pull())).toBeInstanceOf(NotDeployedError);
  });

  it("can be deployed again after undeploy, and runs as before", async () => {
    const p = new HookedChain(null, "p");
    await p.deploy();
    await p.undeploy();
    await p.deploy();
    await p.pull();
    expect(p.c.output.getValue()).toBe(3);
    expect(p.log.filter((l) => l === "deploy a")).toHaveLength(2);
    await p.undeploy();
  });

  it("reports a failing onDeploy as LifecycleHookError, undeploys the cells already up, and stays undeployed", async () => {
    const p = new HookedChain(null, "p");
    p.b.failOn = "onDeploy";
    const error = await withinDeadline(rejectionOf(p.deploy()));
    expect(error).toBeInstanceOf(LifecycleHookError);
    expect((error as LifecycleHookError).cellPath).toBe("p.b");
    expect((error as LifecycleHookError).hook).toBe("onDeploy");
    expect(((error as Error).cause as Error).message).toBe("no resource for b");
    expect((error as Error).message).toContain("p.b");
    expect(p.log).toEqual(["deploy a", "deploy b", "undeploy a"]);
    expect(p.isDeployed).toBe(false);
    expect(p.a.isDeployed).toBe(false);
    p.b.failOn = null;
    await p.deploy();
    expect(p.isDeployed).toBe(true);
    await p.undeploy();
  });

  it("undeploys every cell even when one onUndeploy fails, then reports it", async () => {
    const p = new HookedChain(null, "p");
    await p.deploy();
    p.b.failOn = "onUndeploy";
    const error = await rejectionOf(p.undeploy());
    expect(error).toBeInstanceOf(LifecycleHookError);
    expect((error as LifecycleHookError).cellPath).toBe("p.b");
    expect(p.log.slice(3)).toEqual(["undeploy c", "undeploy b", "undeploy a"]);
    expect(p.isDeployed).toBe(false);
    expect([p.a, p.b, p.c].some((c) => c.isDeployed)).toBe(false);
  });

  it("aborts pulls queued behind a running one when undeployed, instead of leaving them hanging", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    class Blocking extends SingleCell {
      protected async onPull() {
        await gate;
      }
    }
    const p = new Pipeline(null, "p");
    new Blocking(p, "blocking");
    await p.deploy();
    const first = p.pull();
    const queued = p.pull();
    const undeployed = p.undeploy();
    expect(await withinDeadline(rejectionOf(queued))).toBeInstanceOf(AbortedError);
    release();
    await withinDeadline(first);
    await withinDeadline(undeployed);
    expect(p.isDeployed).toBe(false);
  });
});

describe("disposal", () => {
  it("`await using` undeploys at the end of the scope", async () => {
    let outside: HookedChain;
    {
      await using p = new HookedChain(null, "p");
      outside = p;
      await p.deploy();
      await p.pull();
      expect(p.isDeployed).toBe(true);
    }
    expect(outside.isDeployed).toBe(false);
    expect(outside.log.slice(-3)).toEqual(["undeploy c", "undeploy b", "undeploy a"]);
  });

  it("`await using` undeploys when the scope exits with an error", async () => {
    let outside: HookedChain | undefined;
    await expect(
      (async () => {
        await using p = new HookedChain(null, "p");
        outside = p;
        await p.deploy();
        throw new Error("boom");
      })(),
    ).rejects.toThrow("boom");
    expect(outside!.isDeployed).toBe(false);
  });

  it("Symbol.asyncDispose undeploys a deployed pipeline and does nothing to an undeployed one", async () => {
    const p = new HookedChain(null, "p");
    await p[Symbol.asyncDispose]();
    expect(p.log).toEqual([]);
    await p.deploy();
    await p[Symbol.asyncDispose]();
    expect(p.isDeployed).toBe(false);
    expect(p.log.slice(-3)).toEqual(["undeploy c", "undeploy b", "undeploy a"]);
  });
});

describe("reset()", () => {
  it("returns every cell to its initial state through onReset, while staying deployed", async () => {
    const p = new Pipeline(null, "p");
    const source = new CounterSource(p, "source");
    const map = new MapCell(p, "map");
    const sink = new Collector(p, "sink");
    map.fn = (x) => 10 * x;
    new Connection(source.output, map.input);
    new Connection(map.output, sink.input);
    await p.deploy();
    for (let i = 0; i < 3; i++) await p.pull();
    expect(sink.values).toEqual([0, 10, 20]);
    await p.reset();
    expect(p.isDeployed).toBe(true);
    expect(sink.values).toEqual([]);
    for (let i = 0; i < 2; i++) await p.pull();
    expect(sink.values).toEqual([0, 10]);
    await p.undeploy();
  });

  it("calls every onReset, upstream first", async () => {
    const p = new HookedChain(null, "p");
    await p.deploy();
    await p.pull();
    await p.reset();
    expect(p.log.slice(3)).toEqual(["reset a", "reset b", "reset c"]);
    await p.undeploy();
  });

  it("throws NotDeployedError on a pipeline that is not deployed", async () => {
    const p = new HookedChain(null, "p");
    expect(await rejectionOf(p.reset())).toBeInstanceOf(NotDeployedError);
    expect(p.log).toEqual([]);
  });

  it("reports a failing onReset as LifecycleHookError", async () => {
    const p = new HookedChain(null, "p");
    await p.deploy();
    p.a.failOn = "onReset";
    const error = await rejectionOf(p.reset());
    expect(error).toBeInstanceOf(LifecycleHookError);
    expect((error as LifecycleHookError).hook).toBe("onReset");
    expect((error as LifecycleHookError).cellPath).toBe("p.a");
    await p.undeploy();
  });

  it("forgets values that came through connections but keeps outputs' initial values", async () => {
    class Fed extends SingleCell {
      readonly output = new Output<number>(this, "output", { initialValue: 42 });
      protected onPull() {
        this.output.setValue(1);
      }
    }
    const p = new Pipeline(null, "p");
    const fed = new Fed(p, "fed");
    const sink = new Collector(p, "sink");
    new Connection(fed.output, sink.input);
    await p.deploy();
    await p.pull();
    expect(fed.output.getValue()).toBe(1);
    expect(sink.input.getValue()).toBe(1);
    await p.reset();
    expect(fed.output.getValue()).toBe(42);
    expect(() => sink.input.getValue()).toThrow(CellflowError);
    await p.undeploy();
  });
});
