/**
 * SPEC 3.3 — `queueCapacity` bounds how many items a scalable cell has in flight or
 * waiting (reserved or filled, not taken). Its default ("auto") grows with the clone
 * count, so adding clones adds concurrency (PyPipeline's fixed 2 capped 4 clones at the
 * speed of 2); an explicit number is honoured exactly. Observed through counts only:
 * clone runs in progress at once, and source pulls ahead of the consumer.
 */
import { describe, expect, it } from "vitest";
import { AlreadyDeployedError } from "@cellflow/core";
import { thrownBy } from "../helpers.js";
import { Gate, line } from "./cells.js";

/** Clones that block on a gate: how many run at once when nobody consumes? */
async function concurrencyWith(clones: number, capacity?: number) {
  const gate = new Gate();
  const { p, source, scalable, stats } = line(async (x) => {
    await gate.wait();
    return x;
  });
  if (capacity !== undefined) scalable.queueCapacity.setValue(capacity);
  await scalable.scaleUp(clones);
  await p.deploy();
  // The gate holds the items: idle apart from them, every clone that can get an item has one.
  await scalable.whenIdle({ whileWaiting: true });
  const running = stats.running;
  const pulled = source.pulls;
  gate.open();
  await p.undeploy();
  return { running, pulled };
}

/** Instant clones and no consumer: how far does the source get ahead? */
async function aheadWith(clones: number, capacity?: number) {
  const { p, source, scalable, sink } = line();
  if (capacity !== undefined) scalable.queueCapacity.setValue(capacity);
  await scalable.scaleUp(clones);
  await p.deploy();
  await scalable.whenIdle();
  const before = source.pulls;
  // Consuming k items lets the source run exactly k further ahead.
  for (let i = 0; i < 3; i++) await p.pull();
  await scalable.whenIdle();
  const after = source.pulls;
  expect(after - before).toBe(3);
  expect(sink.values).toEqual([0, 1, 2]);
  await p.undeploy();
  return before;
}

describe("queueCapacity", () => {
  it('"auto" lets every clone work at once, for any clone count', async () => {
    for (const clones of [1, 2, 3, 5]) {
      const { running, pulled } = await concurrencyWith(clones);
      expect(running, `${clones} clones`).toBe(clones);
      expect(pulled, `${clones} clones`).toBe(clones); // one item per clone, none lost or doubled
    }
  });

  it('"auto" grows with the clone count and stays bounded', async () => {
    const ahead: number[] = [];
    for (const clones of [1, 2, 3, 4, 5]) ahead.push(await aheadWith(clones));
    for (let i = 0; i < ahead.length; i++) {
      expect(ahead[i]!).toBeGreaterThanOrEqual(i + 1); // at least one per clone
      expect(Number.isFinite(ahead[i]!)).toBe(true);
      if (i > 0) expect(ahead[i]!).toBeGreaterThanOrEqual(ahead[i - 1]!);
    }
    expect(ahead[4]!).toBeGreaterThan(ahead[0]!);
  });

  it("an explicit capacity is honoured exactly, below and above the clone count", async () => {
    expect(await aheadWith(4, 3)).toBe(3);
    expect(await aheadWith(1, 6)).toBe(6);
    expect(await aheadWith(2, 1)).toBe(1);
    // Capacity below the clone count caps the clones that can work at once.
    const capped = await concurrencyWith(4, 2);
    expect(capped.running).toBe(2);
    expect(capped.pulled).toBe(2);
  });

  it('"auto" capacity follows scaling at runtime', async () => {
    const { p, source, scalable } = line();
    await scalable.scaleUp(1);
    await p.deploy();
    await scalable.whenIdle();
    const withOne = source.pulls;
    await scalable.scaleUp(3);
    await scalable.whenIdle();
    const withFour = source.pulls;
    expect(withFour).toBeGreaterThan(withOne);
    await p.undeploy();
  });

  it("is a config parameter: fixed while deployed", async () => {
    const { p, source, scalable } = line();
    await scalable.scaleUp(1);
    await p.deploy();
    expect(thrownBy(() => scalable.queueCapacity.setValue(4))).toBeInstanceOf(AlreadyDeployedError);
    await p.undeploy();
    scalable.queueCapacity.setValue(4); // fine again once undeployed, and used by the next deploy
    const before = source.pulls;
    await p.deploy();
    await scalable.whenIdle();
    expect(source.pulls - before).toBe(4);
    await p.undeploy();
  });
});
