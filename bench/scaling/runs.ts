/**
 * Side-by-side timing for the scaling suites (`cpu`, `tiny`, `transfer`), where one
 * item can take milliseconds: bench/lib/timing.ts calls an op 64 times per clock read,
 * which suits sub-microsecond ops, not 10 ms ones. Here every side runs a whole batch
 * of items from an idle start to the last ordered result ("a run"); a round runs every
 * side once, in an order that rotates from round to round, so all sides see the same
 * machine noise, and medians over rounds drop a disturbed round.
 */
import { performance } from "node:perf_hooks";
import { median } from "../lib/stats.js";

/** One contender: runs `items` items and resolves when the last result (in order) is in. */
export interface RunSide {
  readonly name: string;
  /** Items per run: enough that a run takes ~0.1–0.5 s. */
  readonly items: number;
  run(items: number): Promise<void>;
}

export interface RunRates {
  /** Items per second of each side, per round, by side name. */
  readonly perRound: Readonly<Record<string, readonly number[]>>;
  /** Median items per second of each side. */
  readonly median: Readonly<Record<string, number>>;
}

/** Items per second of one run of `side`. */
export async function timeRun(side: RunSide, items = side.items): Promise<number> {
  const start = performance.now();
  await side.run(items);
  return (items * 1000) / (performance.now() - start);
}

/** `warmup` untimed runs per side, then `rounds` rounds of one timed run per side. */
export async function interleaveRuns(sides: readonly RunSide[], rounds: number, warmup = 1): Promise<RunRates> {
  for (const side of sides) for (let i = 0; i < warmup; i++) await side.run(side.items);
  const perRound: Record<string, number[]> = Object.fromEntries(sides.map((s) => [s.name, []]));
  for (let round = 0; round < rounds; round++) {
    // Rotate, and reverse every other round: no side always runs first or after the same one.
    const rotated = sides.map((_, i) => sides[(i + round) % sides.length]!);
    const order = round % 2 === 0 ? rotated : rotated.reverse();
    for (const side of order) perRound[side.name]!.push(await timeRun(side));
  }
  const medians = Object.fromEntries(Object.entries(perRound).map(([name, rates]) => [name, median(rates)]));
  return { perRound, median: medians };
}

/** Per-round ratios a ÷ b (same round, so same noise) and their median. */
export function roundRatios(rates: RunRates, a: string, b: string): { ratio: number; ratios: number[] } {
  const as = rates.perRound[a]!;
  const bs = rates.perRound[b]!;
  const ratios = as.map((x, i) => x / bs[i]!);
  return { ratio: median(ratios), ratios };
}

/**
 * Submits `items` tasks keeping at most `window` in flight, and consumes the results in
 * submission order (what an ordered pipeline over a plain pool has to do).
 */
export async function orderedWindow<T>(
  items: number,
  window: number,
  submit: (i: number) => Promise<T>,
  consume: (result: T, i: number) => void,
): Promise<void> {
  const inFlight: Array<Promise<T>> = [];
  let next = 0;
  for (; next < Math.min(window, items); next++) inFlight.push(submit(next));
  for (let i = 0; i < items; i++) {
    const result = await inFlight[i]!;
    inFlight[i] = undefined as unknown as Promise<T>; // let settled promises go
    consume(result, i);
    if (next < items) inFlight.push(submit(next++));
  }
}
