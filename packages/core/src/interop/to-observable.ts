import { Observable, config } from "rxjs";
import type { Pipeline } from "../cells/pipeline.js";
import { AlreadySubscribedError } from "../errors/interop-errors.js";

/** The current `toObservable` subscription of a pipeline (one at a time). */
interface Claim {
  active: boolean;
  /** Settles once the deployment the subscription made (if any) is undone. */
  readonly released: Promise<void>;
}

const claims = new WeakMap<Pipeline, Claim>();

/**
 * The pipeline as an RxJS `Observable` of its output records: the values
 * `for await (const out of pipeline)` yields, typed as it types them.
 *
 * - **Subscribing** deploys the pipeline if it is not deployed yet, then pulls it one
 *   record at a time: each record is emitted before the next pull starts, so a consumer
 *   that unsubscribes in its `next` (as `take(n)` does) gets no pull beyond it.
 * - **The end of the stream** completes the observable; a failed pull errors it with the
 *   pull's error (`CellPullError`, ...).
 * - **Unsubscribing** stops pulling. A pipeline the subscription deployed is undeployed
 *   when the subscription ends, however it ends; an undeploy cuts a pull in flight short.
 *   On completion and on error that happens first, so `await lastValueFrom(...)` returns
 *   with the pipeline undeployed. A pipeline that was deployed already stays deployed,
 *   and a pull in flight when the consumer unsubscribes runs to its end, its record
 *   unused.
 * - **One subscriber at a time:** a pipeline is one stream, so a second subscription
 *   while one is active errors with `AlreadySubscribedError` (share one with RxJS
 *   `share()`). A new subscription after one ended waits until that one's undeploy is
 *   over.
 *
 * ```ts
 * import { toObservable } from "@cellflow/core/rxjs";
 * import { take, map, lastValueFrom, toArray } from "rxjs";
 *
 * const words = await lastValueFrom(toObservable(pipeline).pipe(take(3), map((out) => out.word), toArray()));
 * ```
 *
 * An error of an undeploy after the consumer unsubscribed has nobody to go to: it is
 * reported the way RxJS reports such errors, to `config.onUnhandledError` if set, else
 * thrown asynchronously.
 */
export function toObservable<R>(pipeline: Pipeline & AsyncIterable<R>): Observable<R> {
  return new Observable<R>((subscriber) => {
    const previous = claims.get(pipeline);
    if (previous?.active === true) {
      subscriber.error(new AlreadySubscribedError(pipeline.path));
      return;
    }
    let release!: () => void;
    const claim: Claim = { active: true, released: new Promise<void>((resolve) => (release = resolve)) };
    claims.set(pipeline, claim);

    /** The deploy this subscription started, if it started one. */
    let deploying: Promise<void> | null = null;
    let undeploying: Promise<void> | null = null;
    /**
     * Undoes this subscription's deploy, once (whichever of completion, failure or
     * unsubscribe comes first), unless the pipeline was undeployed by someone else already.
     */
    const undeploy = (): Promise<void> => {
      undeploying ??= deploying === null ? Promise.resolve() : deploying.then(undeployIfDeployed, ignore);
      return undeploying;
    };
    const undeployIfDeployed = () => (pipeline.isDeployed ? pipeline.undeploy() : undefined);
    /** The subscription ended on its own (end of stream or failure) and says so itself. */
    let ended = false;

    const run = async (): Promise<void> => {
      let failure: { error: unknown } | null = null;
      try {
        await previous?.released;
        if (subscriber.closed) return;
        if (!pipeline.isDeployed) await (deploying = pipeline.deploy());
        const records = (pipeline as AsyncIterable<R>)[Symbol.asyncIterator]();
        while (!subscriber.closed) {
          const next = await records.next();
          if (next.done === true) break;
          subscriber.next(next.value);
        }
      } catch (error) {
        failure = { error };
      }
      if (subscriber.closed) return; // the consumer left: the teardown undeploys, pull errors are moot
      ended = true;
      claim.active = false;
      try {
        await undeploy();
      } catch (error) {
        if (subscriber.closed) reportUnhandledError(error);
        failure ??= { error };
      }
      release();
      if (failure !== null) subscriber.error(failure.error);
      else subscriber.complete();
    };
    void run();

    return () => {
      claim.active = false;
      if (ended) return;
      undeploy().then(release, (error: unknown) => {
        release();
        reportUnhandledError(error);
      });
    };
  });
}

function ignore(): void {}

/** As RxJS reports an error that has no subscriber to go to: `config.onUnhandledError`, else thrown asynchronously. */
function reportUnhandledError(error: unknown): void {
  setTimeout(() => {
    const { onUnhandledError } = config;
    if (onUnhandledError === null) throw error;
    onUnhandledError(error);
  });
}
