/**
 * The guide quotes tested example files: every TypeScript block of a guide page must
 * appear verbatim in the example file the page last linked to before the block, so a
 * change to an example that the docs do not follow fails here. Also: the index lists every
 * page, and TypeDoc converts the API without a warning.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { DagPipeline } from "../examples/basics/dag.js";
import { parseXml } from "../packages/core/test/observe/parse-xml.mjs";
import { checkTrace } from "../packages/core/test/observe/trace-checker.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const read = (path: string) => readFileSync(`${repoRoot}/${path}`, "utf8");

const guidePages = [
  "getting-started.md",
  "pipeline-basics.md",
  "nesting.md",
  "parameters.md",
  "topology.md",
  "pull-based-execution.md",
  "validation.md",
  "finite-streams.md",
  "scale-up-basics.md",
  "scalable-cells.md",
  "threads-and-processes.md",
  "interop.md",
  "where-time-goes.md",
  "monitor.md",
];

interface Block {
  readonly lang: string;
  readonly code: string;
  /** The example file (repo-relative) linked last before the block, if any. */
  readonly source: string | undefined;
}

function blocks(markdown: string): Block[] {
  const found: Block[] = [];
  let source: string | undefined;
  const fence = /```(\w*)\n([\s\S]*?)```/g;
  let last = 0;
  for (let match = fence.exec(markdown); match !== null; match = fence.exec(markdown)) {
    const prose = markdown.slice(last, match.index);
    for (const link of prose.matchAll(/\]\(\.\.\/(examples\/[\w/.-]+\.ts)\)/g)) source = link[1];
    found.push({ lang: match[1]!, code: match[2]!, source });
    last = fence.lastIndex;
  }
  return found;
}

describe("docs/ guide pages", () => {
  it.each(guidePages)("%s quotes its TypeScript samples verbatim from a linked example", (page) => {
    const tsBlocks = blocks(read(`docs/${page}`)).filter((b) => b.lang === "ts");
    expect(tsBlocks.length).toBeGreaterThan(0);
    for (const block of tsBlocks) {
      expect(block.source, `a ts block in ${page} has no example link before it`).toBeDefined();
      expect(read(block.source!), `${page}: block not found verbatim in ${block.source}`).toContain(block.code);
    }
  });

  it("every page the index lists exists, and the index lists every guide page", () => {
    const index = read("docs/README.md");
    for (const page of guidePages) expect(index).toContain(`](${page})`);
  });

  it("topology.md shows the DAG's real topology description", () => {
    const json = blocks(read("docs/topology.md")).find((b) => b.lang === "json");
    expect(JSON.parse(json!.code)).toEqual(new DagPipeline(null, "dag").getTopologyDescription());
  });

  it("where-time-goes.md shows the committed figures: traces that pass the checker, SVGs with a box per cell run of the trace", () => {
    const page = read("docs/where-time-goes.md");
    for (const clones of [0, 1, 2, 4]) {
      expect(page).toContain(`](images/concurrency-${clones}.svg)`);
      const trace = JSON.parse(read(`docs/figures/trace-${clones}.json`));
      expect(checkTrace(trace)).toEqual([]);
      const runs = trace.traceEvents.filter((e: { ph: string; cat?: string }) => e.ph === "X" && e.cat === "cell-run");
      const svg = parseXml(read(`docs/images/concurrency-${clones}.svg`));
      expect(svg.querySelectorAll("rect.run").length).toBe(runs.length);
      expect(svg.querySelectorAll("g.lane").length).toBeGreaterThanOrEqual(1 + clones);
    }
    expect(page).toContain("npx tsx docs/figures/render.ts");
  });

  it("TypeDoc converts the public API without warnings (typedoc.json treats warnings as errors)", async () => {
    const typedoc = `${repoRoot}/node_modules/.bin/typedoc`;
    const { stdout } = await promisify(execFile)(typedoc, ["--emit", "none"], { cwd: repoRoot, timeout: 120_000 });
    expect(stdout).not.toContain("warning");
  }, 120_000); // TypeDoc type-checks the whole API: 8 s here, over 30 s on a loaded machine
});
