/**
 * `serveMonitor`: the dashboard, served by the process that runs the pipeline.
 *
 * @module
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { InvalidArgumentError, type Cell } from "@cellflow/core";
import { loadPromClient, metricsHandler, type MetricsHandler } from "./metrics.js";
import { buildSnapshot } from "./snapshot.js";
import { EventWindow } from "./window.js";

export interface MonitorOptions {
  /** The address to listen on. Default `"127.0.0.1"`: only this machine sees the page. */
  readonly host?: string;
  /** The port; default 0, a free one (read it from `url`). */
  readonly port?: number;
  /**
   * If set, every route (the page, its event stream, `/metrics`) needs it, as `?token=`
   * or `Authorization: Bearer <token>`; otherwise 401. The page passes its own `?token=`
   * on to its event stream.
   */
  readonly token?: string;
  /** Milliseconds between two snapshots pushed to the page. Default 250. */
  readonly intervalMs?: number;
  /** Milliseconds of events the figures and the lanes cover. Default 5000. */
  readonly windowMs?: number;
  /** Events of each kind kept in the window at most (memory stays bounded). Default 20 000. */
  readonly maxEvents?: number;
  /** Boxes per lane in a snapshot at most (the newest). Default 400. */
  readonly maxBoxes?: number;
  /**
   * `/metrics` in Prometheus text format, through prom-client (an optional peer
   * dependency). `true`: required, `serveMonitor` rejects with `PromClientMissingError`
   * without it; `false`: no `/metrics`; default: served when prom-client is installed,
   * else `/metrics` answers 501 with the command that installs it.
   */
  readonly metrics?: boolean;
}

/** A running dashboard. */
export interface Monitor extends AsyncDisposable {
  /** The page's address, e.g. `http://127.0.0.1:40123/` (without the token). */
  readonly url: string;
  /** Stops serving: closes the event streams and the server, unsubscribes from the engine's events. */
  close(): Promise<void>;
}

const PAGE = new URL("../page/index.html", import.meta.url);

/**
 * Serves a live dashboard of `pipeline` over HTTP from this process: items/s per cell,
 * queue fill per scalable cell, the clone lanes as a concurrency diagram and the
 * bottleneck, pushed to the page over Server-Sent Events; and `/metrics` for Prometheus.
 *
 * ```ts
 * await using monitor = await serveMonitor(pipeline);
 * console.log(`dashboard: ${monitor.url}`);
 * ```
 *
 * Routes: `/` the page, `/events` the snapshots as Server-Sent Events, `/snapshot` one
 * snapshot as JSON, `/metrics` Prometheus text.
 */
export async function serveMonitor(pipeline: Cell, options: MonitorOptions = {}): Promise<Monitor> {
  const intervalMs = positive(options.intervalMs ?? 250, "intervalMs");
  const windowMs = positive(options.windowMs ?? 5000, "windowMs");
  const maxEvents = positive(options.maxEvents ?? 20_000, "maxEvents");
  const maxBoxes = positive(options.maxBoxes ?? 400, "maxBoxes");
  const page = await readFile(PAGE);
  const prefix = `${pipeline.path}.`;
  const accepts = (cell: string) => cell.startsWith(prefix) || cell === pipeline.path;

  let metrics: MetricsHandler | string | null = null;
  if (options.metrics === true) metrics = metricsHandler({ cells: accepts });
  else if (options.metrics === undefined) {
    try {
      loadPromClient();
      metrics = metricsHandler({ cells: accepts });
    } catch (error) {
      metrics = (error as Error).message;
    }
  }

  const window = new EventWindow({ spanMs: windowMs, maxEvents, accepts });
  const snapshot = () => JSON.stringify(buildSnapshot(pipeline, window.events(), window.latestFill, maxBoxes));
  const streams = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | undefined;
  const push = () => {
    const data = `event: snapshot\ndata: ${snapshot()}\n\n`;
    // A page that does not keep up skips snapshots (each carries the whole state) instead of queueing them here.
    for (const stream of streams) if (!stream.writableNeedDrain) stream.write(data);
  };

  const allowed = options.token === undefined ? () => true : tokenCheck(options.token);
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://monitor");
    if (!allowed(request, url)) {
      response.writeHead(401, { "content-type": "text/plain; charset=utf-8", "www-authenticate": 'Bearer realm="cellflow monitor"' }).end("401: a token is needed (?token= or Authorization: Bearer)\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    switch (url.pathname) {
      case "/":
      case "/index.html":
        response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" }).end(page);
        return;
      case "/snapshot":
        response.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" }).end(snapshot());
        return;
      case "/events":
        response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
        if (request.method === "HEAD") {
          response.end();
          return;
        }
        response.write(`retry: 1000\nevent: snapshot\ndata: ${snapshot()}\n\n`);
        streams.add(response);
        timer ??= setInterval(push, intervalMs);
        response.once("close", () => {
          streams.delete(response);
          if (streams.size === 0 && timer !== undefined) {
            clearInterval(timer);
            timer = undefined;
          }
        });
        return;
      case "/metrics":
        if (typeof metrics === "function") metrics(request, response);
        else if (typeof metrics === "string") response.writeHead(501, { "content-type": "text/plain; charset=utf-8" }).end(`${metrics}\n`);
        else notFound(response);
        return;
      default:
        notFound(response);
    }
  });

  window.start();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    window.stop();
    if (typeof metrics === "function") metrics.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= new Promise<void>((resolve) => {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      window.stop();
      if (typeof metrics === "function") metrics.close();
      // Event streams end cleanly (their sockets close once the last bytes are out), idle
      // keep-alive sockets close now; whatever is still busy after a second is cut.
      const cut = setTimeout(() => server.closeAllConnections(), 1000).unref();
      server.close(() => {
        clearTimeout(cut);
        resolve();
      });
      for (const stream of streams) stream.end(() => stream.socket?.destroy());
      streams.clear();
      server.closeIdleConnections();
    }));
  return { url: `http://${host}:${address.port}/`, close, [Symbol.asyncDispose]: close };
}

function notFound(response: ServerResponse): void {
  response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("404: not here\n");
}

function positive(value: number, name: string): number {
  if (!(Number.isFinite(value) && value > 0)) throw new InvalidArgumentError(`serveMonitor: ${name} must be a positive number, got ${String(value)}.`);
  return value;
}

/** Compares the request's token with `token` in constant time (digests of equal length). */
function tokenCheck(token: string): (request: IncomingMessage, url: URL) => boolean {
  if (token === "") throw new InvalidArgumentError("serveMonitor: token must not be empty.");
  const digest = (text: string) => createHash("sha256").update(text).digest();
  const expected = digest(token);
  return (request, url) => {
    const header = request.headers.authorization;
    const given = url.searchParams.get("token") ?? (header?.startsWith("Bearer ") ? header.slice(7) : undefined);
    return given !== undefined && timingSafeEqual(digest(given), expected);
  };
}
