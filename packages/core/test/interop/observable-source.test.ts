/**
 * ObservableSource: a source cell from an RxJS (or any subscribe-able) observable. It
 * subscribes on deploy, buffers what comes ahead of the pulls in a bounded buffer,
 * carries completion and errors through after the buffered values, and unsubscribes on
 * undeploy and reset. Ends with a fast-check property: whatever chunks a Subject emits
 * between pulls, the pipeline delivers exactly the values in order, then ends.
 */
import fc from "fast-check";
import { BehaviorSubject, ReplaySubject, Subject, from, interval, take, throwError } from "rxjs";
import { describe, expect, expectTypeOf, it } from "vitest";
import {
  AbortedError,
  AlreadyDeployedError,
  CellConstructorError,
  CellPullError,
  Connection,
  EndOfStreamError,
  InvalidArgumentError,
  NotDeployableError,
  ObservableSource,
  OutputPort,
  Pipeline,
  ScalableCell,
  SourceOverflowError,
  type CompositeCell,
  type ObservableLike,
} from "@cellflow/core";
import { rejectionOf, thrownBy, withinDeadline } from "../helpers.js";
import { ObservablePipeline, drain, pullValue } from "./cells.js";

/** A deployed pipeline reading `source` (with the given buffer options). */
async function deployed<T>(
  source: ObservableLike<T>,
  options?: ConstructorParameters<typeof ObservableSource<T>>[3],
): Promise<ObservablePipeline<T>> {
  const p = new ObservablePipeline<T>(null, "p");
  p.source.setSource(source, options);
  await p.deploy();
  return p;
}

describe("ObservableSource: values, completion, errors", () => {
  it("emits a Subject's values in order; after completion the buffered values, then the end", async () => {
    const subject = new Subject<number>();
    await using p = await deployed(subject);
    subject.next(1);
    subject.next(2);
    expect(await pullValue(p)).toBe(1);
    subject.next(3);
    subject.complete();
    expect(p.availablePulls()).toBe(2); // known from the completion on: what is buffered
    expect(await drain(p)).toEqual([2, 3]);
    const end = await rejectionOf(p.pull());
    expect(end).toBeInstanceOf(EndOfStreamError);
    expect((end as EndOfStreamError).cellPath).toBe("p.source");
  });

  it("a pull with nothing buffered waits for the next value; completion ends a waiting pull", async () => {
    const subject = new Subject<string>();
    await using p = await deployed(subject);
    expect(p.availablePulls()).toBe(Infinity);
    const waiting = pullValue(p);
    subject.next("late");
    expect(await withinDeadline(waiting)).toBe("late");
    const ending = p.pull();
    subject.complete();
    expect(await withinDeadline(rejectionOf(ending))).toBeInstanceOf(EndOfStreamError);
  });

  it("an error comes after the buffered values: one pull fails with CellPullError (cause: the error), then the end", async () => {
    const subject = new Subject<number>();
    const boom = new Error("feed lost");
    await using p = await deployed(subject);
    subject.next(1);
    subject.next(2);
    subject.error(boom);
    expect(p.availablePulls()).toBe(3); // two values and the failing pull
    expect(await pullValue(p)).toBe(1);
    expect(await pullValue(p)).toBe(2);
    const error = await rejectionOf(p.pull());
    expect(error).toBeInstanceOf(CellPullError);
    expect((error as CellPullError).cellPath).toBe("p.source");
    expect((error as CellPullError).cause).toBe(boom);
    expect(await rejectionOf(p.pull())).toBeInstanceOf(EndOfStreamError);
  });

  it("an error of a waiting pull's observable fails that pull; for await throws it", async () => {
    const subject = new Subject<number>();
    await using p = await deployed(subject);
    const consuming = drain(p);
    subject.next(7);
    subject.error(new Error("gone"));
    const error = (await withinDeadline(rejectionOf(consuming))) as CellPullError;
    expect(error).toBeInstanceOf(CellPullError);
    expect((error.cause as Error).message).toBe("gone");
  });

  it("infers its value type from an RxJS observable", () => {
    const p = new Pipeline(null, "p");
    expectTypeOf(new ObservableSource(p, "subject", new Subject<number>())).toEqualTypeOf<ObservableSource<number>>();
    expectTypeOf(new ObservableSource(p, "ticks", interval(1))).toEqualTypeOf<ObservableSource<number>>();
    expectTypeOf(new ObservableSource(p, "latest", new BehaviorSubject("x"))).toEqualTypeOf<ObservableSource<string>>();
  });

  it("reads rxjs interval (asynchronous values) and from (synchronous values) to their end", async () => {
    await using ticks = await deployed(interval(1).pipe(take(4)));
    expect(await withinDeadline(drain(ticks))).toEqual([0, 1, 2, 3]);
    await using listed = await deployed(from(["x", "y"]));
    expect(await drain(listed)).toEqual(["x", "y"]);
  });

  it("an observable that errors or completes at subscribe: the first pull fails or ends", async () => {
    await using failing = await deployed<number>(throwError(() => new Error("at once")));
    expect(((await rejectionOf(failing.pull())) as Error).cause).toEqual(new Error("at once"));
    await using empty = await deployed<number>(from([]));
    expect(empty.availablePulls()).toBe(0);
    expect(await rejectionOf(empty.pull())).toBeInstanceOf(EndOfStreamError);
  });
});

describe("ObservableSource: the bounded buffer", () => {
  it("one value over the capacity fails the next pull with SourceOverflowError (cell, capacity) and unsubscribes", async () => {
    const subject = new Subject<number>();
    await using p = await deployed(subject, { capacity: 3 });
    expect(p.source.capacity).toBe(3);
    for (let i = 0; i < 3; i++) subject.next(i);
    expect(p.source.buffered).toBe(3);
    expect(subject.observed).toBe(true);
    subject.next(3); // no room: the value is lost
    expect(subject.observed).toBe(false);
    const error = await rejectionOf(p.pull());
    expect(error).toBeInstanceOf(SourceOverflowError);
    expect((error as SourceOverflowError).cellPath).toBe("p.source");
    expect((error as SourceOverflowError).capacity).toBe(3);
    expect((error as Error).message).toContain('"p.source"');
    expect(await rejectionOf(p.pull())).toBeInstanceOf(EndOfStreamError);
  });

  it("the default capacity is 1024: a synchronous from() of more values overflows (an IterableSource would not)", async () => {
    await using fits = await deployed(from(Array.from({ length: 1024 }, (_, i) => i)));
    expect(fits.source.buffered).toBe(1024);
    await using overflows = await deployed(from(Array.from({ length: 1025 }, (_, i) => i)));
    expect(overflows.source.buffered).toBe(0);
    expect(await rejectionOf(overflows.pull())).toBeInstanceOf(SourceOverflowError);
  });

  it('overflow: "dropOldest" keeps the newest values and goes on', async () => {
    const subject = new Subject<number>();
    await using p = await deployed(subject, { capacity: 2, overflow: "dropOldest" });
    for (let i = 1; i <= 5; i++) subject.next(i);
    expect(subject.observed).toBe(true);
    expect(await pullValue(p)).toBe(4);
    expect(await pullValue(p)).toBe(5);
    subject.next(6);
    subject.complete();
    expect(await drain(p)).toEqual([6]);
  });

  it("refuses a capacity that is not a whole number of at least 1, and an unknown overflow", () => {
    const p = new Pipeline(null, "p");
    const subject = new Subject<number>();
    expect(thrownBy(() => new ObservableSource(p, "zero", subject, { capacity: 0 }))).toBeInstanceOf(InvalidArgumentError);
    expect(thrownBy(() => new ObservableSource(p, "half", subject, { capacity: 1.5 }))).toBeInstanceOf(InvalidArgumentError);
    const overflow = "block" as "error";
    expect(thrownBy(() => new ObservableSource(p, "block", subject, { overflow }))).toBeInstanceOf(InvalidArgumentError);
  });
});

describe("ObservableSource: subscription lifecycle", () => {
  it("subscribes on deploy, unsubscribes on undeploy", async () => {
    const subject = new Subject<number>();
    const p = new ObservablePipeline(null, "p");
    p.source.setSource(subject);
    expect(subject.observed).toBe(false);
    await p.deploy();
    expect(subject.observed).toBe(true);
    await p.undeploy();
    expect(subject.observed).toBe(false);
  });

  it("values a Subject emits before deploy are not seen; a ReplaySubject or BehaviorSubject replays them", async () => {
    const subject = new Subject<number>();
    subject.next(1);
    await using hot = await deployed(subject);
    subject.next(2);
    subject.complete();
    expect(await drain(hot)).toEqual([2]);

    const replay = new ReplaySubject<number>();
    replay.next(1);
    replay.next(2);
    replay.complete();
    await using replayed = await deployed(replay);
    expect(await drain(replayed)).toEqual([1, 2]);

    const latest = new BehaviorSubject<string>("initial");
    await using behaviour = await deployed(latest);
    latest.next("next");
    latest.complete();
    expect(await drain(behaviour)).toEqual(["initial", "next"]);
  });

  it("values emitted between deploy and the first pull wait in the buffer", async () => {
    const subject = new Subject<number>();
    await using p = await deployed(subject);
    subject.next(1);
    subject.next(2);
    expect(p.source.buffered).toBe(2);
    expect(await pullValue(p)).toBe(1);
  });

  it("reset drops the buffered values and subscribes again: a cold observable starts over", async () => {
    await using p = await deployed(from([1, 2, 3]));
    expect(await pullValue(p)).toBe(1);
    await p.reset();
    expect(await drain(p)).toEqual([1, 2, 3]);

    const subject = new Subject<number>();
    await using hot = await deployed(subject);
    subject.next(1);
    await hot.reset();
    expect(subject.observed).toBe(true);
    expect(hot.source.buffered).toBe(0);
    subject.next(2);
    expect(await pullValue(hot)).toBe(2);
  });

  it("a pull waiting for a value is cut short by undeploy (AbortedError) and the subject is left", async () => {
    const subject = new Subject<number>();
    const p = await deployed(subject);
    const waiting = p.pull();
    await p.undeploy();
    expect(await withinDeadline(rejectionOf(waiting))).toBeInstanceOf(AbortedError);
    expect(subject.observed).toBe(false);
  });

  it("a source without an observable is not deployable; setSource is refused while deployed", async () => {
    const p = new ObservablePipeline(null, "p");
    expect(p.isDeployable().reasons).toEqual([
      'ObservableSource("p.source") has no source: pass one to its constructor or call setSource() before deploy',
    ]);
    expect(await rejectionOf(p.deploy())).toBeInstanceOf(NotDeployableError);
    p.source.setSource(new Subject<number>());
    await p.deploy();
    expect(thrownBy(() => p.source.setSource(new Subject<number>()))).toBeInstanceOf(AlreadyDeployedError);
    await p.undeploy();
  });

  it("as the inner cell of a scalable cell, scaleUp refuses it (CellConstructorError): clones cannot get the observable", async () => {
    class ScaledSource extends ScalableCell {
      readonly source = new ObservableSource(this, "source", new Subject<number>());
      readonly output = new OutputPort<number>(this, "output");
      constructor(parent: CompositeCell | null, name: string) {
        super(parent, name);
        new Connection(this.source.output, this.output);
      }
    }
    const error = await rejectionOf(Promise.resolve().then(() => new ScaledSource(null, "scaled").scaleUp(1)));
    expect(error).toBeInstanceOf(CellConstructorError);
    expect((error as CellConstructorError).declaredBy).toBe("ObservableSource");
  });

  it("takes any object with subscribe(observer) returning something to unsubscribe (no RxJS)", async () => {
    let unsubscribed = false;
    const minimal: ObservableLike<string> = {
      subscribe(observer) {
        if (typeof observer === "function") throw new Error("the source passes an observer object");
        observer.next("hand-made");
        observer.complete();
        return { unsubscribe: () => (unsubscribed = true) };
      },
    };
    const p = await deployed(minimal);
    expect(await drain(p)).toEqual(["hand-made"]);
    expect(unsubscribed).toBe(true); // it completed inside subscribe(): unsubscribed right after
    await p.undeploy();
  });
});

/** A split of `values` into consecutive chunks, each with whether the producer waits for the consumer after it. */
const chunked = fc
  .array(fc.integer(), { maxLength: 60 })
  .chain((values) =>
    fc
      .array(fc.tuple(fc.integer({ min: 0, max: 8 }), fc.boolean()), { minLength: 1, maxLength: values.length + 1 })
      .map((cuts) => ({ values, chunks: split(values, cuts) })),
  );

function split(values: number[], cuts: Array<[size: number, wait: boolean]>): Array<{ values: number[]; wait: boolean }> {
  const chunks: Array<{ values: number[]; wait: boolean }> = [];
  let at = 0;
  for (const [size, wait] of cuts) {
    chunks.push({ values: values.slice(at, at + size), wait });
    at += size;
  }
  if (at < values.length) chunks.push({ values: values.slice(at), wait: false });
  return chunks;
}

describe("ObservableSource: chunks between pulls (property)", () => {
  it("whatever chunks a Subject emits between pulls, the pipeline delivers exactly the values in order, then ends", async () => {
    await fc.assert(
      fc.asyncProperty(chunked, async ({ values, chunks }) => {
        const subject = new Subject<number>();
        const p = await deployed(subject);
        try {
          const got: number[] = [];
          let wake = (): void => undefined;
          // The consumer pulls to the end of the stream, telling the producer of each value.
          const consuming = (async () => {
            for await (const record of p) {
              got.push(record.value);
              wake();
            }
          })();
          let sent = 0;
          for (const chunk of chunks) {
            for (const value of chunk.values) subject.next(value);
            sent += chunk.values.length;
            // Either the consumer catches up (its next pull then waits for a value) or values pile up.
            while (chunk.wait && got.length < sent) {
              await withinDeadline(new Promise<void>((resolve) => (wake = resolve)), 2_000);
            }
          }
          subject.complete();
          await withinDeadline(consuming, 2_000);
          expect(got).toEqual(values);
          expect(await rejectionOf(p.pull())).toBeInstanceOf(EndOfStreamError);
        } finally {
          await p.undeploy();
        }
      }),
      { numRuns: 200 },
    );
  });
});
