/**
 * The monitor's server over plain HTTP: the token on every route, the Server-Sent Events
 * stream, `/metrics` as Prometheus text after known pulls, metrics on a registry of your
 * own, bounded lane labels, and nothing left running after `close`.
 */
import { execFile } from "node:child_process";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CHANNELS, InvalidArgumentError, ScalableCell, type CloneItemEvent } from "@cellflow/core";
import { metricsHandler, registerMetrics, serveMonitor, type Snapshot } from "@cellflow/monitor";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { MonitoredPipeline } from "../../../examples/monitor/cells.js";
import { busyPipeline, parsePrometheus, total } from "./support.js";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const NAMES = ["cellflow_cell_duration_seconds", "cellflow_cell_items_total", "cellflow_cell_errors_total", "cellflow_queue_items", "cellflow_queue_capacity"];

/** Reads Server-Sent Events from `response` until `count` snapshots came. */
async function snapshots(response: Response, count: number): Promise<Snapshot[]> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  const found: Snapshot[] = [];
  let buffer = "";
  while (found.length < count) {
    const chunk = await reader.read();
    if (chunk.done) throw new Error(`the stream ended after ${found.length} snapshots`);
    buffer += decoder.decode(chunk.value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const message = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = /^data: (.*)$/m.exec(message);
      if (/^event: snapshot$/m.test(message) && data !== null) found.push(JSON.parse(data[1]!) as Snapshot);
    }
  }
  await reader.cancel();
  return found;
}

describe("serveMonitor", () => {
  it("listens on 127.0.0.1 and a free port by default; refuses every route without the right token (401), serves them with ?token= or a bearer token", async () => {
    const running = await busyPipeline("tokens", 1, 0, 2);
    await using monitor = await serveMonitor(running.pipeline, { token: "let-me-in" });
    try {
      expect(monitor.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      expect(Number(new URL(monitor.url).port)).toBeGreaterThan(0);
      for (const route of ["", "index.html", "events", "snapshot", "metrics"]) {
        const url = new URL(route, monitor.url);
        expect((await fetch(url)).status, route).toBe(401);
        expect((await fetch(`${url}?token=let-me-i`)).status, route).toBe(401);
        expect((await fetch(url, { headers: { authorization: "Bearer wrong" } })).status, route).toBe(401);
        const withQuery = await fetch(`${url}?token=let-me-in`);
        const withBearer = await fetch(url, { headers: { authorization: "Bearer let-me-in" } });
        expect([withQuery.status, withBearer.status], route).toEqual([200, 200]);
        await withQuery.body?.cancel();
        await withBearer.body?.cancel();
      }
      const page = await (await fetch(`${monitor.url}?token=let-me-in`)).text();
      expect(page).toContain("<title>cellflow monitor</title>");
      expect((await fetch(new URL("nothing?token=let-me-in", monitor.url))).status).toBe(404);
    } finally {
      await running.stop();
    }
  });

  it("streams snapshots as Server-Sent Events: one at once, then one per interval, with the pipeline's figures", async () => {
    const running = await busyPipeline("stream", 2, 0, 5);
    await using monitor = await serveMonitor(running.pipeline, { intervalMs: 100 });
    try {
      const response = await fetch(new URL("events", monitor.url));
      expect(response.headers.get("content-type")).toBe("text/event-stream");
      const received = await snapshots(response, 4);
      expect(received.map((s) => s.pipeline)).toEqual(["stream", "stream", "stream", "stream"]);
      const times = received.map((s) => s.time);
      for (let i = 1; i < times.length; i++) expect(times[i]!).toBeGreaterThan(times[i - 1]!);
      const last = received.at(-1)!;
      expect(last.cells.map((c) => c.cell)).toEqual(["stream.numbers", "stream.scalable", "stream.sink"]);
      expect(last.cells.find((c) => c.cell === "stream.scalable")).toMatchObject({ kind: "scalable", clones: 2 });
      expect(last.windowMs).toBeGreaterThan(0);
      expect(last.windowMs).toBeLessThanOrEqual(5000);
    } finally {
      await running.stop();
    }
  });

  it("serves /metrics as prom-client's Prometheus text with the cellflow names and the counts of known pulls", async () => {
    const pipeline = new MonitoredPipeline(null, "metered");
    pipeline.scalable.work.workMs.setValue(1);
    pipeline.scalable.scaleUp(2, "async");
    // Listening before the deploy: clones start pulling as soon as they run.
    await using monitor = await serveMonitor(pipeline);
    await pipeline.deploy();
    for (let i = 0; i < 20; i++) await pipeline.pull();
    await ScalableCell.whenAllIdle(pipeline);
    const response = await fetch(new URL("metrics", monitor.url));
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const { types, samples } = parsePrometheus(await response.text());
    await pipeline.undeploy();

    expect(Object.fromEntries(NAMES.map((n) => [n, types.get(n)]))).toEqual({
      cellflow_cell_duration_seconds: "histogram",
      cellflow_cell_items_total: "counter",
      cellflow_cell_errors_total: "counter",
      cellflow_queue_items: "gauge",
      cellflow_queue_capacity: "gauge",
    });
    // The sink ran once per pull, on the main lane; the histogram counted the same runs.
    expect(total(samples, "cellflow_cell_items_total", { cell: "metered.sink", clone: "main" })).toBe(20);
    expect(total(samples, "cellflow_cell_duration_seconds_count", { cell: "metered.sink", clone: "main" })).toBe(20);
    expect(total(samples, "cellflow_cell_duration_seconds_bucket", { cell: "metered.sink", clone: "main", le: "+Inf" })).toBe(20);
    expect(total(samples, "cellflow_cell_duration_seconds_sum", { cell: "metered.sink" })).toBeGreaterThan(20 * 0.001);
    // Every number taken was run by one of the two clones, each with a series of its own.
    const produced = total(samples, "cellflow_cell_items_total", { cell: "metered.numbers", clone: "main" });
    expect(produced).toBeGreaterThanOrEqual(20);
    expect(total(samples, "cellflow_cell_items_total", { cell: "metered.scalable" })).toBe(produced);
    const clones = new Set(samples.filter((s) => s.name === "cellflow_cell_items_total" && s.labels.cell === "metered.scalable").map((s) => s.labels.clone));
    expect([...clones].sort()).toEqual(["metered.scalable#async-1", "metered.scalable#async-2"]);
    expect(total(samples, "cellflow_cell_errors_total")).toBe(0);
    expect(total(samples, "cellflow_queue_capacity", { cell: "metered.scalable" })).toBeGreaterThan(0);
    expect(samples.some((s) => s.name === "cellflow_queue_items" && s.labels.cell === "metered.scalable")).toBe(true);
    // No label but cell, clone and the histogram's le: no tickets, no items.
    expect(new Set(samples.flatMap((s) => Object.keys(s.labels)))).toEqual(new Set(["cell", "clone", "le"]));
  });

  it("registerMetrics feeds your own registry and caps clone labels: lanes past maxLanes count as clone=\"other\"; close unregisters", async () => {
    const registry = new Registry();
    const metrics = registerMetrics(registry, { maxLanes: 1 });
    const pipeline = new MonitoredPipeline(null, "own-registry");
    pipeline.scalable.work.workMs.setValue(1);
    pipeline.scalable.scaleUp(3, "async");
    const lanes = new Set<string>();
    const onItem = (message: unknown) => lanes.add((message as CloneItemEvent).lane);
    subscribe(CHANNELS.cloneItem, onItem);
    await pipeline.deploy();
    for (let i = 0; i < 30; i++) await pipeline.pull();
    await ScalableCell.whenAllIdle(pipeline);
    unsubscribe(CHANNELS.cloneItem, onItem);
    await pipeline.undeploy();
    const { samples } = parsePrometheus(await registry.metrics());
    const labels = new Set(samples.filter((s) => s.name === "cellflow_cell_items_total" && s.labels.cell === "own-registry.scalable").map((s) => s.labels.clone));
    expect(lanes.size).toBeGreaterThan(1); // more lanes ran items than the cap lets through
    expect(labels.size).toBe(2);
    expect(labels.has("other")).toBe(true);
    metrics.close();
    expect(registry.getSingleMetric("cellflow_cell_items_total")).toBeUndefined();
  });

  it("metricsHandler answers a request of your own server with its registry's text", async () => {
    const handler = metricsHandler();
    try {
      const { createServer } = await import("node:http");
      const server = createServer(handler).listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      const { port } = server.address() as { port: number };
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      await new Promise((resolve) => server.close(resolve));
      expect(parsePrometheus(text).types.get("cellflow_cell_items_total")).toBe("counter");
      expect(handler.registry.getSingleMetric("cellflow_queue_capacity")).toBeDefined();
    } finally {
      handler.close();
    }
  });

  it("keeps memory bounded: at most maxEvents events of each kind (the oldest dropped, and counted), at most maxBoxes boxes per lane", async () => {
    const pipeline = new MonitoredPipeline(null, "bounded");
    pipeline.scalable.work.workMs.setValue(0);
    pipeline.scalable.scaleUp(2, "async");
    await using monitor = await serveMonitor(pipeline, { maxEvents: 40, maxBoxes: 10, metrics: false });
    await pipeline.deploy();
    for (let i = 0; i < 60; i++) await pipeline.pull();
    await ScalableCell.whenAllIdle(pipeline);
    const snapshot = (await (await fetch(new URL("snapshot", monitor.url))).json()) as Snapshot;
    await pipeline.undeploy();
    // 60 pulls: at least 120 cell runs on the main lane (numbers and sink) and 60 clone items, more than 40 each.
    expect(snapshot.dropped).toBeGreaterThanOrEqual(120 - 40 + 60 - 40);
    expect(snapshot.lanes.length).toBeGreaterThan(0);
    for (const lane of snapshot.lanes) expect(lane.boxes.length).toBeLessThanOrEqual(10);
    expect(snapshot.cells.find((c) => c.cell === "bounded.sink")!.itemsPerSecond).toBeGreaterThan(0);
  });

  it("rejects bad options at once with InvalidArgumentError", async () => {
    const pipeline = new MonitoredPipeline(null, "bad-options");
    await expect(serveMonitor(pipeline, { intervalMs: 0 })).rejects.toThrow(InvalidArgumentError);
    await expect(serveMonitor(pipeline, { windowMs: Number.NaN })).rejects.toThrow(/windowMs must be a positive number/);
    await expect(serveMonitor(pipeline, { token: "" })).rejects.toThrow(/token must not be empty/);
  });

  it("close() leaves Node nothing to wait for: a script that serves, streams, closes and undeploys exits on its own", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./fixtures/serve-and-close.ts", import.meta.url))], {
      cwd: repoRoot,
      timeout: 20_000, // generous: the script takes about a second
    });
    expect(stdout).toMatch(/snapshots:([2-9]|\d\d+) listening:0\n/);
    expect(stdout).toContain("main done");
  });
});
