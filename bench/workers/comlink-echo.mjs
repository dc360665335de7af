// The clone-side of the `channel` suite, over comlink: one exposed `run` method.
import { parentPort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";

Comlink.expose({ run: (inputs) => ({ output: inputs.input + 1 }) }, nodeEndpoint(parentPort));
