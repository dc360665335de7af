/**
 * Redis settings and troubles (SPEC 5.3, 5.4) against real redis-servers: a server whose
 * eviction policy is not `noeviction` gets one warning per process, however many
 * connections; a password in the URL works, and neither the worker's output nor the
 * warning shows it; a server restarted mid-run (losing every queued batch: no
 * persistence) costs nothing: every item arrives once, in order; TLS (`rediss://`) with a
 * private CA works for the worker and the pipeline.
 */
import { afterEach, describe, expect, it } from "vitest";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { remote } from "@cellflow/bullmq";
import { RemotePipeline } from "./fixtures/remote-cells.js";
import { freePort, startRedis, type RedisServer } from "./redis-server.js";
import { startWorker, type WorkerProcess } from "./workers.js";

/** Fails after `ms` instead of hanging the test (a safety net, not a timing assertion). */
function withinDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no result within ${ms} ms`)), ms).unref())]);
}

const cells = fileURLToPath(new URL("./fixtures/remote-cells.ts", import.meta.url));
const running: Array<RedisServer | WorkerProcess> = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

async function pullFive(redisUrl: string, queue: string): Promise<number[]> {
  const pipeline = new RemotePipeline(null, "remote");
  pipeline.squares.scaleUp(2, remote({ redis: redisUrl, queue }));
  await pipeline.deploy();
  try {
    const ys: number[] = [];
    for (let i = 0; i < 5; i++) ys.push((await pipeline.pull()).squared.y);
    return ys;
  } finally {
    await pipeline.undeploy();
  }
}

describe("Redis settings", () => {
  it("warn once when the server may evict keys", async () => {
    const redis = await startRedis(["--maxmemory-policy", "allkeys-lru"]);
    running.push(redis);
    const worker = await startWorker(["--module", cells, "--redis", redis.url, "--queue", "evicting"]);
    running.push(worker);
    const warnings: Error[] = [];
    const listen = (warning: Error) => warnings.push(warning);
    process.on("warning", listen);
    try {
      expect(await pullFive(redis.url, "evicting")).toEqual([0, 1, 4, 9, 16]);
      expect(await pullFive(redis.url, "evicting")).toEqual([0, 1, 4, 9, 16]); // new clones, new connections
      await new Promise((resolve) => setImmediate(resolve)); // warnings are emitted on the next tick
    } finally {
      process.off("warning", listen);
    }
    const ours = warnings.filter((w) => w.name === "CellflowWarning");
    expect(ours).toHaveLength(1);
    expect(ours[0]!.message).toMatch(/maxmemory-policy allkeys-lru.*noeviction/);
    // The worker process warns once too, and BullMQ's own per-connection line is not printed.
    expect(worker.output().match(/CellflowWarning/g)).toHaveLength(1);
    expect(worker.output()).not.toContain("IMPORTANT! Eviction policy");
  }, 60_000);

  it("connect with a password in the URL, and show it nowhere", async () => {
    const secret = "s3cret-Passw0rd";
    const redis = await startRedis(["--requirepass", secret]);
    running.push(redis);
    const url = `redis://:${secret}@127.0.0.1:${redis.port}`;
    const worker = await startWorker(["--module", cells, "--redis", url, "--queue", "secret"]);
    running.push(worker);
    expect(await pullFive(url, "secret")).toEqual([0, 1, 4, 9, 16]);
    expect(worker.output()).toContain("serving remote-square");
    expect(worker.output()).toContain("***");
    expect(worker.output()).not.toContain(secret);
  }, 60_000);

  it("lose nothing when Redis restarts mid-run, with every queued batch gone", async () => {
    let redis = await startRedis();
    const worker = await startWorker(["--module", cells, "--redis", redis.url, "--queue", "restart"]);
    running.push(worker);
    const pipeline = new RemotePipeline(null, "remote");
    // One worker running one batch at a time, two remote clones, slow items: while the
    // worker runs one clone's batch, the other clone's batch waits in Redis, and is lost
    // when the server stops (it keeps nothing on disk).
    pipeline.squares.square.delayMs.setValue(150);
    pipeline.squares.scaleUp(2, remote({ redis: redis.url, queue: "restart" }));
    await pipeline.deploy();
    try {
      const xs: number[] = [];
      for (let i = 0; i < 3; i++) xs.push((await pipeline.pull()).squared.x);
      await redis.stop();
      const pulling = (async () => {
        for (let i = 3; i < 12; i++) xs.push((await pipeline.pull()).squared.x);
      })();
      redis = await startRedis([], redis.port);
      await withinDeadline(pulling, 20_000);
      expect(xs).toEqual(Array.from({ length: 12 }, (_, i) => i));
    } finally {
      await pipeline.undeploy();
      await worker.stop(); // before its server
      running.push(redis);
    }
  }, 60_000);

  it("connect over TLS (rediss://, a private CA through NODE_EXTRA_CA_CERTS), password and all", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cellflow-tls-"));
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=cellflow test CA");
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "1", "-extfile", "san.ext");
    const tlsPort = await freePort();
    const secret = "tls-Secr3t";
    const redis = await startRedis([
      "--tls-port", String(tlsPort), "--tls-cert-file", join(dir, "server.crt"), "--tls-key-file", join(dir, "server.key"),
      "--tls-ca-cert-file", join(dir, "ca.crt"), "--tls-auth-clients", "no", "--requirepass", secret,
    ]);
    running.push(redis);
    const url = `rediss://:${secret}@127.0.0.1:${tlsPort}`;
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: join(dir, "ca.crt") };
    const worker = await startWorker(["--module", cells, "--redis", url, "--queue", "tls"], env);
    running.push(worker);
    const script = fileURLToPath(new URL("./fixtures/exit-after-undeploy.ts", import.meta.url));
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm")).href;
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ["--import", tsx, script, url, "tls"], { env, timeout: 30_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : (error as { code?: number }).code ?? null, stdout, stderr }),
      );
    });
    expect(run).toEqual({ code: 0, stdout: "0 1 4 9 16\n", stderr: "" });
    expect(worker.output()).toContain("serving remote-square");
    expect(worker.output()).toContain("rediss://:***@127.0.0.1");
    expect(worker.output()).not.toContain(secret);
  }, 60_000);
});
