/**
 * SPEC 4.3, the seed's figures — the concurrency diagram of a real run is a well-formed
 * SVG image with a row per lane and a box per cell run.
 */
import { describe, expect, it } from "vitest";
import { toConcurrencySvg, type CellRunEvent, type RecordedEvents } from "@cellflow/core";
import { ScaledPipeline } from "../../../../examples/scaleup/cells.js";
import { ScalableMath } from "../fixtures/thread-cells.js";
import { harness } from "../threads/harness.js";
import { parseXml } from "./parse-xml.mjs";
import { recordPulls } from "./recording.js";

const all = (root: ReturnType<typeof parseXml>, selector: string) => Array.from(root.querySelectorAll(selector));

describe("toConcurrencySvg", () => {
  it("draws a real scale-up run (2 async clones): well-formed, a row per lane, a box per cell run, a time axis in units", async () => {
    const pipeline = new ScaledPipeline(null, "my_pipeline");
    pipeline.setUnit(5);
    pipeline.scalableMultiplier.scaleUp(2);
    const events = await recordPulls(pipeline, 6);
    const svg = parseXml(toConcurrencySvg(events, { unitMs: 5, title: "2 clones <async>" }));
    expect(svg.tagName).toBe("svg");
    const lanes = all(svg, "g.lane").map((g) => g.getAttribute("data-lane"));
    expect(lanes).toContain("main");
    expect(lanes).toContain("my_pipeline.scalable_multiplier#async-1");
    expect(lanes).toContain("my_pipeline.scalable_multiplier#async-2");
    expect(lanes).toEqual([...new Set(lanes)]);
    const boxes = all(svg, "rect.run");
    expect(boxes).toHaveLength(events.cellRuns.length);
    // The multiplier's boxes are in the clones' rows, the printer's on main's.
    for (const g of all(svg, "g.lane")) {
      const cells = all(g, "rect.run").map((r) => r.getAttribute("data-cell"));
      if (g.getAttribute("data-lane")!.includes("#")) expect(new Set(cells)).toEqual(new Set(["my_pipeline.scalable_multiplier.multiplier"]));
      else expect(cells).not.toContain("my_pipeline.scalable_multiplier.multiplier");
    }
    expect(svg.textContent).toContain("2 clones <async>");
    expect(svg.textContent).toContain("1 unit = 5 ms");
    expect(all(svg, ".legend text").map((t) => t.textContent)).toEqual(["source", "multiplier", "printer"]);
  });

  it("draws thread clones' runs in their lanes", async () => {
    const { pipeline, scalable } = harness(ScalableMath, (i) => i);
    scalable.scaleUp(2, "thread");
    const events = await recordPulls(pipeline, 8);
    const svg = parseXml(toConcurrencySvg(events));
    expect(all(svg, "rect.run")).toHaveLength(events.cellRuns.length);
    const lanes = all(svg, "g.lane").map((g) => g.getAttribute("data-lane"));
    expect(lanes).toEqual(expect.arrayContaining(["main", "p.sc#thread-1", "p.sc#thread-2"]));
  });

  it("never draws two boxes of one row over each other", () => {
    const run = (lane: string, start: number, end: number, waited = 0): CellRunEvent => ({ cell: `p.c${start % 3}`, lane, start, end, waited, failed: start === 4, runs: 1, timed: true });
    const events: RecordedEvents = {
      cellRuns: [run("main", 0, 10), run("main", 2, 6), run("main", 4, 12, 1), run("main", 9.5, 11), run("p.sc#async-1", 1, 3)],
      cloneItems: [],
      queueFills: [],
      from: 0,
      to: 12,
      dropped: 0,
    };
    const svg = parseXml(toConcurrencySvg(events, { pixelsPerUnit: 10, overlapToleranceMs: 0.6 }));
    for (const g of all(svg, "g.lane")) {
      const spans = all(g, "rect.run")
        .map((r) => [Number(r.getAttribute("x")), Number(r.getAttribute("x")) + Number(r.getAttribute("width"))] as const)
        .sort((a, b) => a[0] - b[0]);
      for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1] - 1e-9);
    }
    // 0-10 and 2-6 overlap, 4-12 (busy 5-12) overlaps both; 9.5-11 is only 0.5 ms into 0-10: it follows it.
    expect(all(svg, "g.lane").map((g) => g.getAttribute("data-lane"))).toEqual(["main", "main (2)", "main (3)", "p.sc#async-1"]);
    expect(all(svg, "rect.run")).toHaveLength(5);
  });

  it("the XML check is not vacuous", () => {
    expect(() => parseXml("<svg><g></svg>")).toThrow(/not well-formed/);
  });
});
