/**
 * The scale-up example with its multiplier on remote workers (docs/beyond-one-machine.md):
 * a redis-server, two `cellflow worker` processes serving examples/remote/cells.ts, and
 * the seed's pipeline with the multiplier scaled up to four remote clones. Prints each
 * value as it comes, and the measured against the theoretical throughput (1/2 item per
 * unit with four clones: the printer's 2 units).
 *
 * Run it: `npx tsx examples/remote/main.ts [--redis redis://host:6379] [--items 12] [--unit 50]`
 * Without --redis it starts a redis-server of its own (Debian's package) on a free port.
 * With --redis, start the workers yourself first:
 *   npx tsx packages/bullmq/src/cli.ts worker --module examples/remote/cells.ts --redis <url> --queue scaleup
 * (from a project that installed @cellflow/bullmq: npx cellflow worker …)
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { remote } from "@cellflow/bullmq";
import { ScaledPipeline } from "../scaleup/cells.js";
import "./cells.js";

export interface RemoteExampleOptions {
  readonly redis?: string;
  readonly items?: number;
  readonly unitMs?: number;
  readonly print?: (line: string) => void;
}

export interface RemoteExampleResult {
  readonly values: number[];
  readonly measuredOverTheoretical: number;
}

const cells = fileURLToPath(new URL("./cells.ts", import.meta.url));
const cli = fileURLToPath(new URL("../../packages/bullmq/src/cli.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

export async function main(options: RemoteExampleOptions = {}): Promise<RemoteExampleResult> {
  const print = options.print ?? console.log;
  const items = options.items ?? 12;
  const unitMs = options.unitMs ?? 50;
  const started: ChildProcess[] = [];
  let redis = options.redis;
  try {
    if (redis === undefined) {
      const port = await freePort();
      started.push(await startProcess("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], "Ready to accept"));
      redis = `redis://127.0.0.1:${port}`;
      for (let i = 0; i < 2; i++) {
        started.push(await startProcess(process.execPath, ["--import", tsx, cli, "worker", "--module", cells, "--redis", redis, "--queue", "scaleup"], "serving"));
      }
      print(`redis-server and 2 workers started (${redis})`);
    }
    await using pipeline = new ScaledPipeline(null, "scaleup");
    pipeline.setUnit(unitMs);
    pipeline.scalableMultiplier.scaleUp(4, remote({ redis, queue: "scaleup" }));
    const values: number[] = [];
    pipeline.printer.onValue = (value) => values.push(value);
    await pipeline.deploy();
    let from = 0;
    for (let i = 0; i < items; i++) {
      await pipeline.pull();
      if (i === 1) from = performance.now(); // steady state from the second item
      print(`${values[i]}`);
    }
    const perUnit = ((items - 2) / (performance.now() - from)) * unitMs;
    const measuredOverTheoretical = perUnit / 0.5;
    print(`4 remote clones: ${perUnit.toFixed(3)} items per unit, theory 0.500 (${measuredOverTheoretical.toFixed(2)} of it)`);
    return { values, measuredOverTheoretical };
  } finally {
    for (const p of started.reverse()) await stop(p);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts `command` and resolves once its output says `ready`. */
function startProcess(command: string, args: string[], ready: string): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  return new Promise((resolve, reject) => {
    const look = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(ready)) resolve(child);
    };
    child.stdout!.on("data", look);
    child.stderr!.on("data", look);
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${command} exited with ${code}:\n${output}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const { values } = parseArgs({ options: { redis: { type: "string" }, items: { type: "string" }, unit: { type: "string" } } });
  await main({
    ...(values.redis !== undefined ? { redis: values.redis } : {}),
    ...(values.items !== undefined ? { items: Number(values.items) } : {}),
    ...(values.unit !== undefined ? { unitMs: Number(values.unit) } : {}),
  });
}
