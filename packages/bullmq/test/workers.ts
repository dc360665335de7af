/** Real worker processes, started with the package's CLI (`cellflow worker`), as users start them. */
import { spawn, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const cli = fileURLToPath(new URL("../src/cli.ts", import.meta.url));
const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  stop(): Promise<void>;
}

/** Starts `cellflow worker` with `args`; resolves once it says it serves. */
export async function startWorker(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ["--import", tsx, cli, "worker", ...args], { stdio: ["ignore", "pipe", "pipe"], env });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const look = setInterval(() => {
      if (output.includes("serving")) {
        clearInterval(look);
        resolve();
      }
    }, 10);
    child.once("exit", (code) => {
      clearInterval(look);
      reject(new Error(`cellflow worker exited with ${code}:\n${output}`));
    });
  });
  return {
    child,
    output: () => output,
    /** SIGTERM (finish the batches in progress); SIGKILL after 5 s (Redis gone, say). */
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
        child.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        child.kill("SIGTERM");
      }),
  };
}
