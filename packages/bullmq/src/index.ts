/**
 * Remote clones for cellflow: a scalable cell's clones on other machines, through BullMQ
 * on Redis. The pipeline side: `scaleUp(n, remote({ redis, queue }))`; the cells' module:
 * `registerRemoteCells(import.meta.url, { name: Cell })`; the workers:
 * `cellflow worker --module <file> --redis <url> --queue <name>` (or `serveRemoteCells`).
 *
 * @module @cellflow/bullmq
 */
export { remote, type RemoteOptions } from "./remote/remote-method.js";
export { registerRemoteCells, RemoteCellNameError } from "./cells/remote-cells.js";
export { serveRemoteCells, type ServeOptions, type RemoteWorker } from "./worker/serve.js";
export { encodeValue, decodeValue, UnencodableValueError } from "./encoding/json-values.js";
export type { ParentTransport, WorkerTransport, RemoteBatch, RemoteResult, RemoteRecipe, BatchHandler } from "./transport/transport.js";
