import {
  createClone,
  serializeError,
  type CloneHandle,
  type CloneSettings,
  type ItemResult,
  type ItemSpan,
  type ShippedEvents,
} from "@cellflow/core/clone-methods";
import type { CloneShape } from "@cellflow/core/clone-methods";
import { remoteCellNamed, remoteCellNames } from "../cells/remote-cells.js";
import { decodeValue, encodeValue } from "../encoding/json-values.js";
import { bullmqWorker, DEFAULT_PREFETCH, type BullmqTarget, type BullmqWorkerSettings } from "../transport/bullmq.js";
import type { RemoteBatch, RemoteResult, WorkerTransport } from "../transport/transport.js";

/** A worker process's settings: where to take batches from, and how. */
export interface ServeOptions extends BullmqTarget, BullmqWorkerSettings {
  /** The code version this worker runs; batches of another version are refused. Default "1". */
  readonly version?: string;
}

/** A running worker: `close()` finishes the batches in progress, then stops. */
export interface RemoteWorker {
  close(): Promise<void>;
}

/** A worker takes batches ahead while its batches run shorter than this (see `BullmqWorkerSettings.prefetch`). */
const PREFETCH_BELOW_MS = 50;

/** Thread clones kept per recipe (a cell with its shape and parameters), at most this many idle. */
const MAX_IDLE_CLONES = 8;

/**
 * Serves the cells registered with `registerRemoteCells` in this process: takes batches
 * from the queue and runs each in a thread clone of its cell (made once per recipe and
 * kept), so the event loop that renews the batches' locks stays free. Results go back as
 * each chunk of items is done. A batch of a cell this process does not know, or of
 * another code version, gets an error for each item, which the parent reports at the
 * pull of that item.
 */
export async function serveRemoteCells(options: ServeOptions): Promise<RemoteWorker> {
  const version = options.version ?? "1";
  const idle = new Map<string, CloneHandle[]>();
  let idleCount = 0;
  const transport: WorkerTransport = bullmqWorker(options, options);

  async function take(key: string, batch: RemoteBatch): Promise<CloneHandle> {
    const pool = idle.get(key);
    const reused = pool?.pop();
    if (reused !== undefined) {
      idleCount--;
      return reused;
    }
    const innerClass = remoteCellNamed(batch.recipe.cell)!;
    const clone = createClone("thread", {
      shape: batch.recipe.shape as CloneShape,
      innerClass,
      settings: decodeValue(batch.recipe.settings) as CloneSettings,
      transfer: false,
    });
    await clone.deploy();
    return clone;
  }

  async function giveBack(key: string, clone: CloneHandle): Promise<void> {
    if (idleCount >= MAX_IDLE_CLONES) {
      await clone.undeploy();
      return;
    }
    const pool = idle.get(key) ?? [];
    pool.push(clone);
    idle.set(key, pool);
    idleCount++;
  }

  const runs = Math.max(1, options.concurrency ?? 1);
  const lanes: Lane[] = Array.from({ length: runs }, () => new Lane(take, giveBack));
  const prefetch = options.prefetch ?? DEFAULT_PREFETCH;
  /** Takes batches ahead only while they run short (`BullmqWorkerSettings.prefetch`). */
  const ranFor = (ms: number) => transport.holdAtOnce?.(runs + (ms < PREFETCH_BELOW_MS ? prefetch : 0));

  await transport.serve(async (batch, reply) => {
    const refusal = refusalOf(batch, version);
    if (refusal !== null) {
      await reply(batch.items.map((item) => ({ batch: batch.id, ticket: item.ticket, error: serializeError(refusal) })));
      return;
    }
    const key = JSON.stringify([batch.recipe.cell, batch.recipe.shape, batch.recipe.settings]);
    const lane = laneFor(lanes, key);
    const clone = await lane.enter(key, batch);
    const tickets = batch.items.map((item) => item.ticket);
    let next = 0;
    const sends: Promise<void>[] = [];
    let started = performance.now();
    const send = (results: ItemResult[], spans?: readonly ItemSpan[], events?: ShippedEvents) => {
      const encoded: RemoteResult[] = results.map((result, i) => {
        const ticket = tickets[next++]!;
        const span = spans?.[i];
        const timed = span === undefined ? {} : { span };
        return "error" in result
          ? { batch: batch.id, ticket, error: serializeError(result.error), ...timed }
          : { batch: batch.id, ticket, outputs: encodeValue(result.outputs, "an item's outputs"), ...timed };
      });
      // How long the batch has run here: the parent sizes its batches by this (RemoteResult.ms).
      const last = encoded.length - 1;
      if (last >= 0) {
        const shipped = events === undefined ? {} : { events: onLane(events, batch.lane ?? "remote") };
        encoded[last] = { ...encoded[last]!, ms: performance.now() - started, ...shipped };
      }
      sends.push(reply(encoded));
    };
    let dead = false;
    try {
      const inputs = batch.items.map((item) => decodeValue(item.inputs) as Record<string, unknown>);
      // A batch taken ahead goes to the thread at once and runs there when the one before it ends.
      // Observed at the parent: the thread clone times the items and hands its events over with the results.
      const options = batch.observe === true ? { observe: true, everyRun: batch.everyRun === true } : {};
      const running = clone.runBatch !== undefined ? clone.runBatch(inputs, send, options) : runOneByOne(clone, inputs, send);
      await lane.started(running);
      started = performance.now();
      await running;
      ranFor(performance.now() - started);
    } catch (error) {
      // The thread clone died: the items it did not finish fail with why; the clone is gone.
      dead = true;
      send(tickets.slice(next).map(() => ({ error })));
    } finally {
      await lane.leave(clone, dead);
      // The batch completes (and leaves the queue) only once every result is written.
      await Promise.all(sends);
    }
  });

  return {
    async close() {
      await transport.close();
      for (const lane of lanes) await lane.close();
      for (const pool of idle.values()) for (const clone of pool) await clone.undeploy().catch(() => undefined);
      idle.clear();
    },
  };
}

/**
 * The thread clone's events as the parent's: its cells ran on the remote clone's lane
 * (a clone of a scalable cell nested in it, on a lane after that one). Several workers
 * may run batches of one remote clone at once; a trace spreads overlapping runs of a
 * lane over rows.
 */
function onLane(events: ShippedEvents, lane: string): ShippedEvents {
  const moved = (own: string) => (own === "main" ? lane : `${lane}/${own}`);
  return {
    ...events,
    ...(events.cellRuns !== undefined ? { cellRuns: events.cellRuns.map((e) => ({ ...e, lane: moved(e.lane) })) } : {}),
    ...(events.cloneItems !== undefined ? { cloneItems: events.cloneItems.map((e) => ({ ...e, lane: moved(e.lane) })) } : {}),
  };
}

async function runOneByOne(clone: CloneHandle, inputs: Record<string, unknown>[], send: (results: ItemResult[]) => void): Promise<void> {
  for (const input of inputs) send([await clone.run(input).then((outputs) => ({ outputs }), (error: unknown) => ({ error }))]);
}

/**
 * One of the worker's `concurrency` runs at a time: a thread clone, and the batches sent
 * to it. A batch taken ahead (`prefetch`) of the same recipe goes to the lane's clone
 * while the one before it still runs (the clone runs them strictly one after the other),
 * so the thread goes on to the next batch without waiting for a round trip to the worker's
 * event loop. A batch of another recipe waits until the lane is free, then swaps clones.
 */
class Lane {
  key: string | null = null;
  #clone: Promise<CloneHandle> | null = null;
  /** Batches entered and not left. */
  jobs = 0;
  /** Batches whose run has not started yet on the thread (the first of them runs next). */
  #queued: Promise<unknown> = Promise.resolve();
  readonly #free: Array<() => void> = [];

  constructor(
    private readonly take: (key: string, batch: RemoteBatch) => Promise<CloneHandle>,
    private readonly giveBack: (key: string, clone: CloneHandle) => Promise<void>,
  ) {}

  /** The lane's clone for `key`, once the lane has one (after its other batches, for another recipe). */
  async enter(key: string, batch: RemoteBatch): Promise<CloneHandle> {
    while (this.key !== key && this.jobs > 0) await new Promise<void>((resolve) => this.#free.push(resolve));
    this.jobs++;
    if (this.key !== key || this.#clone === null) {
      const old = this.#clone;
      const oldKey = this.key;
      this.key = key;
      this.#clone = (async () => {
        const previous = old === null ? null : await old.catch(() => null);
        if (previous !== null && oldKey !== null) await this.giveBack(oldKey, previous);
        return this.take(key, batch);
      })();
    }
    try {
      return await this.#clone;
    } catch (error) {
      this.#forget();
      this.#leaveCount();
      throw error;
    }
  }

  /** Resolves once the batches sent before this one ended, so `started` times this batch's own run. */
  async started(running: Promise<unknown>): Promise<void> {
    const before = this.#queued;
    this.#queued = running.catch(() => undefined);
    await before;
  }

  async leave(clone: CloneHandle, dead: boolean): Promise<void> {
    if (dead && this.#clone !== null && (await this.#clone.catch(() => null)) === clone) {
      this.#forget();
      await clone.undeploy().catch(() => undefined);
    }
    this.#leaveCount();
  }

  async close(): Promise<void> {
    const clone = this.#clone === null ? null : await this.#clone.catch(() => null);
    this.#forget();
    await clone?.undeploy().catch(() => undefined);
  }

  #forget(): void {
    this.key = null;
    this.#clone = null;
  }

  #leaveCount(): void {
    this.jobs--;
    if (this.jobs === 0) for (const wake of this.#free.splice(0)) wake();
  }
}

/** The lane for a batch of `key`: a free one holding its clone, else any free one, else the least busy of its recipe, else the least busy. */
function laneFor(lanes: readonly Lane[], key: string): Lane {
  const score = (lane: Lane) => (lane.jobs === 0 ? (lane.key === key ? 0 : 1) : lane.key === key ? 2 + lane.jobs : 1000 + lane.jobs);
  let best = lanes[0]!;
  for (const lane of lanes) if (score(lane) < score(best)) best = lane;
  return best;
}

/** Why this worker refuses `batch` (another version, an unknown cell), or null. */
function refusalOf(batch: RemoteBatch, version: string): Error | null {
  if (batch.recipe.version !== version) {
    return named(
      "RemoteVersionError",
      `The worker runs code version "${version}", the pipeline "${batch.recipe.version}": start workers of the same version.`,
    );
  }
  if (remoteCellNamed(batch.recipe.cell) === undefined) {
    return named(
      "RemoteCellNotFoundError",
      `The worker's module registers no cell named "${batch.recipe.cell}" (it has: ${remoteCellNames().join(", ") || "none"}).`,
    );
  }
  return null;
}

function named(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}
