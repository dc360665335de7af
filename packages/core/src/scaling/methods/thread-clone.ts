import { Worker } from "node:worker_threads";
import { locateCell } from "../cell-registry.js";
import { registerCloneMethod, type CloneMethod } from "../clone-method.js";
import { ChannelClone, type Channel } from "../channel/channel-clone.js";
import type { CloneBootData } from "../channel/protocol.js";

const entry = new URL("../channel/entry.mjs", import.meta.url);

/** A clone in a worker thread: real parallelism for CPU-bound cells, values by structured clone or transfer. */
function openThread(boot: CloneBootData): Channel {
  const worker = new Worker(entry, { workerData: boot });
  return {
    send: (request, transfer) => worker.postMessage(request, transfer),
    listen(onReply, onExit) {
      worker.on("message", onReply);
      worker.on("error", (error) => onExit(`worker thread threw ${error.name}: ${error.message}`));
      worker.on("exit", (code) => onExit(`worker thread exited with code ${code}`));
    },
    async terminate() {
      worker.ref(); // an idle clone is unref'd: waiting for its end must keep Node alive
      await worker.terminate();
    },
    keepAlive(alive) {
      if (alive) worker.ref();
      else worker.unref();
    },
  };
}

export const threadCloneMethod: CloneMethod = {
  name: "thread",
  check: (cls) => void locateCell(cls, "thread"),
  create: (recipe) => new ChannelClone("thread", recipe, openThread),
};

registerCloneMethod(threadCloneMethod);
