import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { locateCell } from "../cell-registry.js";
import { registerCloneMethod, type CloneMethod } from "../clone-method.js";
import { ChannelClone, type Channel } from "../channel/channel-clone.js";
import type { CloneBootData } from "../channel/protocol.js";

const entry = fileURLToPath(new URL("../channel/entry.mjs", import.meta.url));

/** A clone in a child process: isolation (its own heap, crashes stay there) at the cost of copying values. */
function openProcess(boot: CloneBootData): Channel {
  const child = fork(entry, [], {
    serialization: "advanced", // structured clone over IPC: typed arrays, Maps, Dates survive
    env: { ...process.env, CELLFLOW_CLONE_BOOT: JSON.stringify(boot) },
    execArgv: [],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const exited: Promise<void> = new Promise((resolve) => child.once("exit", () => resolve()));
  return {
    send: (request) => child.send(request),
    listen(onReply, onExit) {
      child.on("message", (m) => onReply(m as never));
      child.on("error", (error) => onExit(`child process error: ${error.message}`));
      child.on("exit", (code, signal) => onExit(`child process exited (${signal ?? `code ${code}`})`));
    },
    async terminate() {
      child.ref(); // an idle clone is unref'd: waiting for its end must keep Node alive
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
    keepAlive(alive) {
      // The process handle and its IPC channel each keep the loop alive.
      if (alive) {
        child.ref();
        child.channel?.ref();
      } else {
        child.unref();
        child.channel?.unref();
      }
    },
  };
}

export const processCloneMethod: CloneMethod = {
  name: "process",
  check: (cls) => void locateCell(cls, "process"),
  create: (recipe) => new ChannelClone("process", recipe, openProcess),
};

registerCloneMethod(processCloneMethod);
