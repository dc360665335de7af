import type { Connection } from "../connection/connection.js";
import { NoValueError } from "../errors/runtime-errors.js";
import type { MaybePromise } from "../util/maybe-promise.js";

/** Options shared by everything that receives values (inputs, parameters, ports). */
export interface ReceiverOptions<T> {
  /** The value used while the receiver has no incoming connection. */
  defaultValue?: T;
}

/**
 * The incoming side of an input, parameter or port: at most one incoming connection,
 * else a value set by the user (or a default) that every pull returns.
 */
export class Inbox<T> {
  incoming: Connection<T> | null = null;
  private value: T | undefined;
  private hasValue: boolean;
  /** Bumped by `set`, so clones can tell which values changed. */
  version = 0;

  constructor(
    readonly path: string,
    private readonly options: ReceiverOptions<T>,
  ) {
    this.hasValue = "defaultValue" in options;
    this.value = options.defaultValue;
  }

  get holdsValue(): boolean {
    return this.hasValue;
  }

  /** True when a pull can succeed without any upstream: connected, set or defaulted. */
  get isSatisfied(): boolean {
    return this.incoming !== null || this.hasValue;
  }

  set(value: T): void {
    this.value = value;
    this.hasValue = true;
    this.version++;
  }

  get(): T {
    if (!this.hasValue) {
      throw new NoValueError(`"${this.path}" holds no value: it has not been set or pulled yet.`);
    }
    return this.value as T;
  }

  /**
   * The next value: through the incoming connection (whose source delivers it here with
   * `receive`, so no extra hop is needed to store it), else the set or default value.
   */
  pull(): MaybePromise<T> {
    const incoming = this.incoming;
    return incoming === null ? this.get() : incoming.pull();
  }

  /** @internal The incoming connection's source hands over the value this inbox took. */
  receive(value: T): void {
    this.value = value;
    this.hasValue = true;
  }

  /** Forget values that came from upstream; values the user set stay (they are configuration). */
  reset(): void {
    if (this.incoming === null) return;
    this.value = this.options.defaultValue;
    this.hasValue = "defaultValue" in this.options;
  }
}
