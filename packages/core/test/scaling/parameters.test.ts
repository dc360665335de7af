/**
 * SPEC 2.6 + 3 — parameters set on the inner (template) cell reach every clone: config
 * parameters set before deploy are readable in each clone's `onDeploy`; a runtime
 * parameter set while running reaches every clone before that clone's next item.
 */
import { describe, expect, it } from "vitest";
import { AlreadyDeployedError } from "@cellflow/core";
import { thrownBy } from "../helpers.js";
import { line, sleep, yields } from "./cells.js";

describe("parameters of the inner cell", () => {
  it("config parameters set on the template before deploy reach every clone's onDeploy", async () => {
    const { p, scalable, stats, template } = line();
    template.label.setValue("from the template");
    await scalable.scaleUp(3);
    await p.deploy();
    const clones = stats.instances.filter((w) => w !== template);
    expect(clones).toHaveLength(3);
    expect(clones.map((c) => c.labelAtDeploy)).toEqual(["from the template", "from the template", "from the template"]);
    // Config is fixed while deployed, on the template too.
    expect(thrownBy(() => template.label.setValue("later"))).toBeInstanceOf(AlreadyDeployedError);
    // Clones added at runtime get it as well.
    await scalable.scaleUp(1);
    expect(stats.instances.at(-1)!.labelAtDeploy).toBe("from the template");
    await p.undeploy();
  });

  it("runtime parameters set before deploy are used from the first item", async () => {
    const { p, scalable, sink, template } = line((x, self) => x * self.factor.getValue());
    template.factor.setValue(7);
    await scalable.scaleUp(2);
    await p.deploy();
    for (let i = 0; i < 4; i++) await p.pull();
    expect(sink.values).toEqual([0, 7, 14, 21]);
    await p.undeploy();
  });

  it("a runtime parameter set while running reaches every clone before its next item", async () => {
    const { p, scalable, sink, stats, template } = line(async (x, self) => {
      await (x % 3 === 0 ? sleep(1) : yields(x % 4));
      return x * self.factor.getValue();
    });
    await scalable.scaleUp(3);
    await p.deploy();
    for (let i = 0; i < 6; i++) await p.pull();
    const clones = stats.instances.filter((w) => w !== template);
    // Runs already started (or finished) keep the old value; every later run sees the new one.
    const runsAtChange = clones.map((c) => c.factors.length);
    template.factor.setValue(10);
    for (let i = 0; i < 24; i++) await p.pull();
    clones.forEach((clone, i) => {
      const later = clone.factors.slice(runsAtChange[i]);
      expect(later.length, `clone ${i} ran again`).toBeGreaterThan(0);
      expect(later.every((f) => f === 10), `clone ${i}: ${clone.factors.join(",")}`).toBe(true);
    });
    // In the output: a prefix with factor 1 (items queued before the change), then only 10.
    const factors = sink.values.map((v, i) => (i === 0 ? null : v / i));
    const firstNew = factors.indexOf(10);
    expect(firstNew).toBeGreaterThanOrEqual(6);
    expect(factors.slice(1, firstNew).every((f) => f === 1)).toBe(true);
    expect(factors.slice(firstNew).every((f) => f === 10)).toBe(true);
    await p.undeploy();
  });

  it("a change reaches a clone that sits idle waiting for room, before it runs its next item", async () => {
    const { p, scalable, sink, stats, template } = line((x, self) => x + self.factor.getValue());
    scalable.queueCapacity.setValue(2);
    await scalable.scaleUp(2);
    await p.deploy();
    await scalable.whenIdle(); // the queue is full: both clones wait for room
    expect(stats.finished.length).toBe(2);
    template.factor.setValue(100);
    for (let i = 0; i < 5; i++) await p.pull();
    // Items 0 and 1 were done before the change; every item after it uses the new value.
    expect(sink.values).toEqual([1, 2, 102, 103, 104]);
    await p.undeploy();
  });
});
