/** The scale-up examples run and print what the guide says they print. */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { main as scaleup, theoreticalThroughput, traceFile } from "../examples/scaleup/main.js";
import { checkTrace, laneNames } from "../packages/core/test/observe/trace-checker.js";
import { main as skipConnection } from "../examples/scaling/skip-connection.js";
import { main as runtimeScaling } from "../examples/scaling/runtime-scaling.js";
import { main as cpuThreads } from "../examples/scaling/cpu-threads.js";
import { main as remoteScaleup } from "../examples/remote/main.js";
import { main as traceExample } from "../examples/scaleup/trace.js";
import { Recorder, toChromeTrace, toConcurrencySvg } from "@cellflow/core";
import { parseXml } from "../packages/core/test/observe/parse-xml.mjs";

describe("examples/scaleup", () => {
  const repoRoot = fileURLToPath(new URL("..", import.meta.url));
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ["--import", "tsx", "examples/scaleup/main.ts", ...args], { cwd: repoRoot, timeout: 20_000 });

  it("--help prints the usage and exits 0; an unknown flag prints it and exits 2, no stack trace", async () => {
    const help = await cli("--help");
    expect(help.stdout).toMatch(/^usage: scaleup \[--unit/);
    expect(help.stderr).toBe("");
    const bad = (await cli("--bogus").then(
      () => null,
      (error: unknown) => error,
    )) as { code: number; stderr: string } | null;
    expect(bad?.code).toBe(2);
    expect(bad?.stderr).toMatch(/Unknown option '--bogus'\nusage: scaleup/);
    expect(bad?.stderr).not.toMatch(/\bat .*parse_args/);
  });

  it("prints the values in order for 0, 1, 2 and 4 clones and reports throughput per configuration", async () => {
    const lines: string[] = [];
    const results = await scaleup({ unitMs: 10, items: 6, log: (line) => lines.push(line) });
    expect(results.map((r) => r.clones)).toEqual([0, 1, 2, 4]);
    for (const r of results) {
      expect(r.values).toEqual([0, -1, 2, -3, 4, -5]);
      expect(r.theoretical).toBeCloseTo(theoreticalThroughput(r.clones));
      // Generous: the example is about the shape of the numbers; the benchmark holds the ratio.
      expect(r.measured / r.theoretical).toBeGreaterThan(0.6);
      expect(r.measured / r.theoretical).toBeLessThan(1.5);
    }
    // Scaling up pays off: 2 clones beat 0, 4 clones are not slower than 1.
    expect(results[2]!.measured).toBeGreaterThan(results[0]!.measured);
    expect(results[3]!.measured).toBeGreaterThan(results[1]!.measured);
    expect(lines.some((l) => l.includes("[4/4] multiplier scaled up 4x"))).toBe(true);
    // Each configuration's bottleneck report follows its values (recorded with a Recorder).
    expect(lines.filter((l) => l.startsWith("   Bottleneck: "))).toHaveLength(4);
    expect(lines.find((l) => l.startsWith("   Bottleneck: "))).toMatch(/^ {3}Bottleneck: my_pipeline\.multiplier /);
    for (const r of results) expect(r.report).toMatch(/^Where time went/);
    expect(lines.some((l) => l.includes("measured/theoretical"))).toBe(true);
  });

  it("--trace writes each configuration's Chrome trace (clone count in the name), which passes the trace checker", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cellflow-scaleup-trace-"));
    try {
      const { stdout, stderr } = await cli("--unit", "5", "--items", "4", "--clones", "0,2", "--trace", join(dir, "trace.json"));
      expect(stderr).toBe("");
      // Progress goes on: the values, then where each trace went.
      expect(stdout).toContain("[2/2] multiplier scaled up 2x");
      expect(stdout).toMatch(new RegExp(`trace: ${join(dir, "trace-2.json")} \\(\\d+ cell runs, \\d+ clone items\\)`));
      for (const [clones, lanes] of [
        [0, ["main"]],
        [2, ["main", "my_pipeline.scalable_multiplier#async-1", "my_pipeline.scalable_multiplier#async-2"]],
      ] as const) {
        const trace = JSON.parse(readFileSync(join(dir, `trace-${clones}.json`), "utf8"));
        expect(checkTrace(trace)).toEqual([]);
        expect(laneNames(trace)).toEqual(expect.arrayContaining([...lanes]));
        const runs = trace.traceEvents.filter((e: { ph: string; name: string }) => e.ph === "X" && e.name === "my_pipeline.printer");
        expect(runs).toHaveLength(4);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("names trace files after the clone count", () => {
    expect(traceFile("trace.json", 2)).toBe("trace-2.json");
    expect(traceFile("out/run.trace.json", 0)).toBe("out/run.trace-0.json");
    expect(traceFile("out.d/trace", 4)).toBe("out.d/trace-4");
  });

  it("gives the seed's theoretical throughputs", () => {
    expect([0, 1, 2, 4].map(theoreticalThroughput)).toEqual([1 / 7, 1 / 5, 2 / 5, 1 / 2]);
  });
});

describe("examples/scaleup/trace.ts", () => {
  it("records two thread clones, prints the bottleneck report, writes a trace that passes the checker and a diagram", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cellflow-trace-example-"));
    try {
      const lines: string[] = [];
      await traceExample((line) => lines.push(line), dir);
      const [report, lanes, wrote] = lines;
      // The bottleneck report: the two thread clones (4 + 1 units per item each) can do 2/5
      // items per unit, less than the printer's 1/2; a third clone would keep up.
      expect(report).toMatch(/^Where time went/);
      expect(report).toContain("my_pipeline.scalable_multiplier (2 thread clones)");
      expect(report).toMatch(/\nBottleneck: my_pipeline\.scalable_multiplier /);
      expect(report).toMatch(/\nSuggested clones for my_pipeline\.scalable_multiplier: 3 \(now 2;/);
      expect(lanes).toBe("lanes: main, my_pipeline.scalable_multiplier#thread-1, my_pipeline.scalable_multiplier#thread-2");
      expect(wrote).toBe(`wrote ${join(dir, "trace.json")} and ${join(dir, "concurrency.svg")}`);
      const trace = JSON.parse(readFileSync(join(dir, "trace.json"), "utf8"));
      expect(checkTrace(trace)).toEqual([]);
      expect(laneNames(trace)).toEqual(expect.arrayContaining(["main", "my_pipeline.scalable_multiplier#thread-1"]));
      const svg = parseXml(readFileSync(join(dir, "concurrency.svg"), "utf8"));
      expect(svg.querySelectorAll("rect.run").length).toBe(trace.traceEvents.filter((e: { cat?: string }) => e.cat === "cell-run").length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("examples/scaling", () => {
  it("skip-connection keeps ids aligned with results", async () => {
    const lines: string[] = [];
    await skipConnection((line) => lines.push(line));
    expect(lines).toEqual(["req-0: ALPHA", "req-1: BETA", "req-2: GAMMA", "req-3: DELTA", "req-4: ALPHA", "req-5: BETA"]);
  });

  it("runtime-scaling keeps order while clones come and go", async () => {
    const lines: string[] = [];
    await runtimeScaling((line) => lines.push(line));
    expect(lines).toEqual(["clones: 1", Array.from({ length: 16 }, (_, i) => i * i).join(" ")]);
  });

  it("cpu-threads gives the same hashes with async and thread clones", async () => {
    const lines: string[] = [];
    const results = await cpuThreads({ items: 5, work: 20_000, print: (line) => lines.push(line) });
    expect(results).toHaveLength(3);
    expect(results[0]!.hashes).toHaveLength(5);
    for (const r of results) expect(r.hashes).toEqual(results[0]!.hashes);
    expect(lines.at(-1)).toBe("same hashes in the same order: true");
  });
});

describe("examples/remote", () => {
  it("runs the scale-up example with its multiplier on two remote workers (a redis-server of its own), in order", async () => {
    const lines: string[] = [];
    using recorder = new Recorder().start();
    const { values } = await remoteScaleup({ items: 8, unitMs: 20, print: (line) => lines.push(line) });
    recorder.stop();
    expect(values).toEqual([0, -1, 2, -3, 4, -5, 6, -7]);
    // The recording: a lane per remote clone in the trace, and their items in the diagram.
    const events = recorder.events();
    const trace = toChromeTrace(events);
    expect(checkTrace(trace)).toEqual([]);
    const remoteLanes = laneNames(trace).filter((lane) => lane.startsWith("scaleup.scalable_multiplier#remote"));
    // One lane per remote clone. A remote clone keeps batches in flight, and on a loaded
    // machine two workers can run its batches at once: those overlapping boxes go to an
    // overflow lane of the same name plus " (2)" (seen in a fresh-clone CI run), as
    // overlapping runs never share a lane.
    const perClone = new Set(remoteLanes.map((lane) => lane.replace(/ \(\d+\)$/, "")));
    expect(perClone.size, remoteLanes.join(", ")).toBe(4);
    expect(trace.traceEvents.filter((e) => e.ph === "f" && e.name === "item")).toHaveLength(8); // each item to the printer run that took it
    const svg = parseXml(toConcurrencySvg(events, { unitMs: 20 }));
    const svgLanes = Array.from(svg.querySelectorAll("g.lane"), (g) => g.getAttribute("data-lane")!);
    const svgPerClone = new Set(svgLanes.filter((lane) => lane.includes("#remote")).map((lane) => lane.replace(/ \(\d+\)$/, "")));
    expect(svgPerClone.size, svgLanes.join(", ")).toBe(4);
    expect(svg.querySelectorAll("rect.item").length).toBe(events.cloneItems.filter((i) => !events.cellRuns.some((r) => r.lane === i.lane)).length);
    expect(lines[0]).toMatch(/^redis-server and 2 workers started/);
    expect(lines.slice(1, 9)).toEqual(values.map(String));
    expect(lines.at(-1)).toMatch(/^4 remote clones: [\d.]+ items per unit, theory 0\.500/);
  }, 60_000);
});
