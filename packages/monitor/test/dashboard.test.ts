/**
 * The dashboard in a real browser: Debian's headless Chromium (/usr/bin/chromium), driven
 * by playwright-core, opens the page of a running pipeline with async and thread clones
 * and waits for live figures in the DOM. No browser is downloaded; if Chromium is missing
 * or cannot start, this test fails (CI installs it: .ci/run).
 *
 * The screenshot goes to the temp directory; with CELLFLOW_SCREENSHOT=docs it replaces
 * docs/images/monitor.png, the one the guide shows.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { serveMonitor, type Monitor } from "@cellflow/monitor";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { busyPipeline } from "./support.js";

/** What the functions run in the page use of its DOM (the suite's TypeScript has no DOM library). */
declare const document: {
  querySelector(selector: string): PageElement | null;
  readonly body: { readonly dataset: Record<string, string | undefined> };
};
interface PageElement {
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): { readonly length: number };
  readonly textContent: string | null;
}

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const name = "dashboard";
const token = "s3cret-token";

let browser: Browser;
let monitor: Monitor;
let running: Awaited<ReturnType<typeof busyPipeline>>;
let scratch: string;

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "cellflow-monitor-"));
  browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox"] });
  // 40 ms per item on 3 clones (about 70 items/s) stays the slowest stage even when timers run late on a loaded machine.
  running = await busyPipeline(name, 2, 1, 40);
  monitor = await serveMonitor(running.pipeline, { token, intervalMs: 200 });
});

afterAll(async () => {
  await browser?.close();
  await monitor?.close();
  await running?.stop();
  if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
});

describe("the dashboard page in headless Chromium", () => {
  it("shows items/s per cell, the queue fill, every clone's lane (the thread clone's too) and the bottleneck, live", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 560 } });
    page.setDefaultTimeout(20_000); // a condition that never holds fails here, with its name, before the test's timeout
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(`${monitor.url}?token=${token}`);

    await page.waitForSelector('#status[data-state="live"]');
    // Every cell of the pipeline listed, each with a rate above zero.
    const cells = [`${name}.numbers`, `${name}.scalable`, `${name}.sink`];
    await page.waitForFunction(
      (paths) => paths.every((p) => Number(document.querySelector(`#cells tr[data-cell="${p}"]`)?.getAttribute("data-rate")) > 0),
      cells,
    );
    // The scalable cell's queue, with its capacity.
    await page.waitForFunction((cell) => Number(document.querySelector(`.queue[data-cell="${cell}"]`)?.getAttribute("data-capacity")) > 0, `${name}.scalable`);
    // A lane per clone with boxes drawn, the thread clone's included, and the main lane.
    const lanes = ["main", `${name}.scalable#async-1`, `${name}.scalable#async-2`, `${name}.scalable#thread-3`];
    await page.waitForFunction(
      (names) => names.every((lane) => (document.querySelector(`g.lane[data-lane="${lane}"]`)?.querySelectorAll("rect").length ?? 0) > 0),
      lanes,
    );
    // The work cell limits the pipeline.
    await page.waitForFunction((cell) => document.querySelector("#bottleneck")?.textContent === cell, `${name}.scalable`);
    // Live: more snapshots keep coming, and the lanes cover a couple of seconds for the picture.
    const seen = Number(await page.getAttribute("body", "data-snapshots"));
    await page.waitForFunction((n) => Number(document.body.dataset.snapshots) >= n + 2 && Number(document.body.dataset.windowMs) >= 2000, seen);

    expect(await page.textContent("#pipeline")).toBe(name);
    const rows = await page.$$eval("#cells tbody tr", (trs) => trs.map((tr) => [tr.getAttribute("data-cell"), Number(tr.getAttribute("data-rate"))] as const));
    expect(rows.map(([cell]) => cell)).toEqual(cells);
    for (const [, rate] of rows) expect(rate).toBeGreaterThan(0);
    const queueText = await page.textContent(`.queue[data-cell="${name}.scalable"] .text`);
    expect(queueText).toMatch(/^\d+ \/ \d+ out, \d+ done$/);
    const laneNames = await page.$$eval("g.lane", (gs) => gs.map((g) => g.getAttribute("data-lane")));
    expect(laneNames).toEqual(lanes);
    expect(await page.$$eval('g.lane[data-lane$="#thread-3"] rect.item', (r) => r.length)).toBeGreaterThan(0);
    expect(errors).toEqual([]);

    const shot = process.env.CELLFLOW_SCREENSHOT === "docs" ? join(repoRoot, "docs/images/monitor.png") : join(scratch, "monitor.png");
    mkdirSync(join(shot, ".."), { recursive: true });
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.length).toBeGreaterThan(10_000);
    await page.close();
  });

  it("without the token the browser gets a 401, not the page", async () => {
    const page = await browser.newPage();
    const response = await page.goto(monitor.url);
    expect(response?.status()).toBe(401);
    expect(await page.textContent("body")).toContain("token");
    await page.close();
  });
});
