#!/usr/bin/env node
/**
 * `cellflow worker --module <file or package> [--redis URL] [--queue NAME] [--concurrency N] [--version V]`
 *
 * Imports the module (which registers its cells with `registerRemoteCells`) and serves
 * remote clones of them from the queue until SIGTERM or SIGINT, which let the batches in
 * progress finish first. Prints one line when it serves, and errors without a stack.
 */
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { remoteCellNames } from "./cells/remote-cells.js";
import { redactedUrl } from "./transport/redis-connection.js";
import { serveRemoteCells } from "./worker/serve.js";

const USAGE = `usage: cellflow worker --module <file or package> [--redis redis://host:6379] [--queue cellflow] [--concurrency 1] [--version 1]`;

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
  try {
    await import(moduleSpecifier(values.module));
  } catch (error) {
    console.error(`cellflow worker: cannot import ${values.module}: ${(error as Error).message}`);
    return 1;
  }
  const cells = remoteCellNames();
  if (cells.length === 0) {
    console.error(`cellflow worker: ${values.module} registers no remote cells (registerRemoteCells(import.meta.url, { … }))`);
    return 1;
  }
  const worker = await serveRemoteCells({ redis: values.redis, queue: values.queue, concurrency, version: values.version });
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
