/**
 * The seam between remote clones and the engine that carries their work. The remote
 * clone method and the worker only talk to these interfaces: BullMQ on Redis implements
 * them today (transport/bullmq.ts); Redis Streams or NATS JetStream could be added by
 * implementing them, without touching the queue logic.
 *
 * Everything that crosses is JSON-safe data (values go through encoding/json-values.ts).
 */
import type { ShippedEvents } from "@cellflow/core/clone-methods";

/** What a remote worker needs to build the clone: plain data, the cell named logically. */
export interface RemoteRecipe {
  /** The logical name the cell class is registered under (registerRemoteCells). */
  readonly cell: string;
  /** The code version the parent runs; a worker with another version refuses the batch. */
  readonly version: string;
  /** The scalable cell's inside: ports, links and skips (core's CloneShape, as data). */
  readonly shape: unknown;
  /** The template's parameter values and nested scaling (core's CloneSettings, encoded). */
  readonly settings: unknown;
}

/** One batch of queue slots, sent as one job: the items of one remote clone's window. */
export interface RemoteBatch {
  /** Unique per batch; a batch run again after a stall keeps its id. */
  readonly id: string;
  /** Where the results go (the parent's results channel). */
  readonly replyTo: string;
  readonly recipe: RemoteRecipe;
  /** Each item's input port values, encoded, with the item's ticket. */
  readonly items: ReadonlyArray<{ readonly ticket: number; readonly inputs: unknown }>;
  /** Someone listens to the engine's events at the parent: time the items and ship the worker's events back. */
  readonly observe?: boolean;
  /** And it times every cell run (a Recorder's `everyRun`): so do the worker's cells. */
  readonly everyRun?: boolean;
  /** The remote clone's lane in those events: the runs of its cells on the worker carry it. */
  readonly lane?: string;
}

/** One item's result, encoded: output port values, or the error (cellflow's serialized form). */
export interface RemoteResult {
  readonly batch: string;
  readonly ticket: number;
  readonly outputs?: unknown;
  readonly error?: unknown;
  /**
   * On the last result of each reply: milliseconds since the worker started running the
   * batch (what the parent sizes its batches by: the time items take on a worker, without
   * the time the batch waited in the queue).
   */
  readonly ms?: number;
  /** While observed (`RemoteBatch.observe`): when the item ran on the worker, `[start, end]` in epoch milliseconds. */
  readonly span?: readonly [number, number];
  /** While observed, on the last result of a reply: the engine's events on the worker for these items (epoch milliseconds). */
  readonly events?: ShippedEvents;
}

/** The parent's side: submit batches, hear results (by ticket; duplicates are possible). */
export interface ParentTransport {
  /** The channel results for this parent arrive on (`RemoteBatch.replyTo`). */
  readonly replyTo: string;
  submit(batch: RemoteBatch): Promise<void>;
  /** Calls `listener` for every result that arrives, at least once each (a re-run batch may repeat some). */
  onResults(listener: (results: readonly RemoteResult[]) => void): void;
  /**
   * Calls `listener` after the connection to the queue came back (a restarted server may
   * have lost the batches waiting there): the parent then submits its pending batches
   * again, which is harmless for those still queued (a batch id is queued once) and
   * re-runs those that were lost (their results are de-duplicated).
   */
  onReconnected(listener: () => void): void;
  /** How many workers serve the queue right now (0: batches wait until one comes). */
  workers(): Promise<number>;
  /** The queue's name, for messages. */
  readonly queue: string;
  /** Stops listening and closes every connection (pending batches are left to the workers or withdrawn). */
  close(): Promise<void>;
}

/** What a worker does with one batch: run its items, sending results as they are done. */
export type BatchHandler = (batch: RemoteBatch, reply: (results: readonly RemoteResult[]) => Promise<void>) => Promise<void>;

/** The worker's side: take batches from the queue and run them. */
export interface WorkerTransport {
  serve(handler: BatchHandler): Promise<void>;
  /** How many batches the worker holds at once from now on (those it runs and those it took ahead). */
  holdAtOnce?(batches: number): void;
  close(): Promise<void>;
}
