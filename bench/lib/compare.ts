import { median } from "./stats.js";
import { timeCalls, type Op } from "./timing.js";

export interface CompareOptions {
  /** How many rounds; each round times both sides. Odd, so the median is a real round. */
  readonly rounds: number;
  /** How long each side runs per round. */
  readonly roundMs: number;
  /** How long each side runs, untimed, before the first round (JIT, caches). */
  readonly warmupMs: number;
  /** A round alternates the sides in slices this long (default 25 ms), so both see the same noise. */
  readonly sliceMs?: number;
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

const DEFAULT_SLICE_MS = 25;

/**
 * Times `subject` against `baseline` in interleaved rounds. Within a round the sides
 * take turns in short slices (A B B A A B …, so neither always goes first) until each
 * ran `roundMs`; the round's ratio is subject ÷ baseline items per second. Both sides
 * thus see the same machine noise, and the median over rounds ignores a disturbed round.
 */
export async function compareInterleaved(subject: Op, baseline: Op, options: CompareOptions): Promise<Comparison> {
  const items = options.itemsPerCall ?? 1;
  const sliceMs = Math.min(options.sliceMs ?? DEFAULT_SLICE_MS, options.roundMs);
  const slices = Math.max(1, Math.round(options.roundMs / sliceMs));
  await timeCalls(subject, options.warmupMs);
  await timeCalls(baseline, options.warmupMs);
  const subjectRates: number[] = [];
  const baselineRates: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const s = { calls: 0, ms: 0 };
    const b = { calls: 0, ms: 0 };
    for (let slice = 0; slice < slices; slice++) {
      const subjectFirst = (slice + round) % 2 === 0;
      for (const side of subjectFirst ? [s, b] : [b, s]) {
        const timed = await timeCalls(side === s ? subject : baseline, sliceMs);
        side.calls += timed.calls;
        side.ms += timed.ms;
      }
    }
    const subjectRate = (s.calls * items * 1000) / s.ms;
    const baselineRate = (b.calls * items * 1000) / b.ms;
    subjectRates.push(subjectRate);
    baselineRates.push(baselineRate);
    ratios.push(subjectRate / baselineRate);
  }
  return {
    subjectPerSecond: median(subjectRates),
    baselinePerSecond: median(baselineRates),
    ratio: median(ratios),
    ratios,
  };
}
