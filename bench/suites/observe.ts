/**
 * observe: what the event hooks (packages/core/src/observe) cost on the hot path.
 *
 * Both sides are esbuild bundles of the same sources (the 3-cell example of `overhead`
 * and the engine), built here with the same settings; one has every hook site compiled
 * out (each `<channel>.hasSubscribers` and the input-wait check replaced by `false`, so
 * the branches fold away). The bench checks that the stripped bundle has no hook left.
 * - hooks present, nobody listening ÷ no hooks: held to ≥ 0.98 (SPEC 4.1).
 * - hooks present, a Recorder attached ÷ no hooks: held to ≥ 0.90.
 */
import { build, type Plugin } from "esbuild";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { compareInterleaved, type Comparison } from "../lib/compare.js";
import { round } from "../lib/stats.js";
import { held, type BenchLine, type Suite, type SuiteContext } from "../lib/suite.js";

const SUITE = "observe";
const OFF_TARGET = 0.98;
const ON_TARGET = 0.9;

const root = fileURLToPath(new URL("../../", import.meta.url));
const coreSources = join(root, "packages/core/src/");

/** The hook sites, as they are written in the engine's sources. */
const HOOK_SITES: ReadonlyArray<readonly [RegExp, string]> = [
  [/\b(?:cellRunChannel|cloneItemChannel|queueFillChannel)\.hasSubscribers\b/g, "false"],
  [/(?<!function )\bobservingAny\(\)/g, "false"],
  [/this\.releaseListener !== null/g, "false"],
  // Input.pull: whether its cell's run is timed (only ever set while someone listens).
  [/\bcell\[internal\.currentRun\] === null/g, "true"],
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

interface Bundle {
  readonly MyPipeline: new (parent: null, name: string) => {
    printer: { print: (value: number) => void };
    deploy(): Promise<void>;
    pull(): Promise<unknown>;
    undeploy(): Promise<void>;
  };
  readonly Recorder: new (options?: { capacity?: number }) => { start(): unknown; stop(): unknown; events(): { cellRuns: readonly unknown[] } };
}

async function bundle(dir: string, name: string, strip: boolean): Promise<{ module: Bundle; text: string }> {
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
  return { module: (await import(pathToFileURL(outfile).href)) as Bundle, text: readFileSync(outfile, "utf8") };
}

async function deployed(module: Bundle, name: string) {
  const pipeline = new module.MyPipeline(null, name);
  pipeline.printer.print = () => {};
  await pipeline.deploy();
  return pipeline;
}

function line(name: string, r: Comparison, target: number): BenchLine {
  const figures = {
    suite: SUITE,
    case: name,
    itemsPerSecond: Math.round(r.subjectPerSecond),
    baselineItemsPerSecond: Math.round(r.baselinePerSecond),
    ratios: r.ratios.map((x) => round(x, 3)),
  };
  return held(figures, round(r.ratio, 3), target);
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
    const withHooks = await deployed(hooked.module, "with_hooks");
    const withoutHooks = await deployed(bare.module, "without_hooks");
    const options = { rounds: context.rounds, roundMs: context.roundMs, warmupMs: context.warmupMs };
    try {
      context.log("3-cell pipeline: hooks, nobody listening vs no hooks");
      const off = await compareInterleaved(() => withHooks.pull(), () => withoutHooks.pull(), options);
      yield line("3-cell pipeline, hooks present and nobody listening, vs the same build without hooks", off, OFF_TARGET);

      context.log("3-cell pipeline: hooks with a Recorder attached vs no hooks");
      const recorder = new hooked.module.Recorder();
      recorder.start();
      let on;
      try {
        on = await compareInterleaved(() => withHooks.pull(), () => withoutHooks.pull(), options);
      } finally {
        recorder.stop();
      }
      if (recorder.events().cellRuns.length === 0) throw new Error("the recorder saw no cell run: the hooked bundle does not publish");
      yield line("3-cell pipeline, a Recorder attached, vs the same build without hooks", on, ON_TARGET);
    } finally {
      await withHooks.undeploy();
      await withoutHooks.undeploy();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const observe: Suite = {
  name: SUITE,
  description: "the event hooks' cost on the 3-cell pipeline: nobody listening, and a Recorder attached, vs a build without them",
  run: measure,
};
