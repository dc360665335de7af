import * as internal from "../cells/internal-members.js";
import type { CompositeCell } from "../cells/composite-cell.js";
import { Fanout, type EmitterOptions } from "./fanout.js";
import { Inbox, type ReceiverOptions } from "./inbox.js";
import { IO } from "./io.js";
import type { Handover } from "./producer.js";
import { AbortedError } from "../errors/lifecycle-errors.js";
import type { AnyConnection } from "../connection/connection.js";
import { Waiters } from "../util/waiters.js";
import { isPromiseLike, type MaybePromise } from "../util/maybe-promise.js";

/**
 * An input of a composite cell: fed from outside (a sibling's output, or a value set on
 * a root pipeline), it feeds the composite's children, each value exactly once per
 * inner connection. It refreshes itself, so it is its own producer.
 */
export class InputPort<T> extends IO<T> {
  declare readonly kind: "inputPort";
  /** @internal */
  readonly inbox: Inbox<T>;
  /** @internal */
  readonly fanout: Fanout<T>;
  /** @internal */
  [internal.refreshing]: Promise<unknown> | null = null;
  /** @internal */
  [internal.refreshedBy]: AnyConnection | null = null;
  /** @internal Never accepted: a port's refresh has no finishing reaction of its own. */
  [internal.handoverOffer]: Handover | null = null;

  /** @internal */
  get [internal.haltReason](): string | null {
    return this.cell[internal.haltReason];
  }
  /** @internal */
  readonly [internal.takenWaiters] = new Waiters();

  constructor(cell: CompositeCell, name: string, options: ReceiverOptions<T> = {}) {
    super(cell, name, "inputPort");
    this.inbox = new Inbox<T>(this.path, options);
    this.fanout = new Fanout<T>(this.path, this, {});
  }

  /** Sets the value used while the port has no incoming connection (e.g. a root pipeline's input). */
  setValue(value: T): void {
    this.inbox.set(value);
  }

  getValue(): T {
    return this.fanout.holdsValue ? this.fanout.get() : this.inbox.get();
  }

  get incoming() {
    return this.inbox.incoming;
  }

  get outgoing() {
    return this.fanout.connections;
  }

  /** @internal */
  [internal.allTaken](): boolean {
    return this.fanout.allTaken();
  }

  /** @internal */
  [internal.recordFailure](error: unknown): void {
    if (!(error instanceof AbortedError)) this.fanout.fail(error);
  }

  /** @internal */
  availablePulls(): number {
    const incoming = this.inbox.incoming;
    return incoming === null ? Infinity : incoming.source.fanout.availableFor(incoming);
  }

  /** @internal Takes the next value from outside and offers it to the inner connections. */
  [internal.produce](): MaybePromise<unknown> {
    let value: MaybePromise<T>;
    try {
      value = this.inbox.pull();
    } catch (error) {
      this[internal.recordFailure](error);
      throw error;
    }
    if (!isPromiseLike(value)) {
      this.fanout.set(value);
      return;
    }
    return value.then(
      (v) => this.fanout.set(v),
      (error: unknown) => {
        this[internal.recordFailure](error);
        throw error;
      },
    );
  }
}

/**
 * An output of a composite cell: fed from inside (a child's output, or an input port
 * for a skip connection), it feeds the composite's siblings. Pulling it pulls the composite.
 */
export class OutputPort<T> extends IO<T> {
  declare readonly kind: "outputPort";
  /** @internal */
  readonly inbox: Inbox<T>;
  /** @internal */
  readonly fanout: Fanout<T>;

  constructor(cell: CompositeCell, name: string, options: EmitterOptions<T> = {}) {
    super(cell, name, "outputPort");
    this.inbox = new Inbox<T>(this.path, {});
    this.fanout = new Fanout<T>(this.path, cell, options);
  }

  /** The value the port holds after the last pull of its composite. */
  getValue(): T {
    return this.fanout.get();
  }

  /** Pulls the composite once and returns this port's new value. */
  async pull(): Promise<T> {
    await this.cell.pull();
    return this.fanout.get();
  }

  get incoming() {
    return this.inbox.incoming;
  }

  get outgoing() {
    return this.fanout.connections;
  }
}
