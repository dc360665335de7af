import * as internal from "../cells/internal-members.js";
import type { MaybePromise } from "../util/maybe-promise.js";
import type { Waiters } from "../util/waiters.js";
import type { AnyConnection } from "../connection/connection.js";

/**
 * The rest of a refresh, run by the producer inside the reaction that ends its pull:
 * `ok` and the pull's value, or the (already mapped) failure; `promise` is what
 * `produce()` returned. Returns the value for the connection, or throws its failure.
 */
export interface Handover {
  settle(ok: boolean, outcome: unknown, promise: Promise<unknown>): unknown;
}

/** What a producer's `handoverOffer` holds once it accepted the offer. */
export const OFFER_TAKEN: Handover = {
  settle(): never {
    throw new Error("cellflow: OFFER_TAKEN is a marker, not a handover");
  },
};

/**
 * Whatever refreshes a group of emitters in one step: a cell refreshes all its outputs
 * with one pull; a composite's input port refreshes itself from its incoming connection.
 * The group may only be refreshed once every connection took the current values, which
 * is what makes delivery exactly-once per connection.
 *
 * Engine-only: its members are symbol-keyed, and `Cell` and `InputPort` keep theirs out of
 * the `.d.ts`, so neither declares that it implements this (`Fanout`'s constructor checks
 * each against it).
 */
export interface Producer {
  readonly path: string;
  /** The refresh in progress, shared by every connection that waits for it. */
  [internal.refreshing]: Promise<unknown> | null;
  /** Set while an undeploy or reset is cutting waits short: nothing may park on the producer then. */
  readonly [internal.haltReason]: string | null;
  /** The connection whose pull started the refresh in progress (null: none, or not through a connection). */
  [internal.refreshedBy]: AnyConnection | null;
  /**
   * Set by a fanout just around `produce()`: the connection whose refresh this is, offered
   * so the producer's own finishing reaction can hand its value over (one reaction per
   * refresh instead of two). A producer that accepts it sets {@link OFFER_TAKEN} here and
   * later calls the offer's `settle`; one that does not leaves it alone.
   */
  [internal.handoverOffer]: Handover | null;
  /** Woken whenever a connection takes a value from one of the group's emitters. */
  readonly [internal.takenWaiters]: Waiters;
  /** True when every forward connection of every emitter in the group took its value. */
  [internal.allTaken](): boolean;
  /** Produce the next values of the whole group. */
  [internal.produce](): MaybePromise<unknown>;
  /** A refresh failed: every emitter of the group records the error as its next step. */
  [internal.recordFailure](error: unknown): void;
  /** How many more refreshes the producer can make (`Infinity` for endless streams). */
  availablePulls(): number;
}
