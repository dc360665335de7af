import { CloneCrashedError, InactiveError } from "../errors/runtime-errors.js";
import { asyncCloneMethod } from "./methods/async-clone.js";
import { runItem } from "./clone-item.js";
import type { CloneHandle } from "./clone-method.js";
import { isPromiseLike } from "../util/maybe-promise.js";
import {
  pullInputs,
  type ParameterSnapshot,
  type PortValues,
  type ScalableContext,
  type ScalingStrategy,
} from "./scaling-strategy.js";

/**
 * The no-scaling strategy, for debugging: one clone in the caller's event loop, run
 * inline by each pull. No queue, no eager filling, no concurrency: stack traces and
 * breakpoints behave as in a plain pipeline. Scaling calls only change the count.
 */
export class InlineStrategy implements ScalingStrategy {
  private clone: CloneHandle | null = null;
  /** The parameter values the clone holds (null: unknown, after an apply that failed). */
  private applied: ParameterSnapshot | null = null;
  private requested = 0;

  constructor(private readonly context: ScalableContext) {}

  get cloneCount(): number {
    return this.requested;
  }

  async start(methods: readonly string[]): Promise<void> {
    this.requested = methods.length;
    const parameters = this.context.parameters();
    this.clone = asyncCloneMethod.create(this.context.recipe(parameters));
    this.applied = parameters;
    await this.clone.deploy();
  }

  async next(): Promise<PortValues> {
    // Same contract as the queue strategy: no clones requested, no work done.
    if (this.requested === 0) throw new InactiveError(this.context.path);
    const clone = this.clone!;
    const pulled = pullInputs(this.context.inputPorts);
    const inputs = isPromiseLike(pulled) ? await pulled : pulled;
    // The values in force once the inputs are in, as the queue strategy's claims take them.
    const parameters = this.context.parameters();
    if (parameters !== this.applied) {
      this.applied = null;
      await clone.applyParameters(parameters.values);
      this.applied = parameters;
    }
    const result = await runItem(clone, this.context.shape, inputs);
    if (result instanceof CloneCrashedError) throw result; // for the type: an async clone never dies
    if ("error" in result) throw result.error;
    return result.outputs;
  }

  async addClones(methods: readonly string[]): Promise<void> {
    this.requested += methods.length;
  }

  async removeClones(count: number): Promise<void> {
    this.requested -= count;
  }

  halt(): void {}

  /** Nothing runs in the background: work happens only inside a pull. */
  async quiesce(): Promise<void> {}

  async reset(): Promise<void> {
    await this.clone?.reset();
  }

  resume(): void {}

  async stop(): Promise<void> {
    await this.clone?.undeploy();
    this.clone = null;
  }

  availablePulls(upstream: number): number {
    return upstream;
  }

  /** Always idle: nothing runs but inside a pull. */
  async whenIdle(): Promise<void> {}

  isIdle(): boolean {
    return true;
  }
}
