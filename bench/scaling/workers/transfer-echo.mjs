// Raw baseline of the `transfer` suite: touch one element of the Float64Array and send
// it back, transferring its buffer when the request asks for it (no engine involved).
import { parentPort } from "node:worker_threads";

parentPort.on("message", ({ array, transfer }) => {
  array[0] += 1;
  parentPort.postMessage(array, transfer ? [array.buffer] : []);
});
