import { CloneCrashedError, DataCloneError } from "../../errors/runtime-errors.js";
import { locateCell } from "../cell-registry.js";
import type { CloneHandle, CloneRecipe, ItemResult, RunBatchOptions } from "../clone-method.js";
import type { ParameterValue } from "../clone-settings.js";
import { deserializeError } from "./errors-across.js";
import type { CloneBootData, CloneReply, CloneRequest } from "./protocol.js";
import { transferablesOf, transferablesOfAll, uncloneableEntry } from "./transferables.js";
import { observingAny, publishShipped, type ItemSpan, type ShippedEvents } from "../../observe/shipping.js";
import { timingEveryRun } from "../../observe/run-timing.js";

/** A live link to a clone's thread or process: the part that differs between the two. */
export interface Channel {
  send(request: CloneRequest, transfer: ArrayBuffer[]): void;
  /** Called with every reply, and once with a description if the thread or process dies. */
  listen(onReply: (reply: CloneReply) => void, onExit: (detail: string) => void): void;
  /** Ends the thread or process for good. */
  terminate(): Promise<void>;
  /**
   * Whether the thread or process keeps the parent's event loop alive. Only while a
   * request is out: an idle clone must not keep Node running when a script ends without
   * `undeploy()` (a pending pull still does, through its request).
   */
  keepAlive(alive: boolean): void;
}

export type OpenChannel = (boot: CloneBootData) => Channel;

type RequestBody = CloneRequest extends infer R ? (R extends unknown ? Omit<R, "id"> : never) : never;
type OkReply = Extract<CloneReply, { ok: true }>;

/** How long undeploy waits for the clone's own `onUndeploy`s before terminating it anyway. */
const UNDEPLOY_REPLY_MS = 2000;

const runtimeUrl = new URL("./clone-runtime" + extname(import.meta.url), import.meta.url).href;

/**
 * A clone in another thread or process, driven by request/reply messages. Every request
 * carries an id; a crash rejects whatever is in flight with CloneCrashedError so the
 * manager can run the item again elsewhere.
 *
 * Why not comlink: a clone call is one request and one reply from a fixed set of
 * operations, which typed messages express directly. Measured side by side
 * (`pnpm bench channel`, 2-core EPYC, Node 20): typed messages 44.8k round trips/s vs
 * comlink 33.9k with one call in flight (1.32×), 142k vs 49.9k with 16 in flight
 * (2.79×): comlink's proxy wraps every call and message in more objects and promises.
 *
 * Batches (`runBatch`): the manager sends every item it claimed while the previous
 * message was out as one "runBatch" request, answered by one reply; the clone runs the
 * items one after the other, each succeeding or failing on its own. For tiny items the
 * message, not the item, is the cost: `pnpm bench tiny` (x+1 through 2 thread clones)
 * went from 26k items/s with one item per message to 178k–260k batched (CloneManager has the
 * figures and the window policy).
 */
export class ChannelClone implements CloneHandle {
  private channel: Channel | null = null;
  private nextId = 1;
  private readonly pending = new Map<
    number,
    {
      resolve: (reply: OkReply) => void;
      reject: (e: unknown) => void;
      partial?: (reply: OkReply) => void;
      /** The caller takes the events shipped with this request's replies (RunBatchOptions.observe). */
      keepsEvents?: boolean;
    }
  >();
  private deadReason: string | null = null;
  private ready: Promise<void> | null = null;
  private crashListener: ((error: CloneCrashedError) => void) | null = null;
  /** Undeployed or killed on purpose: its end is no crash. */
  private closing = false;

  constructor(
    readonly method: string,
    private readonly recipe: CloneRecipe,
    private readonly open: OpenChannel,
  ) {}

  private get transfer(): boolean {
    return this.recipe.transfer;
  }

  async deploy(): Promise<void> {
    const cell = locateCell(this.recipe.innerClass, this.method);
    const channel = this.open({ runtimeUrl, cellModuleUrl: cell.moduleUrl, useTsx: usesTypeScript(cell.moduleUrl) });
    this.channel = channel;
    // A crash before the boot reply also settles it (died() rejects every pending request).
    this.ready = new Promise<void>((resolve, reject) => this.pending.set(0, { resolve: () => resolve(), reject }));
    channel.listen(
      (reply) => this.settle(reply),
      (detail) => this.died(detail),
    );
    try {
      await this.ready;
    } catch (error) {
      // The clone could not start (e.g. tsx missing for TypeScript cells): end it now, with that error.
      await this.kill();
      throw error;
    }
    await this.request({
      op: "deploy",
      cell,
      shape: this.recipe.shape,
      settings: this.recipe.settings,
      transfer: this.transfer,
      ...(this.recipe.lane !== undefined ? { lane: this.recipe.lane } : {}),
    });
  }

  async run(inputs: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    const request = observingAny() ? { op: "run" as const, inputs: { ...inputs }, ...observing(false) } : { op: "run" as const, inputs: { ...inputs } };
    return (await this.request(request, this.transfer ? transferablesOf(inputs) : [])).value ?? {};
  }

  async runBatch(
    inputs: readonly Readonly<Record<string, unknown>>[],
    onResults: (results: ItemResult[], spans?: readonly ItemSpan[], events?: ShippedEvents) => void,
    options: RunBatchOptions = {},
  ): Promise<void> {
    const items = inputs.map((values) => ({ ...values }));
    const keepsEvents = options.observe === true;
    // Outputs arrive as they are; only an error needs rebuilding.
    const hand = (reply: OkReply) =>
      onResults(
        reply.results!.map((r) => ("error" in r ? { error: deserializeError(r.error) } : r)),
        reply.spans,
        keepsEvents ? reply.events : undefined,
      );
    let reply: OkReply;
    try {
      const request = keepsEvents || observingAny() ? { op: "runBatch" as const, items, ...observing(options.everyRun === true) } : { op: "runBatch" as const, items };
      reply = await this.request(request, this.transfer ? transferablesOfAll(items) : [], hand, keepsEvents);
    } catch (error) {
      if (!(error instanceof DataCloneError)) throw error;
      // Some input cannot cross: send the items one by one, so only that item fails (naming its port).
      for (const values of items) {
        try {
          onResults([{ outputs: await this.run(values) }]);
        } catch (itemError) {
          if (itemError instanceof CloneCrashedError) throw itemError;
          onResults([{ error: itemError }]);
        }
      }
      return;
    }
    hand(reply);
  }

  async applyParameters(parameters: readonly ParameterValue[]): Promise<void> {
    await this.request({ op: "parameters", parameters });
  }

  async reset(): Promise<void> {
    await this.request({ op: "reset" });
  }

  async undeploy(): Promise<void> {
    const channel = this.channel;
    if (channel === null) return;
    this.closing = true;
    if (this.deadReason === null) {
      // A clone stuck in a synchronous loop never answers: don't wait for it forever.
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, UNDEPLOY_REPLY_MS)));
      await Promise.race([this.request({ op: "undeploy" }).catch(() => undefined), timeout]);
      clearTimeout(timer);
    }
    this.channel = null;
    await channel.terminate();
  }

  /** Kills the thread or process at once (crash tests and forced shutdown). */
  async kill(): Promise<void> {
    this.closing = true;
    await this.channel?.terminate();
  }

  onCrash(listener: (error: CloneCrashedError) => void): void {
    this.crashListener = listener;
  }

  /** Sends a request; `partial` receives the replies that say more follow ("runBatch" running long). */
  private request(body: RequestBody, transfer: ArrayBuffer[] = [], partial?: (reply: OkReply) => void, keepsEvents = false): Promise<OkReply> {
    this.throwIfDead();
    const id = this.nextId++;
    const request = { ...body, id } as CloneRequest;
    return new Promise((resolve, reject) => {
      if (this.pending.size === 0) this.channel!.keepAlive(true);
      this.pending.set(id, partial === undefined ? { resolve, reject } : { resolve, reject, partial, keepsEvents });
      try {
        this.channel!.send(request, transfer);
      } catch (error) {
        this.pending.delete(id);
        this.releaseIfIdle();
        const bad = request.op === "run" ? uncloneableEntry(request.inputs) : undefined;
        reject(
          new DataCloneError(
            `Cannot send ${bad !== undefined ? `the value of input port "${bad}"` : `a "${request.op}" request`} ` +
              `to a "${this.method}" clone of "${this.recipe.shape.scalablePath}": ${(error as Error).message}`,
          ),
        );
      }
    });
  }

  private settle(reply: CloneReply): void {
    const waiter = this.pending.get(reply.id);
    // Events the clone recorded while observed come first, so they precede the item's own
    // (unless the caller takes them with the results).
    if (reply.ok && reply.events !== undefined && waiter?.keepsEvents !== true) publishShipped(reply.events);
    if (waiter === undefined) return;
    if (reply.ok && reply.partial === true) return waiter.partial?.(reply);
    this.pending.delete(reply.id);
    this.releaseIfIdle();
    if (reply.ok) waiter.resolve(reply);
    else waiter.reject(deserializeError(reply.error));
  }

  private releaseIfIdle(): void {
    if (this.pending.size === 0) this.channel?.keepAlive(false);
  }

  private died(detail: string): void {
    if (this.deadReason !== null) return;
    this.deadReason = detail;
    const error = new CloneCrashedError(this.recipe.shape.scalablePath, this.method, detail);
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    if (!this.closing) this.crashListener?.(error);
  }

  private throwIfDead(): void {
    if (this.deadReason !== null) {
      throw new CloneCrashedError(this.recipe.shape.scalablePath, this.method, this.deadReason);
    }
  }
}

function extname(url: string): string {
  return url.slice(url.lastIndexOf("."));
}

/** TypeScript sources (of the engine or of the cells) need tsx's loader in the clone. */
function usesTypeScript(cellModuleUrl: string): boolean {
  return runtimeUrl.endsWith(".ts") || /\.[mc]?tsx?$/.test(cellModuleUrl);
}

/** A request's observing flags: record, and time every run if this thread (or the caller) asks. */
function observing(everyRun: boolean): { observe: true; everyRun?: true } {
  return everyRun || timingEveryRun() ? { observe: true, everyRun: true } : { observe: true };
}
