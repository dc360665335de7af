/**
 * Measuring in fresh Node processes. One process's JIT can be a few percent luckier or
 * unluckier than the next one's for the same code (`bench observe`'s nobody-listening
 * case, one process after another: 0.92–1.05), and rounds within one process cannot
 * average that out. A held ratio measured in several processes, their median, can.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Comparison } from "./compare.js";
import { median, round } from "./stats.js";
import { held, type BenchLine, type SuiteContext } from "./suite.js";

/** How many processes a held line is measured in, by default. */
export const PROCESSES = 9;

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Runs `worker` (a bench/workers/*.ts file, under tsx) `count` times one after the other,
 * each a fresh process given `args` and the context's round settings after them, and
 * returns what each printed on stdout, parsed as JSON.
 */
export async function inFreshProcesses<T>(worker: URL, args: readonly string[], context: SuiteContext, what: string, count = PROCESSES): Promise<T[]> {
  const file = fileURLToPath(worker);
  const all = [...args, String(context.rounds), String(context.roundMs), String(context.warmupMs)];
  const results: T[] = [];
  for (let i = 1; i <= count; i++) {
    context.log(`process ${i} of ${count}: ${what}`);
    results.push(await runOnce<T>(file, all));
  }
  return results;
}

function runOnce<T>(file: string, args: readonly string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", file, ...args], { cwd: root, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error !== null) reject(new Error(`a measuring process (${file}) failed: ${stderr || error.message}`));
      else resolve(JSON.parse(stdout) as T);
    });
  });
}

/**
 * A held line from one comparison per process: medians of the rates, each process's
 * ratio (`processRatios`), and their median as the held ratio.
 */
export function heldAcrossProcesses(line: { suite: string; case: string; [figure: string]: unknown }, runs: readonly Comparison[], target: number): BenchLine {
  const figures = {
    ...line,
    itemsPerSecond: Math.round(median(runs.map((r) => r.subjectPerSecond))),
    baselineItemsPerSecond: Math.round(median(runs.map((r) => r.baselinePerSecond))),
    processRatios: runs.map((r) => round(r.ratio, 3)),
  };
  return held(figures, round(median(runs.map((r) => r.ratio)), 3), target);
}

/** The round settings a worker finds after its own arguments. */
export function roundSettings(argv: readonly string[]): { rounds: number; roundMs: number; warmupMs: number } {
  const [rounds, roundMs, warmupMs] = argv.slice(-3).map(Number);
  return { rounds: rounds!, roundMs: roundMs!, warmupMs: warmupMs! };
}
