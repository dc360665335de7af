/**
 * `toMermaid` (SPEC 4.4): composite cells as subgraphs, port names on edges, recurrent
 * connections dashed, scalable cells labelled with their clones. Exact output for the
 * getting-started pipeline; the features on the examples; and every diagram it makes for
 * the examples, plus every ```mermaid block of the guide, parsed by Mermaid's own parser
 * (test/support/mermaid-parse.mjs, in a child process with jsdom).
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Connection, Input, Output, Pipeline, SingleCell, toMermaid, type CompositeCell } from "@cellflow/core";
import { MyPipeline } from "../examples/basics/three-cells.js";
import { DagPipeline } from "../examples/basics/dag.js";
import { FibonacciPipeline } from "../examples/basics/fibonacci.js";
import { NestedPipeline } from "../examples/basics/nested.js";
import { ScaledPipeline } from "../examples/scaleup/cells.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

function parseWithMermaid(diagrams: string[]): Promise<Array<{ ok: boolean; type?: string; error?: string }>> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [`${repoRoot}/test/support/mermaid-parse.mjs`], { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
    child.stdin!.end(JSON.stringify(diagrams));
  });
}

function scaled(): ScaledPipeline {
  const pipeline = new ScaledPipeline(null, "scaleup");
  void pipeline.scalableMultiplier.scaleUp(2);
  void pipeline.scalableMultiplier.scaleUp(1, "thread");
  return pipeline;
}

describe("toMermaid", () => {
  it("draws the getting-started pipeline: a subgraph, its cells in execution order, edges named by their ports", () => {
    expect(toMermaid(new MyPipeline(null, "my_pipeline"))).toBe(
      [
        "flowchart LR",
        '  subgraph n0["my_pipeline (MyPipeline)"]',
        '    n1["source<br/>SourceCell"]',
        '    n2["multiplier<br/>MultiplierCell"]',
        '    n3["printer<br/>PrinterCell"]',
        "  end",
        '  n1 -- "first_output → input_a" --> n2',
        '  n1 -- "second_output → input_b" --> n2',
        '  n2 -- "output → printer_input" --> n3',
        "",
      ].join("\n"),
    );
    expect(toMermaid(new MyPipeline(null, "p"), { direction: "TD" })).toMatch(/^flowchart TD\n/);
  });

  it("nests composite cells as subgraphs, with their ports as nodes inside", () => {
    const text = toMermaid(new NestedPipeline(null, "nested"));
    expect(text).toMatch(/subgraph n0\["nested \(NestedPipeline\)"\][\s\S]*subgraph n\d+\["absolute \(AbsolutePipeline\)"\][\s\S]*end[\s\S]*end/);
    expect(text).toMatch(/\(\["input"\]\)/);
    expect(text).toMatch(/\(\["output"\]\)/);
    expect(text).toContain('-- "output → input" -->'); // multiplier -> absolute's input port
    expect(text).toContain('-- "input → input_a" -->'); // the port -> the inner multiplier
  });

  it("labels a scalable cell with its clones by method, and updates as it scales", () => {
    const pipeline = scaled();
    expect(toMermaid(pipeline)).toContain('subgraph n2["scalable_multiplier (ScalableMultiplier), ×2 async, ×1 thread"]');
    void pipeline.scalableMultiplier.scaleDown(3);
    expect(toMermaid(pipeline)).toContain("(ScalableMultiplier), no clones");
  });

  it("dashes recurrent connections and draws forward ones solid", () => {
    const text = toMermaid(new FibonacciPipeline(null, "fibonacci"));
    expect(text).toContain('n1 -. "value → previous" .-> n1');
    expect(text).toContain('n1 -. "previous_out → before_previous" .-> n1');
    expect(text).toContain('n1 -- "value → printer_input" --> n2');
  });

  it("escapes names Mermaid would read as markup, and still draws an undeterminable topology", () => {
    class Quoted extends SingleCell {
      readonly input = new Input<number>(this, 'in "a"');
      readonly output = new Output<number>(this, "out<b>");
      protected onPull(): void {}
    }
    class Loop extends Pipeline {
      readonly a = new Quoted(this, "a&b");
      readonly b = new Quoted(this, "#b");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.a.output, this.b.input);
        new Connection(this.b.output, this.a.input); // a cycle without an initial value
      }
    }
    const text = toMermaid(new Loop(null, "loop"));
    expect(text).toContain('n1["a#38;b<br/>Quoted"]');
    expect(text).toContain('"out#60;b#62; → in #34;a#34;"');
    expect(text).not.toContain(".->"); // no recurrent connection could be chosen
  });

  it("topology.md shows what toMermaid draws for the DAG, Fibonacci and scale-up examples", () => {
    const blocks = [...readFileSync(`${repoRoot}/docs/topology.md`, "utf8").matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
    const fourClones = new ScaledPipeline(null, "scaleup");
    void fourClones.scalableMultiplier.scaleUp(4);
    expect(blocks).toEqual([
      toMermaid(new DagPipeline(null, "dag")),
      toMermaid(new FibonacciPipeline(null, "fibonacci_pipeline")),
      toMermaid(fourClones),
    ]);
  });

  it("makes diagrams Mermaid's own parser accepts, as does every mermaid block of the guide", async () => {
    const generated = [
      toMermaid(new MyPipeline(null, "my_pipeline")),
      toMermaid(new DagPipeline(null, "dag"), { direction: "TD" }),
      toMermaid(new FibonacciPipeline(null, "fibonacci")),
      toMermaid(new NestedPipeline(null, "nested")),
      toMermaid(scaled()),
    ];
    const inDocs = readdirSync(`${repoRoot}/docs`)
      .filter((f) => f.endsWith(".md"))
      .flatMap((f) => [...readFileSync(`${repoRoot}/docs/${f}`, "utf8").matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!));
    expect(inDocs.length).toBeGreaterThan(0);
    const results = await parseWithMermaid([...generated, ...inDocs]);
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.every((r) => r.type === "flowchart-v2")).toBe(true);
  }, 60_000);
});
