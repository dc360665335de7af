/**
 * A single-file program (cells, registerCells, scaleUp and deploy at the top level, no
 * main guard) with thread or process clones: every clone imports the file to find its
 * cell and so runs the program again. It must stop at once with DeployInCloneError naming
 * the fix, never multiply. Run in its own process group, so a failure of the guard is
 * killed whole instead of taking the machine down.
 */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const program = fileURLToPath(new URL("../fixtures/single-file-program.ts", import.meta.url));

/** Pids still alive in process group `pgid` (none once the program and its clones ended). */
function groupMembers(pgid: number): number[] {
  const ps = spawnSync("ps", ["-o", "pid=,stat=", "-g", String(pgid)], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, stat]) => pid !== undefined && pid !== "" && !stat?.startsWith("Z"))
    .map(([pid]) => Number(pid));
}

describe.each(["thread", "process"] as const)("a single-file program with %s clones and no main guard", (method) => {
  it("stops at once with DeployInCloneError naming the fix, and leaves no process behind", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", program, method], {
      cwd: repoRoot,
      detached: true, // its own process group: one kill ends it and every clone it started
      stdio: ["ignore", "pipe", "pipe"],
    });
    const pgid = child.pid!;
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    let killed = false;
    const killer = setTimeout(() => {
      killed = true;
      process.kill(-pgid, "SIGKILL");
    }, 20_000); // only a guard that failed gets here
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    clearTimeout(killer);
    expect(killed).toBe(false);
    expect(code).toBe(1);
    expect(output).toContain("DeployInCloneError");
    expect(output).toContain("import.meta.url === pathToFileURL(process.argv[1]).href");
    expect(output).not.toMatch(/^\d+$/m); // the program never got to print a square
    const deadline = Date.now() + 5_000;
    while (groupMembers(pgid).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(groupMembers(pgid)).toEqual([]);
  }, 40_000);
});
