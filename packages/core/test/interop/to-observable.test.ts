/**
 * toObservable (from "@cellflow/core/rxjs"): a pipeline as an RxJS Observable of its
 * output records. Subscribing deploys if needed and pulls one record at a time; the end of
 * the stream completes, a failed pull errors, unsubscribing stops pulling; a deployment
 * the subscription made is undone when it ends; one subscriber at a time.
 */
import {
  Observable,
  config,
  firstValueFrom,
  lastValueFrom,
  map,
  share,
  Subject,
  take,
  toArray,
  type Subscription,
} from "rxjs";
import { afterEach, describe, expect, expectTypeOf, it } from "vitest";
import {
  AlreadySubscribedError,
  CellPullError,
  Connection,
  LifecycleHookError,
  NotDeployableError,
  Output,
  OutputPort,
  type OutputRecord,
  Pipeline,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";
import { toObservable } from "@cellflow/core/rxjs";
import { rejectionOf, withinDeadline } from "../helpers.js";
import { IterablePipeline, ObservablePipeline, deferred, watched } from "./cells.js";

/** A pipeline over `values` (or 0, 1, 2, ... without end). */
function numbers(values?: number[]): IterablePipeline {
  const p = new IterablePipeline(null, "p");
  p.source.setSource(
    values ??
      function* naturals() {
        for (let i = 0; ; i++) yield i;
      },
  );
  return p;
}

afterEach(() => {
  config.onUnhandledError = null;
});

describe("toObservable: records, completion, errors", () => {
  it("emits the records for await yields, typed alike, then completes; the pipeline it deployed is undeployed first", async () => {
    const p = numbers([1, 2, 3]);
    const records = toObservable(p);
    type Yielded = typeof p extends AsyncIterable<infer R> ? R : never;
    expectTypeOf(records).toEqualTypeOf<Observable<Yielded>>();
    expectTypeOf(records).toEqualTypeOf<Observable<OutputRecord<IterablePipeline>>>();
    expectTypeOf<Yielded>().toEqualTypeOf<{ readonly value: number }>();
    expect(await lastValueFrom(records.pipe(toArray()))).toEqual([{ value: 1 }, { value: 2 }, { value: 3 }]);
    expect(p.isDeployed).toBe(false);
  });

  it("works with operators: map, take, firstValueFrom", async () => {
    const p = numbers();
    const squares = toObservable(p).pipe(
      map((record) => record.value ** 2),
      take(4),
      toArray(),
    );
    expect(await lastValueFrom(squares)).toEqual([0, 1, 4, 9]);
    await withinDeadline(p.pass.undeployed.fired);
    expect(await firstValueFrom(toObservable(numbers([42])))).toEqual({ value: 42 });
  });

  it("a failed pull errors the observable with the pull's error, after the records before it", async () => {
    const p = numbers([1, 2, 3]);
    p.pass.fail = (value) => value === 2;
    const seen: unknown[] = [];
    const error = await rejectionOf(lastValueFrom(toObservable(p).pipe(map((r) => seen.push(r)))));
    expect(error).toBeInstanceOf(CellPullError);
    expect((error as CellPullError).cellPath).toBe("p.pass");
    expect(seen).toEqual([{ value: 1 }]);
    expect(p.isDeployed).toBe(false);
  });

  it("a pipeline that cannot deploy errors the observable with NotDeployableError", async () => {
    const p = new IterablePipeline(null, "p"); // no source set
    expect(await rejectionOf(lastValueFrom(toObservable(p)))).toBeInstanceOf(NotDeployableError);
  });

  it("a pipeline without output ports emits what for await yields for it, once per pull", async () => {
    class Counting extends SingleCell {
      readonly output = new Output<number>(this, "output");
      n = 0;
      protected onPull(): void {
        this.output.setValue(this.n++);
      }
      protected override remainingPulls(): number {
        return 2 - this.n;
      }
    }
    const p = new Pipeline(null, "portless");
    const counting = new Counting(p, "counting");
    await p.deploy();
    const yielded: unknown[] = [];
    for await (const record of p) yielded.push(record);
    await p.undeploy();
    counting.n = 0;
    const emitted = await lastValueFrom(toObservable(p).pipe(toArray()));
    expect(emitted).toHaveLength(2);
    expect(emitted).toEqual(yielded);
  });
});

describe("toObservable: pulling only what is consumed", () => {
  it("take(3) pulls three times: each record is emitted before the next pull starts", async () => {
    const p = numbers();
    expect(await lastValueFrom(toObservable(p).pipe(take(3), toArray()))).toEqual([{ value: 0 }, { value: 1 }, { value: 2 }]);
    await withinDeadline(p.pass.undeployed.fired);
    expect(p.pass.pulls).toBe(3);
  });

  it("an already deployed pipeline stays deployed, and the next pull goes on where the observable stopped", async () => {
    await using p = numbers();
    await p.deploy();
    expect(await lastValueFrom(toObservable(p).pipe(take(2), toArray()))).toEqual([{ value: 0 }, { value: 1 }]);
    expect(p.isDeployed).toBe(true);
    await p.pull();
    expect(p.value.getValue()).toBe(2);
  });

  it("unsubscribing while a pull waits for a value undeploys the pipeline it deployed: the wait ends, the source unsubscribes", async () => {
    const subject = new Subject<number>();
    const { source, subscribed } = watched(subject);
    const p = new ObservablePipeline(null, "p");
    p.source.setSource(source);
    const first = deferred();
    const subscription: Subscription = toObservable(p).subscribe({ next: () => first.resolve() });
    await withinDeadline(subscribed.fired); // deployed, the first pull waits for a value
    subject.next(1);
    await withinDeadline(first.promise); // the second pull now waits for a value
    subscription.unsubscribe();
    await withinDeadline(p.pass.undeployed.fired);
    expect(subject.observed).toBe(false);
    expect(p.isDeployed).toBe(false);
  });
});

describe("toObservable: one subscriber at a time", () => {
  it("a second subscription while one is active errors with AlreadySubscribedError; share() multicasts", async () => {
    const subject = new Subject<number>();
    const { source, subscribed } = watched(subject);
    const p = new ObservablePipeline(null, "p");
    p.source.setSource(source);
    const records = toObservable(p);
    const firstValues: unknown[] = [];
    const done = deferred();
    records.subscribe({ next: (r) => firstValues.push(r), complete: () => done.resolve() });
    const error = await rejectionOf(firstValueFrom(records));
    expect(error).toBeInstanceOf(AlreadySubscribedError);
    expect((error as AlreadySubscribedError).cellPath).toBe("p");
    await withinDeadline(subscribed.fired);
    subject.next(1);
    subject.complete();
    await withinDeadline(done.promise);
    expect(firstValues).toEqual([{ value: 1 }]);

    // After the first one ended (and undeployed), subscribing again works, with two consumers through share().
    const replay = numbers([5, 6]);
    const shared = toObservable(replay).pipe(share());
    const [a, b] = await Promise.all([lastValueFrom(shared.pipe(toArray())), lastValueFrom(shared.pipe(toArray()))]);
    expect(a).toEqual([{ value: 5 }, { value: 6 }]);
    expect(b).toEqual(a);
  });

  it("subscribing again right after unsubscribing waits for the first subscription's undeploy", async () => {
    const p = numbers();
    expect(await firstValueFrom(toObservable(p))).toEqual({ value: 0 });
    // firstValueFrom unsubscribed: the undeploy runs in the background; the next subscription deploys anew after it.
    expect(await firstValueFrom(toObservable(p))).toEqual({ value: 0 });
    await withinDeadline(p.pass.undeployed.times(2));
    expect(p.isDeployed).toBe(false);
  });
});

describe("toObservable: an undeploy that fails after the consumer left", () => {
  it("is reported to rxjs config.onUnhandledError, as RxJS reports errors with no subscriber", async () => {
    class FailingUndeploy extends SingleCell {
      readonly output = new Output<number>(this, "output");
      protected onPull(): void {
        this.output.setValue(1);
      }
      protected override onUndeploy(): void {
        throw new Error("cannot release");
      }
    }
    class Failing extends Pipeline {
      readonly cell = new FailingUndeploy(this, "cell");
      readonly value = new OutputPort<number>(this, "value");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.cell.output, this.value);
      }
    }
    const reported = deferred<unknown>();
    config.onUnhandledError = (error) => reported.resolve(error);
    expect(await firstValueFrom(toObservable(new Failing(null, "failing")))).toEqual({ value: 1 });
    const error = await withinDeadline(reported.promise);
    expect(error).toBeInstanceOf(LifecycleHookError);
    expect((error as LifecycleHookError).cellPath).toBe("failing.cell");
  });
});
