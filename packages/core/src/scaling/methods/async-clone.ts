import { CloneHost } from "../clone-host.js";
import { registerCloneMethod, type CloneHandle, type CloneMethod, type CloneRecipe } from "../clone-method.js";
import { applyParameters, type ParameterValue } from "../clone-settings.js";

/**
 * A clone in the caller's own event loop: no thread, no copy of the values. The right
 * choice for I/O-bound cells (requests, timers, disk), where the clones overlap while
 * they wait; CPU-bound work gains nothing from it.
 */
class AsyncClone implements CloneHandle {
  readonly method = "async";
  private readonly host: CloneHost;

  constructor(recipe: CloneRecipe) {
    this.host = CloneHost.build(recipe.shape, recipe.innerClass, recipe.settings, recipe.lane);
  }

  deploy(): Promise<void> {
    return this.host.deploy();
  }

  run(inputs: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    return this.host.run(inputs);
  }

  async applyParameters(parameters: readonly ParameterValue[]): Promise<void> {
    applyParameters(this.host.clone, parameters);
  }

  reset(): Promise<void> {
    return this.host.reset();
  }

  async undeploy(): Promise<void> {
    if (this.host.isDeployed) await this.host.undeploy();
  }
}

/**
 * A clone built from `recipe` in this event loop, as the "async" method makes them: what
 * a clone method wraps when it runs items here on behalf of somewhere else (a worker
 * serving a queue, say), or decorates (counting, tracing).
 */
export function createLocalClone(recipe: CloneRecipe): CloneHandle {
  return new AsyncClone(recipe);
}

export const asyncCloneMethod: CloneMethod = {
  name: "async",
  create: createLocalClone,
};

registerCloneMethod(asyncCloneMethod);
