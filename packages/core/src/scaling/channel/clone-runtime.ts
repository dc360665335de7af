/**
 * The far side of a thread or process clone: receives requests from the parent,
 * rebuilds the inner cell from its module inside a CloneHost, and answers each request.
 * Loaded by entry.mjs in a worker thread or a child process.
 */
import { performance } from "node:perf_hooks";
import { parentPort } from "node:worker_threads";
import { findRegisteredCell } from "../cell-registry.js";
import { CloneHost } from "../clone-host.js";
import { enterClone } from "../clone-context.js";
import { applyParameters } from "../clone-settings.js";
import { CellNotLocatableError, DataCloneError } from "../../errors/runtime-errors.js";
import { serializeError } from "./errors-across.js";
import type { ItemResult } from "../clone-method.js";
import type { CloneReply, CloneRequest, SerializedError } from "./protocol.js";
import { transferablesOf, transferablesOfAll, uncloneableEntry } from "./transferables.js";
import { EventRecorderInClone, type ItemSpan } from "../../observe/shipping.js";

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
    // The parent ended without undeploying (or died): nobody is left to serve.
    const parentGone = () => process.exit(0);
    process.once("disconnect", parentGone);
    return {
      // Child processes use the "advanced" (structured clone) IPC serialization; nothing transfers.
      send: (reply) => void process.send!(reply, undefined, undefined, (error) => error !== null && replyFailed(error, parentGone)),
      onRequest: (handler) => process.on("message", (m) => handler(m as CloneRequest)),
    };
  }
  throw new Error("clone-runtime must run in a worker thread or a forked child process");
}

/**
 * A reply the channel could not write. A clone busy with an item when its parent dies
 * (killed, or ended by a signal) learns of it only when it replies: the write fails with
 * EPIPE (or the channel is already closed), before "disconnect" comes. Nobody is left to
 * serve, so end quietly, as on "disconnect"; without the callback, Node would raise an
 * unhandled 'error' event and print it. Any other failure is a real one: raised as before.
 */
function replyFailed(error: Error, parentGone: () => void): void {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EPIPE" || code === "ECONNRESET" || code === "ERR_IPC_CHANNEL_CLOSED") return parentGone();
  throw error;
}

enterClone(); // before any cell module is imported: see clone-context.ts
let host: CloneHost | null = null;
let transfer = false;
const port = currentPort();
/** Records this thread's events while the parent listens (its run requests say `observe`). */
const recorder = new EventRecorderInClone();

/**
 * How long finished results of a batch may wait for the rest of it. A batch is sized to
 * take about 2 ms; when one runs longer (an item is slow, or waits), what is done goes
 * back at once in a partial reply, so a slow item never holds back the ones before it.
 */
const PARTIAL_REPLY_MS = 5;

/** Runs a batch's items one after the other; each succeeds or fails on its own. */
async function runBatch(request: Extract<CloneRequest, { op: "runBatch" }>): Promise<void> {
  let done: ItemResult<SerializedError>[] = [];
  // While observed, each item's [start, end] (epoch ms), shipped with its result.
  let spans: ItemSpan[] | undefined = request.observe === true ? [] : undefined;
  let since = performance.now();
  const flush = (partial: boolean) => {
    replyBatch(request, done, partial, spans);
    done = [];
    if (spans !== undefined) spans = [];
    since = performance.now();
  };
  // Fires while an item waits (timers, I/O); items that hold the thread are caught between items below.
  let timer = setTimeout(function flushWhileWaiting() {
    if (done.length > 0) flush(true);
    timer = setTimeout(flushWhileWaiting, PARTIAL_REPLY_MS);
  }, PARTIAL_REPLY_MS);
  try {
    for (const inputs of request.items) {
      if (done.length > 0 && performance.now() - since >= PARTIAL_REPLY_MS) flush(true);
      const start = spans === undefined ? 0 : performance.timeOrigin + performance.now();
      // The result first, then the push: `done.push(await …)` would read `done` before the
      // await, and a partial reply sent meanwhile (which starts a new `done`) would lose it.
      let result: ItemResult<SerializedError>;
      try {
        result = { outputs: await host!.run(inputs) };
      } catch (error) {
        result = { error: serializeError(error) };
      }
      done.push(result);
      spans?.push([start, performance.timeOrigin + performance.now()]);
    }
  } finally {
    clearTimeout(timer);
  }
  flush(false);
}

function replyBatch(request: CloneRequest, results: ItemResult<SerializedError>[], partial: boolean, spans: ItemSpan[] | undefined): void {
  const values = results.flatMap((r) => ("outputs" in r ? [r.outputs] : []));
  const observed = observedPart(spans);
  try {
    port.send({ id: request.id, ok: true, results, ...(partial ? { partial } : {}), ...observed }, transfer ? transferablesOfAll(values) : []);
  } catch (error) {
    // Some output cannot cross: fail just those items, naming the port, and send the rest.
    const checked = results.map((r): ItemResult<SerializedError> => {
      if ("error" in r) return r;
      const bad = uncloneableEntry(r.outputs);
      return bad === undefined ? r : { error: serializeError(uncloneableOutput(bad, (error as Error).message)) };
    });
    const kept = checked.flatMap((r) => ("outputs" in r ? [r.outputs] : []));
    port.send({ id: request.id, ok: true, results: checked, ...(partial ? { partial } : {}), ...observed }, transfer ? transferablesOfAll(kept) : []);
  }
}

/** What a reply carries while the parent observes: item spans, and the events recorded since the last reply. */
function observedPart(spans?: ItemSpan[]): { spans?: ItemSpan[]; events?: NonNullable<ReturnType<EventRecorderInClone["take"]>> } {
  if (!recorder.isRecording && spans === undefined) return {};
  const events = recorder.take();
  return { ...(spans !== undefined ? { spans } : {}), ...(events !== undefined ? { events } : {}) };
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
      host = CloneHost.build(request.shape, cls, request.settings, request.lane);
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
  if (value === undefined) return port.send({ id: request.id, ok: true, ...observedPart() }, []);
  try {
    port.send({ id: request.id, ok: true, value, ...observedPart() }, transfer ? transferablesOf(value) : []);
  } catch (error) {
    const failure = uncloneableOutput(uncloneableEntry(value) ?? "?", (error as Error).message);
    port.send({ id: request.id, ok: false, error: serializeError(failure) }, []);
  }
}

/**
 * Items run strictly in the order their requests came: a request to run sent while
 * another runs (a remote worker sends the batch it took ahead before the one it runs has
 * ended, so the thread goes on to it without waiting for the worker) starts when the
 * one before it has ended. Other requests are answered as they come.
 */
let runs: Promise<void> = Promise.resolve();

function fail(request: CloneRequest, error: unknown): void {
  port.send({ id: request.id, ok: false, error: serializeError(error) }, []);
}

/** Runs `step` after the runs before it; a step that throws still lets the next ones run (and is raised as before). */
function afterRuns(step: () => Promise<void>): void {
  runs = runs.then(step).catch((error: unknown) => {
    process.nextTick(() => {
      throw error; // uncaught, as the rejection was before the runs were chained
    });
  });
}

port.onRequest((request) => {
  if (request.op === "run" || request.op === "runBatch") recorder.setRecording(request.observe === true, request.everyRun === true);
  if (request.op === "runBatch") {
    // Only a reply that cannot be sent at all ends up in `fail`: what is left of the batch fails.
    afterRuns(() => runBatch(request).catch((error: unknown) => fail(request, error)));
    return;
  }
  const answer = () =>
    handle(request).then(
      (value) => reply(request, value),
      (error: unknown) => fail(request, error),
    );
  if (request.op === "run") afterRuns(answer);
  else void answer();
});
