// The clone-side of the `channel` suite, with the engine's message shape: {id, op, inputs} -> {id, ok, value}.
import { parentPort } from "node:worker_threads";

parentPort.on("message", (request) => {
  parentPort.postMessage({ id: request.id, ok: true, value: { output: request.inputs.input + 1 } });
});
