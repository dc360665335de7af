/** One result: a JSON line with `--json`, a table row without. */
export interface BenchLine {
  readonly suite: string;
  readonly case: string;
  /** The held figure, for a line held to a target. */
  readonly ratio?: number;
  /** The least acceptable `ratio`. */
  readonly target?: number;
  /** `ratio >= target`, for a held line. */
  readonly pass?: boolean;
  /** The line's figures: `itemsPerSecond` and whatever else the case measures. */
  readonly [figure: string]: unknown;
}

/** What `bench/run.ts` hands every suite. */
export interface SuiteContext {
  /** Rounds of interleaved comparisons (`--rounds`). */
  readonly rounds: number;
  /** Milliseconds per side per round (`--round-ms`). */
  readonly roundMs: number;
  /** Milliseconds of untimed warmup per side (`--warmup-ms`). */
  readonly warmupMs: number;
  /** Progress to stderr, so stdout stays clean JSON lines. */
  log(message: string): void;
}

/** A benchmark suite: one file in bench/suites, registered in bench/suites/index.ts. */
export interface Suite {
  readonly name: string;
  readonly description: string;
  /** Yields each line as soon as it is measured. */
  run(context: SuiteContext): AsyncIterable<BenchLine>;
}

/** A line held to `target`: carries `ratio`, `target` and `pass`. */
export function held(line: { suite: string; case: string; [figure: string]: unknown }, ratio: number, target: number): BenchLine {
  return { ...line, ratio, target, pass: ratio >= target };
}
