import { deserializeError, publishShipped, type CloneNotice, type ItemResult, type ItemSpan, type SerializedError } from "@cellflow/core/clone-methods";
import { decodeValue } from "../encoding/json-values.js";
import type { ParentTransport, RemoteBatch, RemoteResult } from "../transport/transport.js";

/** How long batches wait before the link looks whether any worker serves the queue. */
const NO_WORKER_CHECK_MS = 1000;

interface PendingBatch {
  readonly batch: RemoteBatch;
  readonly sentAt: number;
  readonly results: Array<ItemResult | undefined>;
  /** While observed: each item's span on its worker (epoch ms), by ticket. */
  readonly spans: Array<ItemSpan | undefined> | null;
  delivered: number;
  /** The worker's running time of the batch, as its replies said (RemoteResult.ms); undefined if none did. */
  ms: number | undefined;
  readonly onResults: (results: ItemResult[], spans?: readonly ItemSpan[]) => void;
  readonly resolve: (ms: number | undefined) => void;
}

/**
 * One parent transport shared by every remote clone of this process that sends to the
 * same queue, and the batches they wait for. Results may come twice (a batch run again
 * after its worker stalled) and in chunks: each item's first result counts, later ones
 * are dropped (de-duplicated by batch and ticket), and each batch's results go to its
 * clone in item order.
 */
export class ParentLink {
  readonly #transport: ParentTransport;
  readonly #pending = new Map<string, PendingBatch>();
  #users = 0;
  readonly #noticeListeners = new Set<(notice: CloneNotice) => void>();
  #watch: NodeJS.Timeout | null = null;
  /** Whether "no worker" was said for the current stretch without workers. */
  #toldNoWorker = false;
  #closed = false;
  #batches = 0;
  readonly #id: string;

  constructor(transport: ParentTransport, id: string) {
    this.#transport = transport;
    this.#id = id;
    transport.onResults((results) => this.#receive(results));
    transport.onReconnected(() => this.#resubmit());
  }

  get replyTo(): string {
    return this.#transport.replyTo;
  }

  /** A clone starts using the link. */
  acquire(): void {
    this.#users++;
  }

  /** Whether the last clone using the link stopped and closed it. */
  get closed(): boolean {
    return this.#closed;
  }

  /** A clone stopped; the last one closes the transport. */
  async release(): Promise<void> {
    this.#users--;
    if (this.#users > 0) return;
    this.#closed = true;
    if (this.#watch !== null) clearInterval(this.#watch);
    this.#watch = null;
    await this.#transport.close();
  }

  /**
   * Sends one batch; resolves once every item's result was handed to `onResults`, with the
   * milliseconds the batch ran on its worker (undefined if the worker did not say).
   */
  send(
    recipe: RemoteBatch["recipe"],
    inputs: readonly unknown[],
    onResults: (results: ItemResult[], spans?: readonly ItemSpan[]) => void,
    observe: { readonly lane: string; readonly everyRun: boolean } | null = null,
  ): Promise<number | undefined> {
    const id = `${this.#id}-${this.#batches++}`; // BullMQ job ids may not hold ":"
    return new Promise<number | undefined>((resolve, reject) => {
      const batch: RemoteBatch = {
        id,
        replyTo: this.#transport.replyTo,
        recipe,
        items: inputs.map((encoded, ticket) => ({ ticket, inputs: encoded })),
        ...(observe !== null ? { observe: true, lane: observe.lane, ...(observe.everyRun ? { everyRun: true } : {}) } : {}),
      };
      this.#pending.set(id, {
        batch,
        sentAt: Date.now(),
        results: new Array(inputs.length).fill(undefined),
        spans: observe !== null ? new Array(inputs.length).fill(undefined) : null,
        delivered: 0,
        ms: undefined,
        onResults,
        resolve,
      });
      this.#watchWorkers();
      this.#transport.submit(batch).catch((error: unknown) => {
        this.#pending.delete(id);
        reject(error);
      });
    });
  }

  /** Batches still waiting for results (undeploy withdraws them). */
  get waiting(): number {
    return this.#pending.size;
  }

  /** Listens for this link's notices (no worker serves the queue); returns the way to stop. */
  onNotice(listener: (notice: CloneNotice) => void): () => void {
    this.#noticeListeners.add(listener);
    return () => this.#noticeListeners.delete(listener);
  }

  /**
   * While batches wait, looks every second whether any worker serves the queue; once the
   * oldest batch has waited a second with none, says so (once, until a worker shows up).
   * The timer does not keep Node alive and stops when nothing waits.
   */
  #watchWorkers(): void {
    if (this.#watch !== null || this.#closed) return;
    this.#watch = setInterval(() => void this.#lookForWorkers(), NO_WORKER_CHECK_MS);
    this.#watch.unref();
  }

  async #lookForWorkers(): Promise<void> {
    if (this.#pending.size === 0 || this.#closed) {
      if (this.#watch !== null) clearInterval(this.#watch);
      this.#watch = null;
      return;
    }
    let workers: number;
    try {
      workers = await this.#transport.workers();
    } catch {
      return; // Redis away: nothing to tell yet
    }
    if (workers > 0) {
      this.#toldNoWorker = false;
      return;
    }
    const oldest = Math.min(...[...this.#pending.values()].map((p) => p.sentAt));
    if (this.#toldNoWorker || Date.now() - oldest < NO_WORKER_CHECK_MS) return;
    this.#toldNoWorker = true;
    const notice: CloneNotice = {
      kind: "noWorker",
      message: `no worker serves the queue "${this.#transport.queue}": ${this.#pending.size} batch(es) wait; start one with cellflow worker --module <cells> --queue ${this.#transport.queue}`,
    };
    for (const listener of this.#noticeListeners) listener(notice);
  }

  /** After a reconnect: every batch still waiting goes again (see ParentTransport.onReconnected). */
  #resubmit(): void {
    for (const pending of this.#pending.values()) this.#transport.submit(pending.batch).catch(() => undefined);
  }

  #receive(results: readonly RemoteResult[]): void {
    const touched = new Set<string>();
    for (const r of results) {
      const pending = this.#pending.get(r.batch);
      if (pending === undefined || r.ticket < 0 || r.ticket >= pending.results.length) continue; // done, or not ours
      if (pending.results[r.ticket] !== undefined) continue; // a re-run's duplicate
      // The worker's events for these items, before the items' own (as for thread clones).
      if (r.events !== undefined) publishShipped(r.events);
      if (pending.spans !== null && r.span !== undefined) pending.spans[r.ticket] = r.span;
      pending.results[r.ticket] =
        r.error !== undefined
          ? { error: deserializeError(r.error as SerializedError) }
          : { outputs: decodeValue(r.outputs) as Record<string, unknown> };
      if (typeof r.ms === "number") pending.ms = Math.max(pending.ms ?? 0, r.ms);
      touched.add(r.batch);
    }
    for (const id of touched) {
      const pending = this.#pending.get(id)!;
      const ready: ItemResult[] = [];
      const spans: ItemSpan[] = [];
      while (pending.delivered < pending.results.length && pending.results[pending.delivered] !== undefined) {
        const span = pending.spans?.[pending.delivered];
        if (span !== undefined) spans.push(span);
        ready.push(pending.results[pending.delivered++]!);
      }
      if (ready.length > 0) pending.onResults(ready, spans.length === ready.length ? spans : undefined);
      if (pending.delivered === pending.results.length) {
        this.#pending.delete(id);
        pending.resolve(pending.ms);
      }
    }
  }
}
