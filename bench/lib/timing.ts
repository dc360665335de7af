import { performance } from "node:perf_hooks";

/** One unit of work to time; awaited once per call. */
export type Op = () => Promise<unknown>;

/** How often the clock is read: every this many calls, so reading it costs next to nothing. */
const CALLS_PER_CLOCK_READ = 64;

export interface Timed {
  readonly calls: number;
  readonly ms: number;
}

/** Calls `op` back to back (awaiting each) for about `ms` milliseconds. */
export async function timeCalls(op: Op, ms: number): Promise<Timed> {
  let calls = 0;
  const start = performance.now();
  const end = start + ms;
  let now = start;
  do {
    for (let i = 0; i < CALLS_PER_CLOCK_READ; i++) await op();
    calls += CALLS_PER_CLOCK_READ;
    now = performance.now();
  } while (now < end);
  return { calls, ms: now - start };
}

/** Calls per second of `op`, run back to back for about `ms` milliseconds. */
export async function callsPerSecond(op: Op, ms: number): Promise<number> {
  const { calls, ms: elapsed } = await timeCalls(op, ms);
  return (calls * 1000) / elapsed;
}
