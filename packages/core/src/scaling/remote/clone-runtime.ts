/**
 * The far side of a thread or process clone: receives requests from the parent,
 * rebuilds the inner cell from its module inside a CloneHost, and answers each request.
 * Loaded by entry.mjs in a worker thread or a child process.
 */
import { parentPort } from "node:worker_threads";
import { findRegisteredCell } from "../cell-registry.js";
import { CloneHost } from "../clone-host.js";
import { applyParameters } from "../clone-settings.js";
import { CellNotLocatableError, DataCloneError } from "../../errors/runtime-errors.js";
import { serializeError } from "./errors-across.js";
import type { BatchItemReply, CloneReply, CloneRequest } from "./protocol.js";
import { transferablesOf, transferablesOfAll, uncloneableEntry } from "./transferables.js";

interface Port {
  send(reply: CloneReply, transfer: ArrayBuffer[]): void;
  onRequest(handler: (request: CloneRequest) => void): void;
}

function currentPort(): Port {
  if (parentPort !== null) {
    const port = parentPort;
    return {
      send: (reply, transfer) => port.postMessage(reply, transfer),
      onRequest: (handler) => port.on("message", handler),
    };
  }
  if (process.send !== undefined) {
    return {
      // Child processes use the "advanced" (structured clone) IPC serialization; nothing transfers.
      send: (reply) => process.send!(reply),
      onRequest: (handler) => process.on("message", (m) => handler(m as CloneRequest)),
    };
  }
  throw new Error("clone-runtime must run in a worker thread or a forked child process");
}

let host: CloneHost | null = null;
let transfer = false;
const port = currentPort();

/** Runs a batch's items one after the other; each succeeds or fails on its own. */
async function runBatch(items: readonly Record<string, unknown>[]): Promise<BatchItemReply[]> {
  const results: BatchItemReply[] = [];
  for (const inputs of items) {
    try {
      results.push({ ok: true, value: await host!.run(inputs) });
    } catch (error) {
      results.push({ ok: false, error: serializeError(error) });
    }
  }
  return results;
}

function replyBatch(request: CloneRequest, results: BatchItemReply[]): void {
  const values = results.flatMap((r) => (r.ok ? [r.value] : []));
  try {
    port.send({ id: request.id, ok: true, results }, transfer ? transferablesOfAll(values) : []);
  } catch (error) {
    // Some output cannot cross: fail just those items, naming the port, and send the rest.
    const checked = results.map((r): BatchItemReply => {
      if (!r.ok) return r;
      const bad = uncloneableEntry(r.value);
      return bad === undefined ? r : { ok: false, error: serializeError(uncloneableOutput(bad, (error as Error).message)) };
    });
    const kept = checked.flatMap((r) => (r.ok ? [r.value] : []));
    port.send({ id: request.id, ok: true, results: checked }, transfer ? transferablesOfAll(kept) : []);
  }
}

function uncloneableOutput(port: string, message: string): DataCloneError {
  return new DataCloneError(
    `The value of output port "${port}" of a clone of "${host?.path ?? "?"}" cannot be sent to the parent: ${message}`,
  );
}

async function handle(request: CloneRequest): Promise<Record<string, unknown> | undefined> {
  switch (request.op) {
    case "deploy": {
      await import(request.cell.moduleUrl);
      const cls = findRegisteredCell(request.cell);
      if (cls === undefined) {
        throw new CellNotLocatableError(
          `Module ${request.cell.moduleUrl} did not register ${request.cell.className}: ` +
            `add registerCells(import.meta.url, ${request.cell.className}) to it.`,
        );
      }
      transfer = request.transfer;
      host = CloneHost.build(request.shape, cls, request.settings);
      await host.deploy();
      return undefined;
    }
    case "run":
      return host!.run(request.inputs);
    case "runBatch":
      return undefined; // answered by replyBatch
    case "parameters":
      applyParameters(host!.clone, request.parameters);
      return undefined;
    case "reset":
      await host!.reset();
      return undefined;
    case "undeploy":
      if (host?.isDeployed) await host.undeploy();
      host = null;
      return undefined;
  }
}

function reply(request: CloneRequest, value: Record<string, unknown> | undefined): void {
  if (value === undefined) return port.send({ id: request.id, ok: true }, []);
  try {
    port.send({ id: request.id, ok: true, value }, transfer ? transferablesOf(value) : []);
  } catch (error) {
    const failure = uncloneableOutput(uncloneableEntry(value) ?? "?", (error as Error).message);
    port.send({ id: request.id, ok: false, error: serializeError(failure) }, []);
  }
}

port.onRequest((request) => {
  if (request.op === "runBatch") {
    runBatch(request.items).then((results) => replyBatch(request, results));
    return;
  }
  handle(request).then(
    (value) => reply(request, value),
    (error: unknown) => port.send({ id: request.id, ok: false, error: serializeError(error) }, []),
  );
});
