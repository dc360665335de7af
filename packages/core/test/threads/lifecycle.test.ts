/**
 * SPEC 2.7, 2.10 and 3 — lifecycle of thread and process clones: `undeploy()` ends every
 * worker thread and child process it started (no orphan process, nothing keeps Node
 * alive), and `reset()` makes thread and process clones start over.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { CloneCrashEvent } from "@cellflow/core";
import { ScalableMath, ScalableRunningSum, ScalableTrouble, markerPath, methodOf, removeMarkers, type TroubleItem, type Where } from "../fixtures/thread-cells.js";
import { ScalableFailingDeploy, pidIn } from "./failing-deploy-cells.js";
import { eventually, harness, isZombie, processExists } from "./harness.js";

afterAll(removeMarkers);

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const exitScript = fileURLToPath(new URL("../fixtures/undeploy-exit-script.ts", import.meta.url));
const forgetfulScript = fileURLToPath(new URL("../fixtures/forgot-undeploy-script.ts", import.meta.url));

const gone = (pid: number) => !processExists(pid) || isZombie(pid);

describe("undeploy", () => {
  it("ends every child process, including the replacement of a crashed one: no orphans", async () => {
    const { pipeline, scalable, sinks } = harness(
      ScalableTrouble,
      (i): TroubleItem => (i === 4 ? { x: i, trouble: { kind: "exit", marker: markerPath("lifecycle-exit") } } : { x: i, trouble: { kind: "ok" } }),
      ["output", "where"],
    );
    scalable.scaleUp(2, "process");
    const crashes: CloneCrashEvent[] = [];
    scalable.events.on("cloneCrashed", (e) => crashes.push(e));
    await pipeline.deploy();
    for (let i = 0; i < 12; i++) await pipeline.pull();
    expect(sinks.output!.values).toEqual(Array.from({ length: 12 }, (_, i) => 10 * i));
    expect(crashes).toMatchObject([{ method: "process", replaced: true }]);
    const where = sinks.where!.values as Where[];
    expect(where.every((w) => methodOf(w) === "process")).toBe(true);
    const pids = [...new Set(where.map((w) => w.pid))];
    const replacement = where[4]!.pid; // item 4 killed its first clone and ran again on the replacement
    expect(pids).toContain(replacement);
    expect(pids.length).toBeGreaterThanOrEqual(2);
    expect(processExists(replacement)).toBe(true);
    await pipeline.undeploy();
    // A terminated child is reaped before undeploy resolves; allow a moment for the OS all the same.
    expect(await eventually(() => pids.every(gone), 3_000)).toBe(true);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  });

  it("lets a script that used thread and process clones exit on its own", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", exitScript], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 25_000); // generous: only a hang reaches it
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once("exit", (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    expect({ code, signal, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, signal: null, stderr: "" });
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as {
      math: number[];
      outer: number[];
      trouble: number[];
      crashes: number;
      pids: number[];
    };
    expect(report.math).toEqual([0, 1, 2, 3, 4, 5]);
    expect(report.outer).toEqual([0, 1, 2, 3, 4, 5]);
    expect(report.trouble).toEqual([0, 10, 20, 30, 40, 50]);
    expect(report.crashes).toBe(1);
    expect(report.pids.length).toBeGreaterThanOrEqual(1);
    expect(report.pids.every(gone)).toBe(true);
  }, 40_000);
});

describe("a script that forgets undeploy()", () => {
  it("still exits on its own: idle thread and process clones do not keep Node alive, and the process clone ends too", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", forgetfulScript], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 25_000); // generous: only a hang reaches it
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once("exit", (c, s) => resolve([c, s])),
    );
    clearTimeout(killer);
    expect({ code, signal, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, signal: null, stderr: "" });
    const report = JSON.parse(stdout.trim().split("\n").at(-1)!) as { threads: number[]; processes: number[]; pids: number[] };
    expect(report.threads).toEqual([0, 1, 2, 3]);
    expect(report.processes).toEqual([0, 1, 2, 3]);
    expect(report.pids).toHaveLength(1);
    // Its IPC channel closed with the parent: the clone's process ends on its own.
    expect(await eventually(() => report.pids.every(gone), 5_000)).toBe(true);
  }, 40_000);
});

describe.each(["thread", "process"] as const)('reset() with "%s" clones', (method) => {
  it("starts over: the source and every clone's state return to the beginning", async () => {
    const { pipeline, scalable, sinks, source } = harness(ScalableRunningSum, (i) => i + 1);
    scalable.scaleUp(1, method); // one clone: its running sum is deterministic
    await pipeline.deploy();
    try {
      for (let i = 0; i < 5; i++) await pipeline.pull();
      expect(sinks.output!.values).toEqual([1, 3, 6, 10, 15]);
      await pipeline.reset();
      expect(sinks.output!.values).toEqual([]);
      for (let i = 0; i < 5; i++) await pipeline.pull();
      expect(sinks.output!.values).toEqual([1, 3, 6, 10, 15]); // not 16, 18, ...: the clone's sum was reset
      expect(source.sent.slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    } finally {
      await pipeline.undeploy();
    }
  });
});

describe("reset() with two thread clones", () => {
  it("forgets the items queued ahead and delivers from the first item again, in order", async () => {
    const { pipeline, scalable, sinks, source } = harness(ScalableMath, (i) => i, ["output", "where"]);
    scalable.queueCapacity.setValue(4);
    scalable.scaleUp(2, "thread");
    await pipeline.deploy();
    try {
      for (let i = 0; i < 7; i++) await pipeline.pull();
      await scalable.whenIdle(); // the clones filled the queue ahead
      expect(source.pulls).toBe(7 + 4);
      await pipeline.reset();
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 9; i++) await pipeline.pull();
        expect(sinks.output!.values).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
        expect((sinks.where!.values as Where[]).every((w) => methodOf(w) === "thread")).toBe(true);
        await pipeline.reset();
      }
    } finally {
      await pipeline.undeploy();
    }
  });
});

describe("a clone that fails to deploy", () => {
  it("is ended: its child process does not outlive the failed deploy or scaleUp", async () => {
    const { pipeline, scalable } = harness(ScalableFailingDeploy, (i) => i);
    scalable.scaleUp(1, "process");
    const atDeploy = await pipeline.deploy().then(() => null, (error: unknown) => error);
    expect(String(atDeploy)).toContain("cannot deploy in pid");
    const deployPid = pidIn(atDeploy);
    expect(deployPid).not.toBe(process.pid);

    scalable.scaleDown(1);
    await pipeline.deploy();
    const atScaleUp = await scalable.scaleUp(1, "process").then(() => null, (error: unknown) => error);
    const scaleUpPid = pidIn(atScaleUp);
    expect(scalable.cloneCount).toBe(0);
    await pipeline.undeploy();
    expect(await eventually(() => gone(deployPid) && gone(scaleUpPid), 3_000)).toBe(true);
  });
});
