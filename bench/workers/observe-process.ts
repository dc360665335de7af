/**
 * One measuring process of `bench observe` (bench/suites/observe.ts): loads the bundle
 * with hooks and the one without, compares their 3-cell pipelines with nobody listening,
 * then with a Recorder attached, and prints both comparisons as one JSON object.
 *
 * argv: <hooked bundle> <bare bundle> <rounds> <round ms> <warmup ms> (lib/fresh-processes.ts)
 */
import { pathToFileURL } from "node:url";
import { compareInterleaved } from "../lib/compare.js";
import { roundSettings } from "../lib/fresh-processes.js";
import type { ProcessFigures } from "../suites/observe.js";

interface Bundle {
  readonly MyPipeline: new (parent: null, name: string) => {
    printer: { print: (value: number) => void };
    deploy(): Promise<void>;
    pull(): Promise<unknown>;
    undeploy(): Promise<void>;
  };
  readonly Recorder: new () => { start(): unknown; stop(): unknown; events(): { cellRuns: readonly unknown[] } };
}

const [hookedFile, bareFile] = process.argv.slice(2);
const options = roundSettings(process.argv);
const load = async (file: string) => (await import(pathToFileURL(file).href)) as Bundle;
const hooked = await load(hookedFile!);
const bare = await load(bareFile!);

async function deployed(module: Bundle, name: string) {
  const pipeline = new module.MyPipeline(null, name);
  pipeline.printer.print = () => {};
  await pipeline.deploy();
  return pipeline;
}

const withHooks = await deployed(hooked, "with_hooks");
const withoutHooks = await deployed(bare, "without_hooks");
try {
  const off = await compareInterleaved(() => withHooks.pull(), () => withoutHooks.pull(), options);
  const recorder = new hooked.Recorder();
  recorder.start();
  let on;
  try {
    on = await compareInterleaved(() => withHooks.pull(), () => withoutHooks.pull(), options);
  } finally {
    recorder.stop();
  }
  const figures: ProcessFigures = { off, on, recordedRuns: recorder.events().cellRuns.length };
  process.stdout.write(JSON.stringify(figures));
} finally {
  await withHooks.undeploy();
  await withoutHooks.undeploy();
}
