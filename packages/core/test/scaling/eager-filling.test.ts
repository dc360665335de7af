/**
 * SPEC 3.4 — eager filling: after deploy, the clone managers start filling the queue at
 * once, before anyone pulls the pipeline, limited only by capacity and input speed.
 */
import { describe, expect, it } from "vitest";
import { line, sleep } from "./cells.js";

describe("eager filling", () => {
  it("pulls the source and runs clones before the first pipeline.pull(), up to capacity", async () => {
    const { p, source, scalable, sink, stats, template } = line((x) => x * 2);
    scalable.queueCapacity.setValue(3);
    await scalable.scaleUp(2);
    await p.deploy();
    await scalable.whenIdle();
    expect(source.pulls).toBe(3);
    const clones = stats.instances.filter((w) => w !== template);
    // The clones already did the work: the first pulls only take finished items.
    expect(clones.flatMap((c) => c.seen).sort()).toEqual([0, 1, 2]);
    expect(sink.values).toEqual([]);
    await p.pull();
    expect(sink.values).toEqual([0]);
    await scalable.whenIdle();
    expect(source.pulls).toBe(4); // one taken, one more admitted
    await p.undeploy();
  });

  it("a slow consumer finds its items ready: pulls do not wait for the clones", async () => {
    const { p, source, scalable, sink, stats } = line(async (x) => {
      await sleep(2);
      return x;
    });
    scalable.queueCapacity.setValue(4);
    await scalable.scaleUp(2);
    await p.deploy();
    await scalable.whenIdle(); // the queue is full and the clones are done
    expect(source.pulls).toBe(4);
    expect(stats.running).toBe(0);
    const runsBefore = stats.finished.length;
    // The four queued items come out without any clone running meanwhile being needed.
    for (let i = 0; i < 4; i++) await p.pull();
    expect(sink.values).toEqual([0, 1, 2, 3]);
    expect(runsBefore).toBe(4);
    await p.undeploy();
  });

  it("fills no further than the input can deliver (finite source)", async () => {
    const { p, source, scalable, sink } = line((x) => x, { limit: 2 });
    scalable.queueCapacity.setValue(5);
    await scalable.scaleUp(3);
    await p.deploy();
    await scalable.whenIdle();
    expect(source.pulls).toBe(2);
    await p.pull();
    await p.pull();
    expect(sink.values).toEqual([0, 1]);
    await p.undeploy();
  });
});
