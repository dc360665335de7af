/**
 * A program with process clones that is ended by SIGTERM while it pulls: its clones must
 * end quietly. A clone busy with an item when its parent dies finds out only when it
 * replies, and the reply fails (EPIPE); unhandled, that printed
 * `Unhandled 'error' event ... EPIPE` and a stack from every clone. The script runs in its
 * own process group, so whatever happens, one kill ends it and its clones.
 */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { eventually, isZombie, processExists } from "./harness.js";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const script = fileURLToPath(new URL("../fixtures/sigterm-script.ts", import.meta.url));

/** Pids still alive (not zombies) in process group `pgid`. */
function groupMembers(pgid: number): number[] {
  const ps = spawnSync("ps", ["-e", "-o", "pid=,pgid=,stat="], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, group, stat]) => pid !== undefined && pid !== "" && Number(group) === pgid && !stat?.startsWith("Z"))
    .map(([pid]) => Number(pid));
}

/** SIGKILL to every process of group `pgid` that is still there. */
function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, "SIGKILL");
  } catch {
    // the group is gone already
  }
}

interface Outcome {
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly clonePids: readonly number[];
  /** Members of the script's process group still alive a while after it died. */
  readonly leftOver: readonly number[];
}

/** Starts the script, waits until it pulls through its clones, sends it SIGTERM, and waits for every process to end. */
async function terminateWhilePulling(): Promise<Outcome> {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: repoRoot,
    detached: true, // its own process group: its clones are in it too
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pgid = child.pid!;
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  // The clones write to the same pipes: "close" comes once every process holding them ended.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once("exit", (_code, signal) => resolve(signal)));
  const killer = setTimeout(() => killGroup(pgid), 25_000); // only a hang gets here
  try {
    const pulling = await eventually(() => stdout.includes('"pulling":true'), 20_000);
    expect(pulling, `the script never reported its pulls; stderr:\n${stderr}`).toBe(true);
    const { clonePids } = JSON.parse(stdout.trim().split("\n")[0]!) as { clonePids: number[] };
    await new Promise((resolve) => setTimeout(resolve, 100)); // both clones are in the middle of an item
    child.kill("SIGTERM");
    const signal = await exited;
    const allEnded = await eventually(() => groupMembers(pgid).length === 0, 5_000);
    const leftOver = allEnded ? [] : groupMembers(pgid);
    if (allEnded) await closed;
    return { signal, stderr, clonePids, leftOver };
  } finally {
    clearTimeout(killer);
    if (groupMembers(pgid).length > 0) killGroup(pgid);
  }
}

const ROUNDS = Number(process.env.CELLFLOW_SIGTERM_ROUNDS ?? 2);

describe("SIGTERM to a program with process clones", () => {
  it("ends the program and its clones without a word on stderr (no EPIPE from a clone replying to the dead parent)", async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const outcome = await terminateWhilePulling();
      expect(outcome.signal).toBe("SIGTERM");
      expect(outcome.clonePids).toHaveLength(2);
      expect(outcome.leftOver).toEqual([]);
      expect(outcome.clonePids.filter((pid) => processExists(pid) && !isZombie(pid))).toEqual([]);
      expect(outcome.stderr).not.toMatch(/EPIPE|Unhandled|Error/);
      expect(outcome.stderr).toBe("");
    }
  }, 120_000);
});
