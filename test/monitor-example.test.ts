/** examples/monitor: serves the dashboard while it pulls, prints its URL and progress, and ends on its own. */
import { execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const script = "examples/monitor/main.ts";

describe("examples/monitor", () => {
  it("--seconds 2: prints the dashboard's URL, serves it while it runs, shows progress each second and exits on its own", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", script, "--seconds", "2"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const found = /^dashboard: (http:\S+)$/m.exec(stdout)?.[1];
        if (found !== undefined) resolve(found);
      });
      void exited.then(() => reject(new Error(`exited before printing its URL: ${stdout}${stderr}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(await (await fetch(url)).text()).toContain("<title>cellflow monitor</title>");
    const snapshot = (await (await fetch(new URL("snapshot", url))).json()) as { pipeline: string; cells: { cell: string }[] };
    expect(snapshot.pipeline).toBe("monitored");
    expect(snapshot.cells.map((c) => c.cell)).toEqual(["monitored.numbers", "monitored.scalable", "monitored.sink"]);

    expect(await exited).toBe(0);
    expect(stderr).toBe("");
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toBe(`dashboard: ${url}`);
    expect(lines).toContainEqual(expect.stringMatching(/^\[1\/2 s\] \d+ pulls, \d+ items\/s$/));
    expect(lines.at(-1)).toMatch(/^done: [1-9]\d* pulls in 2 s$/);
  });

  it("--help prints the usage; a bad flag prints it and exits 2", async () => {
    const run = promisify(execFile);
    expect((await run(process.execPath, ["--import", "tsx", script, "--help"], { cwd: repoRoot })).stdout).toMatch(/^usage: monitor/);
    const bad = await run(process.execPath, ["--import", "tsx", script, "--seconds", "0"], { cwd: repoRoot }).catch((error: { code: number; stderr: string }) => error);
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringMatching(/^usage: monitor/) });
  });
});
