import type { CloneHandle, CloneNotice, CloneRecipe, CloneSettings, ItemResult, ParameterValue } from "@cellflow/core/clone-methods";
import { encodeValue } from "../encoding/json-values.js";
import type { RemoteRecipe } from "../transport/transport.js";
import type { ParentLink } from "./parent-link.js";

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
   * tens of microseconds): about 50 ms of work per job lets quick items share that cost
   * (`pnpm bench remote`), while a job still holds a short stretch of the stream.
   */
  readonly batchTargetMs = 50;
  readonly #link: ParentLink;
  readonly #cell: string;
  readonly #version: string;
  readonly #shape: CloneRecipe["shape"];
  #settings: CloneSettings;
  #released = false;
  #stopListening: (() => void) | null = null;

  constructor(method: string, link: ParentLink, cell: string, version: string, recipe: CloneRecipe) {
    this.method = method;
    this.#link = link;
    this.#cell = cell;
    this.#version = version;
    this.#shape = recipe.shape;
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

  runBatch(inputs: readonly Readonly<Record<string, unknown>>[], onResults: (results: ItemResult[]) => void): Promise<void> {
    return this.#link.send(this.#recipe(), inputs.map((item) => encodeValue(item, "an item's inputs")), onResults);
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
