import { median } from "./stats.js";
import { callsPerSecond, type Op } from "./timing.js";

export interface CompareOptions {
  /** How many rounds; each round times both sides once. Odd, so the median is a real round. */
  readonly rounds: number;
  /** How long each side runs per round. */
  readonly roundMs: number;
  /** How long each side runs, untimed, before the first round (JIT, caches). */
  readonly warmupMs: number;
  /** Items one call of an op handles (e.g. a batch of concurrent tasks); default 1. */
  readonly itemsPerCall?: number;
}

export interface Comparison {
  /** Median items per second of the measured side. */
  readonly subjectPerSecond: number;
  /** Median items per second of the baseline. */
  readonly baselinePerSecond: number;
  /** Median of the per-round ratios subject ÷ baseline. */
  readonly ratio: number;
  /** Every round's ratio, in round order. */
  readonly ratios: readonly number[];
}

/**
 * Times `subject` against `baseline` in interleaved rounds: each round runs one side for
 * `roundMs`, then the other, alternating which goes first. Both sides see the same
 * machine noise, and the median of the per-round ratios ignores the odd disturbed round.
 */
export async function compareInterleaved(subject: Op, baseline: Op, options: CompareOptions): Promise<Comparison> {
  const items = options.itemsPerCall ?? 1;
  await callsPerSecond(subject, options.warmupMs);
  await callsPerSecond(baseline, options.warmupMs);
  const subjectRates: number[] = [];
  const baselineRates: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    let s: number;
    let b: number;
    if (round % 2 === 0) {
      s = await callsPerSecond(subject, options.roundMs);
      b = await callsPerSecond(baseline, options.roundMs);
    } else {
      b = await callsPerSecond(baseline, options.roundMs);
      s = await callsPerSecond(subject, options.roundMs);
    }
    subjectRates.push(s * items);
    baselineRates.push(b * items);
    ratios.push(s / b);
  }
  return {
    subjectPerSecond: median(subjectRates),
    baselinePerSecond: median(baselineRates),
    ratio: median(ratios),
    ratios,
  };
}
