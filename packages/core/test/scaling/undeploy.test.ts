/**
 * SPEC 2.7 + 3 — undeploy() stops every clone (each clone's onUndeploy runs), wakes a
 * pull waiting on the queue, and leaves nothing that keeps Node alive: a script that
 * deploys, pulls and undeploys must exit on its own.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { AbortedError, NotDeployedError } from "@cellflow/core";
import { withinDeadline } from "../helpers.js";
import { line, sleep, waitFor } from "./cells.js";

const repoRoot = fileURLToPath(new URL("../../../..", import.meta.url));
const script = fileURLToPath(new URL("./fixtures/undeploy-exits.ts", import.meta.url));

describe("undeploy", () => {
  it("stops every clone: each one's onUndeploy runs, and no clone runs afterwards", async () => {
    const { p, scalable, stats, template } = line(async (x) => {
      await sleep(1);
      return x;
    });
    await scalable.scaleUp(4);
    await p.deploy();
    for (let i = 0; i < 6; i++) await p.pull();
    await p.undeploy();
    const clones = stats.instances.filter((w) => w !== template);
    expect(clones).toHaveLength(4);
    expect(clones.map((c) => c.undeploys)).toEqual([1, 1, 1, 1]);
    expect(clones.every((c) => !c.isDeployed)).toBe(true);
    expect(stats.running).toBe(0); // undeploy waited for in-flight items
    const runs = stats.finished.length;
    await sleep(10);
    expect(stats.finished.length).toBe(runs); // nothing keeps filling
    await expect(p.pull()).rejects.toBeInstanceOf(NotDeployedError);
  });

  it("rejects a pull waiting for a slow clone with AbortedError instead of leaving it hanging", async () => {
    const { p, scalable, stats } = line(async (x) => {
      await sleep(15);
      return x;
    });
    await scalable.scaleUp(1);
    await p.deploy();
    await waitFor(() => stats.running === 1, "the clone to start");
    const pending = p.pull();
    await withinDeadline(p.undeploy());
    await expect(withinDeadline(pending)).rejects.toBeInstanceOf(AbortedError);
  });

  it("can deploy again after undeploy, with fresh clones", async () => {
    const { p, scalable, sink, stats, template } = line((x) => x);
    await scalable.scaleUp(2);
    await p.deploy();
    await p.pull();
    await p.undeploy();
    await p.deploy();
    await p.pull();
    expect(sink.values.length).toBe(2);
    const clones = stats.instances.filter((w) => w !== template);
    expect(clones).toHaveLength(4);
    expect(clones.filter((c) => c.isDeployed)).toHaveLength(2);
    await p.undeploy();
  });

  it("leaves nothing keeping Node alive: a script that deploys, pulls and undeploys exits on its own", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", script], {
      cwd: repoRoot,
      timeout: 20_000, // generous: the script itself takes well under a second
    });
    expect(stdout).toContain("busy:0,2,4,6,8");
    expect(stdout).toContain("pending:AbortedError");
    expect(stdout).toContain("blocked:1");
    expect(stdout).toContain("finite:0,1,2,3");
    expect(stdout).toContain("main done");
  });
});
