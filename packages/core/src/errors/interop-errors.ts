import { CellflowError } from "./cellflow-error.js";

/**
 * An `ObservableSource` got a value while its buffer was full (`overflow: "error"`, the
 * default). An observable cannot be slowed down, so the value is lost: the source stops
 * listening and its next pull fails with this error, then its stream ends. `cellPath`
 * names the source, `capacity` is the buffer's size.
 */
export class SourceOverflowError extends CellflowError {
  constructor(
    readonly cellPath: string,
    readonly capacity: number,
  ) {
    super(
      `Observable source "${cellPath}" got a value while its buffer already held ${capacity} values not pulled yet. ` +
        `An observable cannot be slowed down, so the value was lost and the source stopped listening. Pull faster, ` +
        `give it a larger buffer (new ObservableSource(parent, name, observable, { capacity }), or ` +
        `setSource(observable, { capacity })), or keep only the ` +
        `newest values with { overflow: "dropOldest" }. For values that are all there already (an array, an iterable), ` +
        `use an IterableSource: it reads only as many as are pulled.`,
    );
  }
}

/**
 * An `IterableSource` built from a one-shot iterable (an iterator that is its own
 * iterable, such as a generator object) was pulled after a reset or a redeploy: the
 * iterator was closed and cannot start over. Give the source a factory instead,
 * `() => generate()`, which it calls again for each new stream.
 */
export class SourceNotRestartableError extends CellflowError {
  constructor(readonly cellPath: string) {
    super(
      `Iterable source "${cellPath}" cannot start over: it was built from a one-shot iterable (an iterator, such as ` +
        `a generator object), which was closed by the reset or undeploy. Pass a factory instead, e.g. ` +
        `new IterableSource(parent, name, () => generate()), or setSource(() => generate()): the source calls it ` +
        `again for each new stream.`,
    );
  }
}

/**
 * `toObservable(pipeline)` was subscribed while another subscription of a
 * `toObservable` of the same pipeline is active. A pipeline is one stream: two
 * subscribers would each take every other record. Share one subscription (RxJS
 * `share()`), or subscribe again once the first one ended.
 */
export class AlreadySubscribedError extends CellflowError {
  constructor(readonly cellPath: string) {
    super(
      `Pipeline "${cellPath}" already has a subscriber through toObservable(). A pipeline is one stream, so a ` +
        `second subscriber would take every other record. Share one subscription (e.g. toObservable(pipeline).pipe(share()) ` +
        `in RxJS), or subscribe again once the first subscription has ended.`,
    );
  }
}
