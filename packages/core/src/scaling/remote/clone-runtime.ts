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
import type { CloneReply, CloneRequest } from "./protocol.js";
import { transferablesOf, uncloneableEntry } from "./transferables.js";

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
    const bad = uncloneableEntry(value);
    const failure = new DataCloneError(
      `The value of output port "${bad ?? "?"}" of a clone of "${host?.path ?? "?"}" cannot be sent to the parent: ` +
        (error as Error).message,
    );
    port.send({ id: request.id, ok: false, error: serializeError(failure) }, []);
  }
}

port.onRequest((request) => {
  handle(request).then(
    (value) => reply(request, value),
    (error: unknown) => port.send({ id: request.id, ok: false, error: serializeError(error) }, []),
  );
});
