import { observingAny, timingEveryRun, type CloneHandle, type CloneNotice, type CloneRecipe, type CloneSettings, type ItemResult, type ItemSpan, type ParameterValue } from "@cellflow/core/clone-methods";
import { encodeValue } from "../encoding/json-values.js";
import type { RemoteRecipe } from "../transport/transport.js";
import type { ParentLink } from "./parent-link.js";

/**
 * About 20 ms of work per job (50 before pipelining): 10 ms items go one per job, so a
 * worker ten times slower holds one item (and one taken ahead) of the stream at a time;
 * quick items still fill a job (1 ms items: 20 per job; tiny ones: the manager's cap).
 */
const BATCH_TARGET_MS = 20;
/**
 * Jobs out per clone: with a clone per worker, one running, one the worker took ahead
 * (`prefetch`), one on its way, so a worker finds its next job waiting.
 */
const BATCHES_IN_FLIGHT = 3;

/**
 * A clone whose items run on remote workers: each batch of queue slots the clone manager
 * hands it travels as one job, to whichever worker takes it; results come back through
 * the parent link, in item order. The template's parameters travel with every batch, so
 * a worker always runs the values in force when the items were claimed.
 */
export class RemoteClone implements CloneHandle {
  readonly method: string;
  /**
   * A batch is a job through Redis (a few milliseconds of round trip, not a thread's
   * tens of microseconds), taken by whichever worker is free, a slow one included. Jobs
   * are kept short, about BATCH_TARGET_MS of work (sized by the time items take on the
   * workers, which they report), so a slow worker holds few items of the stream; several
   * are out at once (BATCHES_IN_FLIGHT), so the round trip of one overlaps the work of
   * the others and a worker that finishes a job finds the next one waiting.
   */
  readonly batchTargetMs = BATCH_TARGET_MS;
  readonly batchesInFlight = BATCHES_IN_FLIGHT;
  readonly #link: ParentLink;
  readonly #cell: string;
  readonly #version: string;
  readonly #shape: CloneRecipe["shape"];
  /** Its lane in the engine's events: its cells' runs on the workers carry it. */
  readonly #lane: string;
  #settings: CloneSettings;
  #released = false;
  #stopListening: (() => void) | null = null;

  constructor(method: string, link: ParentLink, cell: string, version: string, recipe: CloneRecipe) {
    this.method = method;
    this.#link = link;
    this.#cell = cell;
    this.#version = version;
    this.#shape = recipe.shape;
    this.#lane = recipe.lane ?? method;
    this.#settings = recipe.settings;
    link.acquire(); // from creation, so no other clone's undeploy closes the link under it
  }

  /** Workers may come later: a batch waits in the queue until one takes it. */
  async deploy(): Promise<void> {}

  async run(inputs: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    let result: ItemResult | undefined;
    await this.runBatch([inputs], (results) => (result = results[0]));
    if (result === undefined) throw new Error("cellflow: a remote batch ended without its result");
    if ("error" in result) throw result.error;
    return result.outputs;
  }

  runBatch(
    inputs: readonly Readonly<Record<string, unknown>>[],
    onResults: (results: ItemResult[], spans?: readonly ItemSpan[]) => void,
  ): Promise<number | undefined> {
    // While someone here listens to the engine's events, the worker times the items and ships its events.
    const observe = observingAny() ? { lane: this.#lane, everyRun: timingEveryRun() } : null;
    return this.#link.send(this.#recipe(), inputs.map((item) => encodeValue(item, "an item's inputs")), onResults, observe);
  }

  async applyParameters(parameters: readonly ParameterValue[]): Promise<void> {
    this.#settings = { ...this.#settings, parameters };
  }

  /** "noWorker": the link's batches wait and no worker serves the queue. */
  onNotice(listener: (notice: CloneNotice) => void): void {
    this.#stopListening = this.#link.onNotice(listener);
  }

  /** A remote clone keeps no state of its own between batches: nothing to reset here. */
  async reset(): Promise<void> {}

  async undeploy(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    this.#stopListening?.();
    await this.#link.release();
  }

  #recipe(): RemoteRecipe {
    return {
      cell: this.#cell,
      version: this.#version,
      shape: this.#shape,
      settings: encodeValue(this.#settings, "the template's parameters"),
    };
  }
}
