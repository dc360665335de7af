/**
 * Writing a clone method with `@cellflow/core/clone-methods` alone (issue #9: the clone
 * method interface lives in its own subpath): a method that decorates local clones,
 * registered under a new name, serves `scaleUp` beside the built-in methods with the same
 * ordering and exactly-once rules, and gets the template's parameters.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  createLocalClone,
  registerCloneMethod,
  type CloneHandle,
  type CloneRecipe,
} from "@cellflow/core/clone-methods";
import * as main from "@cellflow/core";
import { line, pullEach } from "./cells.js";

/** Items each counted clone ran, by clone number. */
const ranBy = new Map<number, number>();
let made = 0;

class CountedClone implements CloneHandle {
  readonly method = "counted";
  readonly #inner: CloneHandle;
  readonly #id = made++;
  constructor(recipe: CloneRecipe) {
    this.#inner = createLocalClone(recipe);
  }
  deploy() {
    return this.#inner.deploy();
  }
  async run(inputs: Readonly<Record<string, unknown>>) {
    ranBy.set(this.#id, (ranBy.get(this.#id) ?? 0) + 1);
    return this.#inner.run(inputs);
  }
  applyParameters(parameters: Parameters<CloneHandle["applyParameters"]>[0]) {
    return this.#inner.applyParameters(parameters);
  }
  reset() {
    return this.#inner.reset();
  }
  undeploy() {
    return this.#inner.undeploy();
  }
}

registerCloneMethod({ name: "counted", create: (recipe) => new CountedClone(recipe) });

afterEach(() => {
  ranBy.clear();
});

describe("a clone method written with @cellflow/core/clone-methods", () => {
  it("keeps the clone-method interface out of the main entry point", () => {
    expect("registerCloneMethod" in main).toBe(false);
    expect("createLocalClone" in main).toBe(false);
  });

  it("serves scaleUp beside async clones: every item once, in order, run by the new clones, with the template's parameters", async () => {
    const { p, scalable, sink, template } = line((x, self) => 2 * x * self.factor.getValue());
    template.factor.setValue(5);
    scalable.scaleUp(2, "counted");
    scalable.scaleUp(1, "async");
    await p.deploy();
    try {
      await pullEach(p, 30);
      expect(sink.values).toEqual(Array.from({ length: 30 }, (_, i) => 10 * i));
      expect(scalable.cloneCount).toBe(3);
    } finally {
      await p.undeploy();
    }
    // Both counted clones ran items (three clones share 30 items and more read ahead).
    expect(ranBy.size).toBe(2);
    for (const items of ranBy.values()) expect(items).toBeGreaterThan(0);
  });
});
