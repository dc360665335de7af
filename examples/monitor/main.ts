/**
 * The live dashboard: runs a pipeline with a scalable cell (two async clones and a
 * thread clone), serves @cellflow/monitor's page for it, prints the URL and a progress
 * line per second, and stops after `--seconds`.
 *
 *   npx tsx examples/monitor/main.ts [--seconds 30] [--port 0]
 */
import { parseArgs } from "node:util";
import { serveMonitor } from "@cellflow/monitor";
import { MonitoredPipeline } from "./cells.js";

export interface MonitorExampleOptions {
  readonly seconds?: number;
  readonly port?: number;
  readonly print?: (line: string) => void;
}

export async function main(options: MonitorExampleOptions = {}): Promise<{ pulls: number }> {
  const seconds = options.seconds ?? 30;
  const print = options.print ?? ((line: string) => console.log(line));
  await using pipeline = new MonitoredPipeline(null, "monitored");
  pipeline.scalable.scaleUp(2, "async");
  pipeline.scalable.scaleUp(1, "thread");
  await pipeline.deploy();
  await using monitor = await serveMonitor(pipeline, { port: options.port ?? 0 });
  print(`dashboard: ${monitor.url}`);

  const started = performance.now();
  const deadline = started + seconds * 1000;
  let pulls = 0;
  let nextReport = started + 1000;
  while (performance.now() < deadline) {
    await pipeline.pull();
    pulls++;
    if (performance.now() >= nextReport) {
      const elapsed = (performance.now() - started) / 1000;
      print(`[${elapsed.toFixed(0)}/${seconds} s] ${pulls} pulls, ${(pulls / elapsed).toFixed(0)} items/s`);
      nextReport += 1000;
    }
  }
  print(`done: ${pulls} pulls in ${seconds} s`);
  return { pulls };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const usage = "usage: monitor [--seconds <s > 0>] [--port <port>]";
  let values: { seconds?: string; port?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        seconds: { type: "string", default: "30" },
        port: { type: "string", default: "0" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    console.error(`${(error as Error).message}\n${usage}`);
    process.exit(2);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  const seconds = Number(values.seconds);
  const port = Number(values.port);
  if (!(seconds > 0) || !Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(usage);
    process.exit(2);
  }
  await main({ seconds, port });
}
