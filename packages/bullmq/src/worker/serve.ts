import { createClone, serializeError, type CloneHandle, type CloneSettings, type ItemResult } from "@cellflow/core/clone-methods";
import type { CloneShape } from "@cellflow/core/clone-methods";
import { remoteCellNamed, remoteCellNames } from "../cells/remote-cells.js";
import { decodeValue, encodeValue } from "../encoding/json-values.js";
import { bullmqWorker, type BullmqTarget, type BullmqWorkerSettings } from "../transport/bullmq.js";
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

  await transport.serve(async (batch, reply) => {
    const refusal = refusalOf(batch, version);
    if (refusal !== null) {
      await reply(batch.items.map((item) => ({ batch: batch.id, ticket: item.ticket, error: serializeError(refusal) })));
      return;
    }
    const key = JSON.stringify([batch.recipe.cell, batch.recipe.shape, batch.recipe.settings]);
    const clone = await take(key, batch);
    const tickets = batch.items.map((item) => item.ticket);
    let next = 0;
    const sends: Promise<void>[] = [];
    const send = (results: ItemResult[]) => {
      const encoded: RemoteResult[] = results.map((result) => {
        const ticket = tickets[next++]!;
        return "error" in result
          ? { batch: batch.id, ticket, error: serializeError(result.error) }
          : { batch: batch.id, ticket, outputs: encodeValue(result.outputs, "an item's outputs") };
      });
      sends.push(reply(encoded));
    };
    try {
      const inputs = batch.items.map((item) => decodeValue(item.inputs) as Record<string, unknown>);
      if (clone.runBatch !== undefined) await clone.runBatch(inputs, send);
      else for (const input of inputs) send([await clone.run(input).then((outputs) => ({ outputs }), (error: unknown) => ({ error }))]);
    } catch (error) {
      // The thread clone died: the items it did not finish fail with why; the clone is gone.
      send(tickets.slice(next).map(() => ({ error })));
      await Promise.all(sends);
      await clone.undeploy().catch(() => undefined);
      return;
    }
    await Promise.all(sends);
    await giveBack(key, clone);
  });

  return {
    async close() {
      await transport.close();
      for (const pool of idle.values()) for (const clone of pool) await clone.undeploy().catch(() => undefined);
      idle.clear();
    },
  };
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
