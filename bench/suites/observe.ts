/**
 * observe: what the event hooks (packages/core/src/observe) cost on the hot path.
 *
 * Both sides are esbuild bundles of the same sources (the 3-cell example of `overhead`
 * and the engine), built here with the same settings; one has every hook site compiled
 * out (each `<channel>.hasSubscribers` and the input-wait check replaced by `false`, so
 * the branches fold away). The bench checks that the stripped bundle has no hook left.
 * - hooks present, nobody listening ÷ no hooks: held to ≥ 0.98 (SPEC 4.1).
 * - hooks present, a Recorder attached ÷ no hooks: held to ≥ 0.90.
 * Each of 9 fresh processes measures both (bench/workers/observe-process.ts); the held
 * ratios are the medians over the processes.
 */
import { build, type Plugin } from "esbuild";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Comparison } from "../lib/compare.js";
import { heldAcrossProcesses, inFreshProcesses } from "../lib/fresh-processes.js";
import type { BenchLine, Suite, SuiteContext } from "../lib/suite.js";

const SUITE = "observe";
/** What one measuring process prints. */
export interface ProcessFigures {
  readonly off: Comparison;
  readonly on: Comparison;
  /** Cell-run events the recorder kept (0 would mean the hooked bundle does not publish). */
  readonly recordedRuns: number;
}
const OFF_TARGET = 0.98;
const ON_TARGET = 0.9;

const root = fileURLToPath(new URL("../../", import.meta.url));
const coreSources = join(root, "packages/core/src/");

/** The hook sites, as they are written in the engine's sources. */
const HOOK_SITES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(?:cellRunChannel|cloneItemChannel|queueFillChannel)\.hasSubscribers\b/g, "false"],
  [/(?<!function )\bobservingAny\(\)/g, "false"],
  [/this\.releaseListener !== null/g, "false"],
];

const stripHooks: Plugin = {
  name: "strip-observe-hooks",
  setup(b) {
    b.onLoad({ filter: /packages[\\/]core[\\/]src[\\/].*\.ts$/ }, (args) => {
      let text = readFileSync(args.path, "utf8");
      // The channels module keeps its own code: only the sites that use it are stripped.
      if (!args.path.endsWith(join("observe", "channels.ts"))) for (const [site, value] of HOOK_SITES) text = text.replace(site, value);
      return { contents: text, loader: "ts" };
    });
  },
};


async function bundle(dir: string, name: string, strip: boolean): Promise<{ file: string; text: string }> {
  const outfile = join(dir, `${name}.mjs`);
  await build({
    stdin: {
      contents: `export { MyPipeline } from ${JSON.stringify(join(root, "examples/basics/three-cells.ts"))};\n` + `export { Recorder } from ${JSON.stringify(join(coreSources, "index.ts"))};\n`,
      resolveDir: root,
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    minifySyntax: true,
    outfile,
    logLevel: "silent",
    plugins: strip ? [stripHooks] : [],
  });
  return { file: outfile, text: readFileSync(outfile, "utf8") };
}


async function* measure(context: SuiteContext): AsyncGenerator<BenchLine> {
  const dir = mkdtempSync(join(tmpdir(), "cellflow-bench-observe-"));
  try {
    context.log("bundling the engine with and without its hooks");
    const hooked = await bundle(dir, "hooked", false);
    const bare = await bundle(dir, "bare", true);
    const sites = (text: string) => (text.match(/\.hasSubscribers|releaseListener !== null/g) ?? []).length;
    if (sites(bare.text) > 0 || sites(hooked.text) === 0) {
      throw new Error(`the bundles' hook sites are not as expected: ${sites(bare.text)} without hooks, ${sites(hooked.text)} with`);
    }
    // Each process measures both cases; the median over them is held (lib/fresh-processes.ts).
    const worker = new URL("../workers/observe-process.ts", import.meta.url);
    const runs = await inFreshProcesses<ProcessFigures>(worker, [hooked.file, bare.file], context, "hooks with nobody listening, then with a Recorder attached, each vs no hooks");
    if (runs.some((figures) => figures.recordedRuns === 0)) throw new Error("the recorder saw no cell run: the hooked bundle does not publish");
    yield heldAcrossProcesses({ suite: SUITE, case: "3-cell pipeline, hooks present and nobody listening, vs the same build without hooks" }, runs.map((r) => r.off), OFF_TARGET);
    yield heldAcrossProcesses({ suite: SUITE, case: "3-cell pipeline, a Recorder attached, vs the same build without hooks" }, runs.map((r) => r.on), ON_TARGET);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const observe: Suite = {
  name: SUITE,
  description: "the event hooks' cost on the 3-cell pipeline: nobody listening, and a Recorder attached, vs a build without them",
  run: measure,
};
