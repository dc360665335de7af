/**
 * One measuring process of `bench overhead`'s held line (bench/suites/overhead.ts): the
 * 3-cell pipeline against the hand-written chain, printed as one JSON Comparison.
 *
 * argv: <rounds> <round ms> <warmup ms> (lib/fresh-processes.ts)
 */
import { compareInterleaved } from "../lib/compare.js";
import { roundSettings } from "../lib/fresh-processes.js";
import { deployedThreeCells, handWrittenChain } from "../suites/overhead.js";

const { pipeline, pull } = await deployedThreeCells();
try {
  process.stdout.write(JSON.stringify(await compareInterleaved(pull, handWrittenChain(), roundSettings(process.argv))));
} finally {
  await pipeline.undeploy();
}
