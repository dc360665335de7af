import { randomUUID } from "node:crypto";
import { Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { checkServer, connect, type RedisTarget } from "./redis-connection.js";
import type { BatchHandler, ParentTransport, RemoteBatch, RemoteResult, WorkerTransport } from "./transport.js";

/** Where and how: the Redis server, and the BullMQ queue the cell's batches go to. */
export interface BullmqTarget extends RedisTarget {
  readonly queue: string;
}

/** Worker settings that decide how fast a dead worker's batch runs again (see `bullmqWorker`). */
export interface BullmqWorkerSettings {
  /** Batches run at once by this worker (each in its own thread clone). Default 1. */
  readonly concurrency?: number;
  /**
   * Batches this worker takes ahead of those it runs, while its batches run short (under
   * 50 ms): each waits in the worker until a run ends, so the worker goes from one batch
   * to the next without a round trip to Redis in between. A worker whose batches run
   * longer takes none ahead (the round trip costs little there, and a slow worker would
   * hold items a free one could run). Default 1 (0: take a batch only when free).
   */
  readonly prefetch?: number;
  /** How long a batch's lock holds without renewal: a dead worker's batch runs again after about this. Default 1500 ms. */
  readonly lockDurationMs?: number;
  /** How often workers look for batches whose lock ran out. Default 300 ms. */
  readonly stalledIntervalMs?: number;
}

const RESULTS_FIELD = "r";
/** See `BullmqWorkerSettings.prefetch`. */
export const DEFAULT_PREFETCH = 1;

/** BullMQ's 'error' events while Redis is away: ioredis reconnects on its own, so nothing to do (and no URL to print). */
function ignoreConnectionError(): void {}
/** How long a results read blocks before looking again (and noticing `close`). */
const READ_BLOCK_MS = 250;

/**
 * The parent's side over BullMQ. Batches are jobs of the queue (job id = batch id, so a
 * batch is never queued twice); results come back on a Redis stream of this parent's
 * own (`replyTo`), written by the worker as items finish. A stream, not BullMQ's
 * QueueEvents: QueueEvents is trimmed and misses what happens while the parent is not
 * reading, while the stream keeps every result until the parent has read it (then the
 * parent deletes it).
 */
export function bullmqParent(target: BullmqTarget): ParentTransport {
  const connection = connect(target);
  const reader = connect(target);
  // BullMQ's own server check prints for every connection: ours warns once (checkServer).
  const queue = new Queue(target.queue, { connection, skipVersionCheck: true });
  const checking = checkServer(connection, target.redis);
  checking.catch(() => undefined); // reported by the first submit
  const replyTo = `cellflow:${target.queue}:results:${randomUUID()}`;
  const listeners: Array<(results: readonly RemoteResult[]) => void> = [];
  const reconnected: Array<() => void> = [];
  let readyOnce = false;
  connection.on("ready", () => {
    if (readyOnce) for (const listener of reconnected) listener();
    readyOnce = true;
  });
  queue.on("error", ignoreConnectionError); // ioredis reconnects; a lost batch is submitted again
  let closed = false;
  let lastId = "0-0";

  const reading = (async () => {
    while (!closed) {
      let reply: Array<[string, Array<[string, string[]]>]> | null;
      try {
        reply = (await reader.xread("BLOCK", READ_BLOCK_MS, "STREAMS", replyTo, lastId)) as typeof reply;
      } catch (error) {
        if (closed) return;
        await new Promise((resolve) => setTimeout(resolve, 100)); // Redis away: ioredis reconnects
        continue;
      }
      if (reply === null) continue;
      for (const [, entries] of reply) {
        const results: RemoteResult[] = [];
        for (const [id, fields] of entries) {
          lastId = id;
          const json = fields[fields.indexOf(RESULTS_FIELD) + 1];
          if (json !== undefined) results.push(...(JSON.parse(json) as RemoteResult[]));
        }
        if (entries.length > 0) await connection.xdel(replyTo, ...entries.map(([id]) => id)).catch(() => undefined);
        for (const listener of listeners) listener(results);
      }
    }
  })();

  return {
    replyTo,
    async submit(batch: RemoteBatch): Promise<void> {
      await checking;
      await queue.add("batch", batch, { jobId: batch.id, removeOnComplete: true, removeOnFail: true });
    },
    onResults(listener) {
      listeners.push(listener);
    },
    onReconnected(listener) {
      reconnected.push(listener);
    },
    queue: target.queue,
    workers: () => queue.getWorkersCount(),
    async close(): Promise<void> {
      closed = true;
      await reading;
      await connection.del(replyTo).catch(() => undefined);
      await queue.close();
      reader.disconnect();
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}

/**
 * A worker's side over BullMQ. BullMQ renews each running batch's lock from this
 * process's event loop, so the items themselves run elsewhere (the worker runs them in a
 * thread clone): a CPU-bound cell never blocks the renewals, which would make BullMQ
 * hand the batch to another worker while this one still runs it. Locks are short (1.5 s,
 * renewed every 0.75 s) and stalled batches looked for every 300 ms, so a batch of a
 * worker that died runs again within about 2 s (`pnpm bench recovery`; BullMQ's
 * defaults, 30 s, are made for long jobs). A renewal that comes late (an event loop
 * blocked for over a second) only makes a batch run twice: results are de-duplicated.
 */
export function bullmqWorker(target: BullmqTarget, settings: BullmqWorkerSettings = {}): WorkerTransport {
  const connection = connect(target);
  const replies = connect(target);
  let worker: Worker | null = null;
  return {
    async serve(handler: BatchHandler): Promise<void> {
      await checkServer(connection, target.redis);
      const reply = async (batch: RemoteBatch, results: readonly RemoteResult[]) => {
        await replies.xadd(batch.replyTo, "*", RESULTS_FIELD, JSON.stringify(results));
      };
      worker = new Worker(
        target.queue,
        async (job) => {
          const batch = job.data as RemoteBatch;
          await handler(batch, (results) => reply(batch, results));
        },
        {
          connection,
          concurrency: (settings.concurrency ?? 1) + (settings.prefetch ?? DEFAULT_PREFETCH),
          lockDuration: settings.lockDurationMs ?? 1500,
          stalledInterval: settings.stalledIntervalMs ?? 300,
          // A batch whose worker died runs again, however often: each result is delivered once anyway.
          maxStalledCount: Number.MAX_SAFE_INTEGER,
          skipVersionCheck: true, // checkServer did
        },
      );
      // A lost connection (Redis restarting) is retried by ioredis; BullMQ reports it here.
      worker.on("error", ignoreConnectionError);
      await worker.waitUntilReady();
    },
    holdAtOnce(batches: number): void {
      if (worker !== null && worker.concurrency !== batches) worker.concurrency = batches;
    },
    async close(): Promise<void> {
      await worker?.close();
      await replies.quit().catch(() => replies.disconnect());
      await connection.quit().catch(() => connection.disconnect());
    },
  };
}
