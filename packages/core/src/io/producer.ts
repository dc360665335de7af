import type { MaybePromise } from "../util/maybe-promise.js";
import type { Waiters } from "../util/waiters.js";
import type { AnyConnection } from "../connection/connection.js";

/**
 * Whatever refreshes a group of emitters in one step: a cell refreshes all its outputs
 * with one pull; a composite's input port refreshes itself from its incoming connection.
 * The group may only be refreshed once every connection took the current values, which
 * is what makes delivery exactly-once per connection.
 */
export interface Producer {
  readonly path: string;
  /** The refresh in progress, shared by every connection that waits for it. */
  refreshing: Promise<void> | null;
  /** Set while an undeploy or reset is cutting waits short: nothing may park on the producer then. */
  readonly haltReason: string | null;
  /** The connection whose pull started the refresh in progress (null: none, or not through a connection). */
  refreshedBy: AnyConnection | null;
  /** Woken whenever a connection takes a value from one of the group's emitters. */
  readonly takenWaiters: Waiters;
  /** True when every forward connection of every emitter in the group took its value. */
  allTaken(): boolean;
  /** Produce the next values of the whole group. */
  produce(): MaybePromise<void>;
  /** A refresh failed: every emitter of the group records the error as its next step. */
  recordFailure(error: unknown): void;
  /** How many more refreshes the producer can make (`Infinity` for endless streams). */
  availablePulls(): number;
}
