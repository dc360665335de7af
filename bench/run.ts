/**
 * `pnpm bench <suite> [--json] [--check] [--rounds N] [--round-ms MS] [--warmup-ms MS]`
 *
 * Runs one suite of bench/suites. With `--json`, prints one JSON object per line
 * (`suite`, `case`, the figures; held lines add `ratio`, `target`, `pass`); without, a
 * readable table. With `--check`, exits 1 when a held ratio misses its target.
 */
import { parseArgs } from "node:util";
import { formatJson, formatRow } from "./lib/report.js";
import type { SuiteContext } from "./lib/suite.js";
import { suites } from "./suites/index.js";

const USAGE = "usage: pnpm bench <suite> [--json] [--check] [--rounds N] [--round-ms MS] [--warmup-ms MS]";

function listSuites(): string {
  return `suites: ${Object.keys(suites).join(", ")}`;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`--${name} must be a positive integer, got "${raw}"\n${USAGE}`);
    process.exit(2);
  }
  return value;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      check: { type: "boolean", default: false },
      rounds: { type: "string" },
      "round-ms": { type: "string" },
      "warmup-ms": { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    console.log(`${USAGE}\n${listSuites()}`);
    return 0;
  }
  const name = positionals[0];
  const load = name === undefined ? undefined : suites[name];
  if (load === undefined) {
    console.error(`${name === undefined ? "no suite given" : `unknown suite "${name}"`}\n${USAGE}\n${listSuites()}`);
    return 1;
  }
  const suite = await load();
  const context: SuiteContext = {
    rounds: positiveInt("rounds", values.rounds, 7),
    roundMs: positiveInt("round-ms", values["round-ms"], 300),
    warmupMs: positiveInt("warmup-ms", values["warmup-ms"], 300),
    log: (message) => console.error(`[${suite.name}] ${message}`),
  };
  if (!values.json) console.log(`${suite.name}: ${suite.description}`);
  let missed = 0;
  for await (const line of suite.run(context)) {
    if (line.pass === false) missed++;
    console.log(values.json ? formatJson(line) : formatRow(line));
  }
  if (!values.json && missed > 0) console.log(`${missed} held ratio(s) below target`);
  return values.check && missed > 0 ? 1 : 0;
}

process.exitCode = await main();
