import * as internal from "../cells/internal-members.js";
import type { CompositeCell } from "../cells/composite-cell.js";
import { SingleCell } from "../cells/single-cell.js";
import { AlreadyDeployedError } from "../errors/lifecycle-errors.js";
import { SourceNotRestartableError } from "../errors/interop-errors.js";
import { EndOfStreamError, InvalidArgumentError } from "../errors/runtime-errors.js";
import { Output } from "../io/output.js";
import { isPromiseLike } from "../util/maybe-promise.js";
import { PullWait } from "./pull-wait.js";

/**
 * What an {@link IterableSource} reads: an iterable, async or not, or a factory that
 * makes one. A factory is called again for each new stream (after a reset or a
 * redeploy); so is `[Symbol.asyncIterator]()` / `[Symbol.iterator]()` of a reusable
 * iterable such as an array. A one-shot iterable (a generator object) cannot start over.
 */
export type IterableSourceInput<T> = AsyncIterable<T> | Iterable<T> | (() => AsyncIterable<T> | Iterable<T>);

type AnyIterator<T> = AsyncIterator<T> | Iterator<T>;

/**
 * How long a reset or undeploy waits for the iterator's `return()` (an async generator
 * stuck in an `await` only returns once that await is over) before going on without it.
 */
const RETURN_GRACE_MS = 2000;

/**
 * A source cell that emits the values of an iterable or async iterable, one per pull,
 * on its output `output`.
 *
 * - **Back-pressure:** the iterator is advanced only when the cell is pulled, once per
 *   pull, so a generator never runs ahead of what the pipeline asks for (a scalable cell
 *   downstream pulls ahead as far as its queue allows, as it would any source).
 * - **End:** when the iterator is done, that pull raises `EndOfStreamError`, the cell's
 *   remaining pulls become 0 and `for await` over the pipeline ends. Before that the
 *   remaining pulls are unknown (`Infinity`): the end of an iterable is only known once
 *   it is reached.
 * - **Errors:** an error thrown by the iterator fails that pull with `CellPullError`
 *   (the error as its `cause`), like an error of any `onPull`. The next pull asks the
 *   iterator again; a generator that threw is finished, so for it that is the end.
 * - **Reset and undeploy** call the iterator's `return()`, so a generator's `finally`
 *   blocks run (given up to 2 s if the generator is stuck in an `await`), and a pull
 *   waiting for the iterator rejects with `AbortedError` at once. The next stream calls
 *   the factory again (or asks a reusable iterable for a new iterator); a one-shot
 *   iterable's pulls then fail with `SourceNotRestartableError`.
 *
 * ```ts
 * class Lines extends Pipeline {
 *   readonly lines = new IterableSource(this, "lines", () => readLines("input.txt"));
 *   readonly parse = new ParseCell(this, "parse");
 *   constructor(parent: CompositeCell | null, name: string) {
 *     super(parent, name);
 *     new Connection(this.lines.output, this.parse.input);
 *   }
 * }
 * ```
 *
 * The iterable is a constructor argument, or set with `setSource` before deploy. A
 * source is not meant to be the inner cell of a scalable cell (each clone would read
 * its own iterator); `scaleUp` refuses it with `CellConstructorError`.
 */
export class IterableSource<T> extends SingleCell {
  /** The iterable's values, one per pull. */
  readonly output = new Output<T>(this, "output");
  #input: IterableSourceInput<T> | null;
  #iterator: AnyIterator<T> | null = null;
  /** The current iterator said it is done. */
  #exhausted = false;
  /** The input is its own iterator (a generator object): it cannot start over. */
  #oneShot = false;
  /** A one-shot input's iterator was opened and then closed. */
  #spent = false;
  readonly #pending = new PullWait();

  /**
   * @param source What to read (see {@link IterableSourceInput}); or leave it out and
   * call `setSource` before deploy.
   */
  constructor(parent: CompositeCell | null, name: string, source?: IterableSourceInput<T>) {
    super(parent, name);
    this.#input = source ?? null;
  }

  /** Sets what the source reads; only while it is not deployed. */
  setSource(source: IterableSourceInput<T>): void {
    if (this.isDeployed) {
      throw new AlreadyDeployedError(`Cannot set the source of "${this.path}" while it is deployed: set it before deploy.`);
    }
    this.#input = source;
    this.#spent = false;
  }

  /** Advances the iterator once: its value goes to `output`; its end is the end of the stream. */
  protected onPull(): void | Promise<void> {
    const next = (this.#iterator ?? this.#open()).next();
    if (!isPromiseLike(next)) return this.#take(next);
    return this.#pending.wait(next).then((result) => this.#take(result));
  }

  protected override remainingPulls(): number {
    return this.#exhausted ? 0 : Infinity;
  }

  protected override async onReset(): Promise<void> {
    await this.#close();
  }

  protected override async onUndeploy(): Promise<void> {
    await this.#close();
  }

  /** @internal A pull waiting for the iterator is cut short too. */
  override [internal.abortWaits](reason: string): void {
    super[internal.abortWaits](reason);
    this.#pending.abort(reason);
  }

  /** @internal */
  override [internal.deployabilityReasons](): string[] {
    const reasons = super[internal.deployabilityReasons]();
    if (this.#input === null) reasons.push(`${this} has no source: pass one to its constructor or call setSource() before deploy`);
    return reasons;
  }

  #take(result: IteratorResult<T>): void {
    if (result.done === true) {
      this.#exhausted = true;
      throw new EndOfStreamError(this.path);
    }
    this.output.setValue(result.value);
  }

  #open(): AnyIterator<T> {
    if (this.#spent) throw new SourceNotRestartableError(this.path);
    const input = this.#input!; // deploy refused a source without one
    const iterable = isFactory(input) ? input() : input;
    const iterator = iteratorOf(iterable, this.path);
    this.#oneShot = (iterator as unknown) === input;
    this.#iterator = iterator;
    return iterator;
  }

  /** Ends the current iterator early (its `finally` blocks run) so the next stream starts over. */
  async #close(): Promise<void> {
    const iterator = this.#iterator;
    const finished = this.#exhausted;
    this.#iterator = null;
    this.#exhausted = false;
    if (iterator === null) return;
    if (this.#oneShot) this.#spent = true;
    if (finished) return; // a finished iterator has nothing to clean up
    const returned = iterator.return?.();
    if (isPromiseLike(returned)) await settledWithin(returned, RETURN_GRACE_MS);
  }
}

function isFactory<T>(input: IterableSourceInput<T>): input is () => AsyncIterable<T> | Iterable<T> {
  return typeof input === "function" && !(Symbol.asyncIterator in input) && !(Symbol.iterator in input);
}

function iteratorOf<T>(iterable: AsyncIterable<T> | Iterable<T>, path: string): AnyIterator<T> {
  const async = (iterable as Partial<AsyncIterable<T>> | null)?.[Symbol.asyncIterator];
  if (typeof async === "function") return async.call(iterable);
  const sync = (iterable as Partial<Iterable<T>> | null)?.[Symbol.iterator];
  if (typeof sync === "function") return sync.call(iterable);
  throw new InvalidArgumentError(
    `The source of "${path}" is not iterable (got ${iterable === null ? "null" : typeof iterable}): ` +
      `give it an AsyncIterable, an Iterable, or a function that returns one.`,
  );
}

/** Waits for `promise` at most `ms`; a rejection within that time is thrown. */
async function settledWithin(promise: PromiseLike<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  try {
    await Promise.race([promise, late]); // race handles a late rejection: none goes unhandled
  } finally {
    clearTimeout(timer);
  }
}
