#!/usr/bin/env node
/**
 * `cellflow worker --module <file or package> [--redis URL] [--queue NAME] [--concurrency N] [--prefetch N] [--version V]`
 *
 * Imports the module (which registers its cells with `registerRemoteCells`) and serves
 * remote clones of them from the queue until SIGTERM or SIGINT, which let the batches in
 * progress finish first. Prints one line when it serves, and errors without a stack.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { remoteCellNames } from "./cells/remote-cells.js";
import { DEFAULT_PREFETCH } from "./transport/bullmq.js";
import { redactedUrl } from "./transport/redis-connection.js";
import { serveRemoteCells } from "./worker/serve.js";

const USAGE = `usage: cellflow worker --module <file or package> [--redis redis://host:6379] [--queue cellflow] [--concurrency 1] [--prefetch 1] [--version 1]`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === undefined) {
    console.log(USAGE);
    return command === undefined ? 2 : 0;
  }
  if (command !== "worker") {
    console.error(`cellflow: unknown command "${command}"\n${USAGE}`);
    return 2;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      module: { type: "string" },
      redis: { type: "string", default: process.env.CELLFLOW_REDIS ?? "redis://127.0.0.1:6379" },
      queue: { type: "string", default: "cellflow" },
      concurrency: { type: "string", default: "1" },
      prefetch: { type: "string", default: String(DEFAULT_PREFETCH) },
      version: { type: "string", default: "1" },
    },
    strict: true,
  });
  if (values.module === undefined) {
    console.error(`cellflow worker: --module is required\n${USAGE}`);
    return 2;
  }
  const concurrency = Number(values.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    console.error(`cellflow worker: --concurrency needs a positive integer, got "${values.concurrency}"`);
    return 2;
  }
  const prefetch = Number(values.prefetch);
  if (!Number.isInteger(prefetch) || prefetch < 0) {
    console.error(`cellflow worker: --prefetch needs a whole number (0 or more), got "${values.prefetch}"`);
    return 2;
  }
  try {
    await importCells(moduleSpecifier(values.module));
  } catch (error) {
    console.error(`cellflow worker: cannot import ${values.module}: ${(error as Error).message}`);
    return 1;
  }
  const cells = remoteCellNames();
  if (cells.length === 0) {
    console.error(`cellflow worker: ${values.module} registers no remote cells (registerRemoteCells(import.meta.url, { … }))`);
    return 1;
  }
  const worker = await serveRemoteCells({ redis: values.redis, queue: values.queue, concurrency, prefetch, version: values.version });
  console.log(`cellflow worker: serving ${cells.join(", ")} from queue "${values.queue}" on ${redactedUrl(values.redis)}`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      void worker.close().finally(done);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
  return 0;
}

/**
 * Imports the cells' module. A TypeScript module needs tsx (an optional peer of
 * @cellflow/core), found from the module as the user's own code would find it; it is
 * registered here when this CLI runs as the package's JavaScript (under tsx already, as
 * in the workspace, it is not).
 */
async function importCells(specifier: string): Promise<void> {
  const typescript = /\.[cm]?ts$/.test(new URL(specifier, "file:///").pathname);
  if (typescript && import.meta.url.endsWith(".js")) await registerTsx(specifier);
  await import(specifier);
}

async function registerTsx(from: string): Promise<void> {
  let manifest: string;
  try {
    manifest = createRequire(from).resolve("tsx/package.json");
  } catch {
    throw new Error(`${from} is TypeScript, which needs tsx: npm install --save-dev tsx (or compile the cells to JavaScript)`);
  }
  // The ESM build of tsx/esm/api (require.resolve of it would give its CommonJS build).
  const api = (JSON.parse(readFileSync(manifest, "utf8")) as { exports?: Record<string, { import?: string | { default?: string } }> })
    .exports?.["./esm/api"]?.import;
  const file = typeof api === "string" ? api : api?.default;
  if (file === undefined) throw new Error(`the tsx installed at ${manifest} has no ESM API (tsx 4.7 or newer is needed)`);
  const tsx = (await import(new URL(file, pathToFileURL(manifest)).href)) as { register(): unknown };
  tsx.register();
}

/** A path (relative to the working directory) or a package name. */
function moduleSpecifier(module: string): string {
  if (module.startsWith(".") || isAbsolute(module)) return pathToFileURL(resolve(module)).href;
  return module;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`cellflow worker: ${(error as Error).message ?? String(error)}`);
    process.exit(1);
  },
);
