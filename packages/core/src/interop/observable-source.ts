import * as internal from "../cells/internal-members.js";
import type { CompositeCell } from "../cells/composite-cell.js";
import { SingleCell } from "../cells/single-cell.js";
import { AbortedError, AlreadyDeployedError } from "../errors/lifecycle-errors.js";
import { SourceOverflowError } from "../errors/interop-errors.js";
import { CellPullError, EndOfStreamError, InvalidArgumentError } from "../errors/runtime-errors.js";
import { Output } from "../io/output.js";
import { BoundedBuffer } from "./bounded-buffer.js";
import { PullWait } from "./pull-wait.js";

/**
 * Anything with a `subscribe(observer)` method that returns something to `unsubscribe()`:
 * an RxJS `Observable` or `Subject`, and the observables of other libraries that follow
 * the same protocol. No RxJS is needed at run time. (For an RxJS `InteropObservable`,
 * one with only `[Symbol.observable]`, pass RxJS `from(it)`.)
 */
export interface ObservableLike<T> {
  /**
   * The source always passes an observer object. The type also allows a `next` function,
   * as RxJS's `subscribe` does: that is what lets TypeScript infer `T` from an RxJS
   * `Observable` (whose last `subscribe` overload takes functions).
   */
  subscribe(observer: { next(value: T): void; error(error: unknown): void; complete(): void } | ((value: T) => void)): {
    unsubscribe(): void;
  };
}

/** Options of an {@link ObservableSource}. */
export interface ObservableSourceOptions {
  /** How many values the observable may emit ahead of the pulls. Default 1024. */
  readonly capacity?: number;
  /**
   * What a value that arrives while the buffer is full does. `"error"` (the default): the
   * source stops listening and its next pull fails with `SourceOverflowError` (the
   * buffered values are dropped, the stream has a gap), then the stream ends.
   * `"dropOldest"`: the oldest buffered value is dropped to make room, and the stream goes
   * on (for a feed where only recent values matter, such as sensor readings).
   */
  readonly overflow?: "error" | "dropOldest";
}

const defaults: Required<ObservableSourceOptions> = { capacity: 1024, overflow: "error" };

/** How the observable ended: it completed, or it failed (the next pull after the buffered values raises `error`). */
type Ending = { readonly failed: false } | { readonly failed: true; readonly error: unknown };

/**
 * A source cell that emits the values of an observable, one per pull, on its output
 * `output`.
 *
 * - **Subscription:** it subscribes when the pipeline is deployed, so values emitted
 *   between deploy and the first pull are kept. Values a hot observable (a `Subject`)
 *   emitted before deploy are not seen; a `ReplaySubject` or `BehaviorSubject` replays
 *   them on subscribe. It unsubscribes on undeploy, and a reset unsubscribes, drops the
 *   buffered values and subscribes again (a cold observable starts over).
 * - **Buffer:** an observable cannot be slowed down, so the values it emits before they
 *   are pulled wait in a buffer of `capacity` values (default 1024). When it is full,
 *   `overflow` decides: fail loudly with `SourceOverflowError` (the default) or drop the
 *   oldest value. A pull with nothing buffered waits for the next value.
 * - **End:** when the observable completes, the buffered values are still pulled, then
 *   the stream ends (`EndOfStreamError`; `for await` over the pipeline ends). From the
 *   completion on, the remaining pulls are known: the buffered values.
 * - **Errors:** when the observable errors, the buffered values are still pulled, then
 *   one pull fails with `CellPullError` (the observable's error as its `cause`), then the
 *   stream ends.
 *
 * ```ts
 * class Clicks extends Pipeline {
 *   readonly clicks = new ObservableSource<MouseEvent>(this, "clicks");
 *   // ...cells that pull clicks.output
 * }
 * pipeline.clicks.setSource(fromEvent<MouseEvent>(document, "click"), { capacity: 64 });
 * ```
 *
 * For values that are all there already (an array, a generator), an
 * {@link IterableSource} is the better fit: it reads only as many as are pulled. Like
 * it, an observable source is not meant to be scaled: `scaleUp` refuses it as the inner
 * cell of a scalable cell (`CellConstructorError`), since clones cannot get the observable.
 */
export class ObservableSource<T> extends SingleCell {
  /** The observable's values, one per pull. */
  readonly output = new Output<T>(this, "output");
  #source: ObservableLike<T> | null;
  #buffer: BoundedBuffer<T>;
  #overflow: "error" | "dropOldest";
  #subscription: { unsubscribe(): void } | null = null;
  /** Counts subscriptions: callbacks of an earlier one are ignored. */
  #generation = 0;
  /** Set once the observable completed, failed or overflowed: no more values come. */
  #ending: Ending | null = null;
  #wake: (() => void) | null = null;
  readonly #pending = new PullWait();

  /**
   * @param source The observable to read; or leave it out and call `setSource` before deploy.
   * @param options The buffer's capacity and what happens when it is full.
   */
  constructor(parent: CompositeCell | null, name: string, source?: ObservableLike<T>, options: ObservableSourceOptions = {}) {
    super(parent, name);
    this.#source = source ?? null;
    [this.#buffer, this.#overflow] = configure(this.path, options);
  }

  /** How many values the buffer holds at most. */
  get capacity(): number {
    return this.#buffer.capacity;
  }

  /** How many values the observable emitted that are not pulled yet. */
  get buffered(): number {
    return this.#buffer.length;
  }

  /** Sets the observable to read (and, optionally, new buffer options); only while the source is not deployed. */
  setSource(source: ObservableLike<T>, options?: ObservableSourceOptions): void {
    if (this.isDeployed) {
      throw new AlreadyDeployedError(`Cannot set the source of "${this.path}" while it is deployed: set it before deploy.`);
    }
    this.#source = source;
    if (options !== undefined) [this.#buffer, this.#overflow] = configure(this.path, options);
  }

  /** Takes the oldest buffered value, or waits for the next one. */
  protected onPull(): void | Promise<void> {
    if (this.#buffer.length > 0) return this.output.setValue(this.#buffer.shift());
    const ending = this.#ending;
    if (ending !== null) {
      if (!ending.failed) throw new EndOfStreamError(this.path); // completed while this pull waited
      this.#ending = { failed: false }; // the failure is raised once; after it, the stream is over
      // An AbortedError would pass as this pull being cut short, not as the observable's failure.
      throw ending.error instanceof AbortedError ? new CellPullError(this.path, ending.error) : ending.error;
    }
    return this.#pending.wait(new Promise<void>((resolve) => (this.#wake = resolve))).then(() => this.onPull());
  }

  protected override remainingPulls(): number {
    if (this.#ending === null) return Infinity;
    return this.#buffer.length + (this.#ending.failed ? 1 : 0);
  }

  protected override onDeploy(): void {
    this.#subscribe();
  }

  protected override onUndeploy(): void {
    this.#unsubscribe();
  }

  protected override onReset(): void {
    this.#unsubscribe();
    this.#subscribe();
  }

  /** @internal A pull waiting for a value is cut short too. */
  override [internal.abortWaits](reason: string): void {
    super[internal.abortWaits](reason);
    this.#pending.abort(reason);
  }

  /** @internal */
  override [internal.deployabilityReasons](): string[] {
    const reasons = super[internal.deployabilityReasons]();
    if (this.#source === null) reasons.push(`${this} has no source: pass one to its constructor or call setSource() before deploy`);
    return reasons;
  }

  #subscribe(): void {
    const generation = ++this.#generation;
    const current = () => generation === this.#generation && this.#ending === null;
    // Values may come (and the observable may end) synchronously, inside subscribe().
    const subscription = this.#source!.subscribe({
      next: (value) => {
        if (current()) this.#receive(value);
      },
      error: (error) => {
        if (current()) this.#end({ failed: true, error });
      },
      complete: () => {
        if (current()) this.#end({ failed: false });
      },
    });
    if (generation === this.#generation && this.#ending === null) this.#subscription = subscription;
    else subscription.unsubscribe(); // it ended inside subscribe(): an overflow leaves it running
  }

  #receive(value: T): void {
    if (this.#buffer.isFull) {
      if (this.#overflow === "dropOldest") {
        this.#buffer.shift();
      } else {
        this.#buffer.clear(); // the stream has a gap: fail at the next pull, not capacity pulls later
        this.#end({ failed: true, error: new SourceOverflowError(this.path, this.#buffer.capacity) });
        return;
      }
    }
    this.#buffer.push(value);
    this.#wakeUp();
  }

  #end(ending: Ending): void {
    this.#ending = ending;
    const subscription = this.#subscription;
    this.#subscription = null;
    subscription?.unsubscribe();
    this.#wakeUp();
  }

  /** Stops listening and forgets everything the observable sent. */
  #unsubscribe(): void {
    this.#generation++;
    const subscription = this.#subscription;
    this.#subscription = null;
    this.#ending = null;
    this.#wake = null;
    this.#buffer.clear();
    subscription?.unsubscribe();
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }
}

function configure<T>(path: string, options: ObservableSourceOptions): [BoundedBuffer<T>, "error" | "dropOldest"] {
  const capacity = options.capacity ?? defaults.capacity;
  const overflow = options.overflow ?? defaults.overflow;
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw new InvalidArgumentError(`The capacity of "${path}" must be a whole number of at least 1, got ${capacity}.`);
  }
  if (overflow !== "error" && overflow !== "dropOldest") {
    throw new InvalidArgumentError(`The overflow of "${path}" must be "error" or "dropOldest", got ${String(overflow)}.`);
  }
  return [new BoundedBuffer<T>(capacity), overflow];
}
