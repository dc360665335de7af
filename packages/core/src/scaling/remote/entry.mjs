// Boot file of a thread or process clone. Plain JavaScript, so it loads before any
// TypeScript support: it registers tsx when the cells are TypeScript sources, then
// loads the clone runtime, which answers the parent's requests.
import { workerData } from "node:worker_threads";

const boot = workerData ?? JSON.parse(process.env.CELLFLOW_CLONE_BOOT ?? "null");
if (boot === null) throw new Error("cellflow clone entry started without boot data");
if (boot.useTsx) {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(boot.runtimeUrl);
// Request 0 means "ready": a child process drops IPC messages sent before it listens.
const { parentPort } = await import("node:worker_threads");
if (parentPort !== null) parentPort.postMessage({ id: 0, ok: true });
else process.send({ id: 0, ok: true });
