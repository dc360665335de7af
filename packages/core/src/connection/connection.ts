import * as internal from "../cells/internal-members.js";
import type { CompositeCell } from "../cells/composite-cell.js";
import { AlreadyConnectedError, InvalidConnectionError } from "../errors/structure-errors.js";
import type { Input } from "../io/input.js";
import { scopeOf } from "../io/io.js";
import type { Output } from "../io/output.js";
import type { InputPort, OutputPort } from "../io/ports.js";
import type { MaybePromise } from "../util/maybe-promise.js";
import { Waiters } from "../util/waiters.js";

/** What a connection may leave from: an `Output`, an `InputPort` (inside) or an `OutputPort` (outside). */
export type ConnectionSource<T> = Output<T> | InputPort<T> | OutputPort<T>;
/** What a connection may enter: an `Input`, a parameter (an `Input` too), an `InputPort` (outside) or an `OutputPort` (inside). */
export type ConnectionTarget<T> = Input<T> | InputPort<T> | OutputPort<T>;

export interface ConnectionOptions {
  /**
   * Force whether this connection carries the previous iteration's value. Leave it out
   * and the topology decides; set it when a cycle has several candidates.
   */
  recurrent?: boolean;
}

/**
 * A one-way link from an output (or port) to an input (or port). Both ends must be IO of
 * siblings, or a composite's port and one of its children; anything else is refused here.
 */
export class Connection<T> {
  /** The composite whose topology this connection belongs to. */
  readonly scope: CompositeCell;
  readonly explicitRecurrent: boolean | undefined;
  /** @internal Resolved by the topology before deploy. */
  recurrent = false;
  /** @internal Generation of the source value this connection took last. */
  taken = 0;
  /**
   * @internal A pull of this connection is in flight on the slow path. Further pulls of
   * it (e.g. `Promise.all` of `input.pull()`) wait in `line`, so values go out in call order.
   */
  busy = false;
  /** @internal */
  readonly line = new Waiters();
  /** @internal Recurrent connections: the steps of the source its consumer has yet to read. */
  backlog: T[] | undefined = undefined;

  constructor(
    readonly source: ConnectionSource<T>,
    readonly target: ConnectionTarget<T>,
    options: ConnectionOptions = {},
  ) {
    if (!source || !(source as { fanout?: unknown }).fanout) {
      throw new InvalidConnectionError(`Cannot connect from ${String(source)} to ${String(target)}: the source must be an Output, InputPort or OutputPort.`);
    }
    if (!target || !(target as { inbox?: unknown }).inbox) {
      throw new InvalidConnectionError(`Cannot connect from ${String(source)} to ${String(target)}: the target must be an Input, parameter, InputPort or OutputPort.`);
    }
    const scope = scopeOf(source, "source");
    if (scope === null || scope !== scopeOf(target, "target")) {
      throw new InvalidConnectionError(
        `Cannot connect ${source} to ${target}: connections join IO of sibling cells, ` +
          `or a composite's port and one of its children.`,
      );
    }
    if (target.inbox.incoming !== null) {
      throw new AlreadyConnectedError(
        `Cannot connect ${source} to ${target}: the target already has an incoming connection from ${target.inbox.incoming.source}.`,
      );
    }
    this.scope = scope;
    this.explicitRecurrent = options.recurrent;
    if (options.recurrent === true && !source.fanout.hasInitialValue) {
      throw new InvalidConnectionError(
        `Connection ${source.path} -> ${target.path} is marked recurrent, but ${source} has no initialValue to deliver on the first pull.`,
      );
    }
    target.inbox.incoming = this;
    source.fanout.connections.push(this);
    scope[internal.registerConnection](this);
  }

  /** @internal Pulls the next value for this connection from its source. */
  pull(): MaybePromise<T> {
    return this.source.fanout.pullFor(this);
  }

  /** @internal Handover: the producer's pull that refreshed for this connection ended. */
  settle(ok: boolean, outcome: unknown, promise: Promise<unknown>): T {
    return this.source.fanout.settleRefresh(this, ok, outcome, promise);
  }

  get description(): string {
    return `${this.source.path} -> ${this.target.path}`;
  }

  toString(): string {
    return `Connection(${this.description}${this.recurrent ? ", recurrent" : ""})`;
  }
}

/** A connection of any value type (see `AnyIO`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyConnection = Connection<any>;
