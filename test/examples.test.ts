/**
 * Every example in examples/basics, examples/interop and examples/observe runs and prints what the
 * docs say it prints.
 * The docs quote these files, so this test keeps the docs honest too.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { main as batching } from "../examples/basics/batching.js";
import { DagPipeline, main as dag } from "../examples/basics/dag.js";
import { main as fibonacci } from "../examples/basics/fibonacci.js";
import { main as finiteStream } from "../examples/basics/finite-stream.js";
import { main as loop } from "../examples/basics/loop.js";
import { main as nested } from "../examples/basics/nested.js";
import { main as parameters } from "../examples/basics/parameters.js";
import { main as pulling } from "../examples/basics/pulling.js";
import { main as pullResults } from "../examples/basics/pull-results.js";
import { main as threeCells } from "../examples/basics/three-cells.js";
import { main as validation } from "../examples/basics/validation.js";
import { main as iterableSource } from "../examples/interop/iterable-source.js";
import { main as observableSource } from "../examples/interop/observable-source.js";
import { main as toObservable } from "../examples/interop/to-observable.js";
import { main as profileExample } from "../examples/observe/profile.js";
import { main as quickCells } from "../examples/observe/quick-cells.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

/** Runs an example's main with a print sink and returns the printed lines. */
async function printed(main: (print: (line: string) => void) => Promise<void>): Promise<string[]> {
  const lines: string[] = [];
  await main((line) => lines.push(line));
  return lines;
}

const dagTopology = {
  cell: "dag",
  type: "DagPipeline",
  cells: [
    { name: "numbers", path: "dag.numbers", type: "NumberSourceCell", isSource: true, isSink: false },
    { name: "double", path: "dag.double", type: "DoubleCell", isSource: false, isSink: false },
    { name: "square", path: "dag.square", type: "SquareCell", isSource: false, isSink: false },
    { name: "sum", path: "dag.sum", type: "SumCell", isSource: false, isSink: false },
    { name: "difference", path: "dag.difference", type: "DifferenceCell", isSource: false, isSink: false },
    { name: "printer", path: "dag.printer", type: "PairPrinterCell", isSource: false, isSink: true },
  ],
  connections: [
    { source: "dag.numbers.output", target: "dag.double.input", recurrent: false },
    { source: "dag.numbers.output", target: "dag.square.input", recurrent: false },
    { source: "dag.square.output", target: "dag.sum.a", recurrent: false },
    { source: "dag.double.output", target: "dag.sum.b", recurrent: false },
    { source: "dag.square.output", target: "dag.difference.a", recurrent: false },
    { source: "dag.double.output", target: "dag.difference.b", recurrent: false },
    { source: "dag.sum.output", target: "dag.printer.sum", recurrent: false },
    { source: "dag.difference.output", target: "dag.printer.difference", recurrent: false },
  ],
};

describe("examples/basics", () => {
  it("three-cells prints 0 -1 2 -3 4", async () => {
    expect(await printed(threeCells)).toEqual(["0", "-1", "2", "-3", "4"]);
  });

  it("nested prints 0 1 2 3 4", async () => {
    expect(await printed(nested)).toEqual(["0", "1", "2", "3", "4"]);
  });

  it("fibonacci prints 1 2 3 5 8 13 21 34", async () => {
    expect(await printed(fibonacci)).toEqual(["1", "2", "3", "5", "8", "13", "21", "34"]);
  });

  it("dag prints its topology description, then three results", async () => {
    const [json, ...rest] = await printed(dag);
    expect(JSON.parse(json!)).toEqual(dagTopology);
    expect(json).toBe(JSON.stringify(dagTopology, null, 2)); // key order and layout too
    expect(rest).toEqual(["0 0", "3 -1", "8 0"]);
  });

  it("dag's topology description is available before deploy and is plain JSON", () => {
    const description = new DagPipeline(null, "dag").getTopologyDescription();
    expect(JSON.parse(JSON.stringify(description))).toEqual(dagTopology);
  });

  it("parameters: config read at deploy, runtime changed between pulls", async () => {
    expect(await printed(parameters)).toEqual([
      "0 cm",
      "1 cm",
      "2 cm",
      "30 cm",
      "40 cm",
      "50 cm",
      'unit stays "cm" while deployed: AlreadyDeployedError',
    ]);
  });

  it("batching: one batch per pull, and patching splits batches again", async () => {
    expect(await printed(batching)).toEqual(["[0,1,2]", "[3,4,5]", "[6,7,8]", "0", "1", "2", "3", "4"]);
  });

  it("finite-stream: counts, runs to the end, raises EndOfStreamError, resets", async () => {
    expect(await printed(finiteStream)).toEqual([
      "3 pulls available",
      "PULL",
      "BASED",
      "DATAFLOW",
      "EndOfStreamError from words.source",
      "after reset: PULL, 2 pulls available",
    ]);
  });

  it("loop: an ambiguous cycle is refused, a marked one runs", async () => {
    expect(await printed(loop)).toEqual([
      "IndeterminableTopologyError: ambiguous.increment.output -> ambiguous.doubling.input, " +
        "ambiguous.doubling.output -> ambiguous.increment.input",
      "recurrent: loop.doubling.output -> loop.increment.input",
      "2",
      "6",
      "14",
      "30",
    ]);
  });

  it("pulling: one source run per iteration, serialized concurrent pulls, direct output pulls", async () => {
    expect(await printed(pulling)).toEqual([
      "source runs: 0",
      "printer prints: 0",
      "source runs: 1",
      "printer prints: 2",
      "source runs: 2",
      "printer prints: 4",
      "source runs: 3",
      "printer prints: 6",
      "source runs: 4",
      "add.output pulled: 8",
      "add.output holds: 8",
    ]);
  });

  it("pull-results: typed output records, a pull given up by its signal, for await to the end", async () => {
    expect(await printed(pullResults)).toEqual(["cells has 5 letters", "gave up: TimeoutError", "values: 6"]);
  });

  it("validation: reasons, refused connections, structural checks, errors in onPull", async () => {
    expect(await printed(validation)).toEqual([
      "deployable: false",
      '  Input("draft.fragile.input") has neither an incoming connection nor a value',
      "deploy() throws NotDeployableError",
      "after connecting: deployable: true",
      'InvalidConnectionError: Cannot connect Output("draft.fragile.output") to Input("other.printer.printer_input"): ' +
        "connections join IO of sibling cells, or a composite's port and one of its children.",
      'InvalidCellError: OutputPort("portless.result") has no incoming connection from inside "portless"',
      "0",
      "1",
      "CellPullError in fragile_pipeline.fragile: cannot handle 2",
      "3",
    ]);
  });

  // Every example also runs as its own process, the way the docs tell users to run it.
  const standalone: ReadonlyArray<[file: string, main: (print: (line: string) => void) => Promise<void>]> = [
    ["three-cells.ts", threeCells],
    ["nested.ts", nested],
    ["fibonacci.ts", fibonacci],
    ["dag.ts", dag],
    ["parameters.ts", parameters],
    ["batching.ts", batching],
    ["finite-stream.ts", finiteStream],
    ["loop.ts", loop],
    ["pulling.ts", pulling],
    ["pull-results.ts", pullResults],
    ["validation.ts", validation],
  ];

  it("runs standalone: node --import tsx examples/basics/three-cells.ts", async () => {
    const { stdout } = await run("examples/basics/three-cells.ts");
    expect(stdout).toBe("0\n-1\n2\n-3\n4\n");
  });

  it.concurrent.each(standalone)("runs standalone: examples/basics/%s prints what its main prints", async (file, main) => {
    const { stdout } = await run(`examples/basics/${file}`);
    expect(stdout).toBe((await printed(main)).map((line) => `${line}\n`).join(""));
  });
});

describe("examples/interop", () => {
  it("iterable-source: one line read per pull, the generator's end ends the loop, reset reads again, undeploy closes", async () => {
    expect(await printed(iterableSource)).toEqual([
      'read "the quick brown fox"',
      "4 words",
      'read "jumps over"',
      "2 words",
      'read "the lazy dog"',
      "3 words",
      "file closed",
      'read "the quick brown fox"',
      "4 words",
      "file closed",
    ]);
  });

  it("observable-source: buffered readings, a waiting pull, completion, a loud overflow", async () => {
    expect(await printed(observableSource)).toEqual([
      "2 readings buffered",
      "21 °C",
      "24 °C",
      "33 °C (too hot)",
      "26 °C",
      'SourceOverflowError: "thermostat.readings" holds 3 readings',
    ]);
  });

  it("to-observable: take stops the pulls, completion after undeploy, a failed pull errors", async () => {
    expect(await printed(toObservable)).toEqual([
      "even squares: 0 4 16",
      "next square: 25",
      'all records: [{"squared":9},{"squared":16},{"squared":25}], deployed: false',
      '0, 1, CellPullError: Cell "fragile.square" failed while being pulled: cannot square 2',
    ]);
  });

  const standalone: ReadonlyArray<[file: string, main: (print: (line: string) => void) => Promise<void>]> = [
    ["iterable-source.ts", iterableSource],
    ["observable-source.ts", observableSource],
    ["to-observable.ts", toObservable],
  ];

  it.concurrent.each(standalone)("runs standalone: examples/interop/%s prints what its main prints", async (file, main) => {
    const { stdout } = await run(`examples/interop/${file}`);
    expect(stdout).toBe((await printed(main)).map((line) => `${line}\n`).join(""));
  });
});

function run(file: string): Promise<{ stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, ["--import", "tsx", file], { cwd: repoRoot, timeout: 20_000 });
}

describe("examples/observe", () => {
  it("profile: names the multiplier, scales it to the suggested 3 clones, then names the printer", async () => {
    const lines = (await printed((print) => profileExample(print, 20))).join("\n").split("\n");
    const bottlenecks = lines.filter((l) => l.startsWith("Bottleneck:"));
    expect(bottlenecks).toEqual([
      expect.stringMatching(/^Bottleneck: my_pipeline\.multiplier /),
      expect.stringMatching(/^Bottleneck: my_pipeline\.printer /),
      expect.stringMatching(/^Bottleneck: my_pipeline\.printer /),
    ]);
    expect(lines).toContain("With the multiplier scaled up to 3 clones:");
    expect(lines.filter((l) => l.includes("(3 async clones)"))).toHaveLength(1);
    expect(lines.slice(-3).map((l) => l.split(" ")[0])).toEqual(["my_pipeline.source", "my_pipeline.multiplier", "my_pipeline.printer"]);
    expect(lines.slice(-3).every((l) => l.includes(" on main: "))).toBe(true);
  }, 30_000);

  it("observe/quick-cells counts every run of quick cells while timing only some, and says so", async () => {
    const lines = (await printed((print) => quickCells(print, 5_000))).join("\n").split("\n");
    expect(lines.some((l) => l.startsWith("(quick runs were timed now and then"))).toBe(true);
    const counts = lines.filter((l) => / runs, \d+ timed, \d+ events$/.test(l));
    expect(counts.map((l) => l.split(":")[0])).toEqual(["my_pipeline.source", "my_pipeline.multiplier", "my_pipeline.printer"]);
    for (const line of counts) {
      const [runs, timed] = line.match(/\d+/g)!.map(Number);
      expect(runs).toBe(5_000);
      expect(timed).toBeLessThan(2_500);
    }
    expect(lines.at(-1)).toMatch(/^pulls\/s while recording: \d+ timing now and then, \d+ timing every run$/);
  }, 30_000);
});
