import { CellflowError } from "../errors/cellflow-error.js";
import { CellPullError } from "../errors/runtime-errors.js";
import type { CloneHandle } from "./clone-method.js";
import type { PortValues, ScalableContext } from "./scaling-strategy.js";

/** An item whose inputs were pulled: its queue ticket and the scalable cell's input values. */
export interface Claim {
  readonly ticket: number;
  readonly inputs: PortValues;
}

/** What a manager needs from its queue strategy. */
export interface ClaimSource {
  /** Reserves a ticket and pulls the inputs, one manager at a time; null: stop. */
  claim(manager: CloneManager): Promise<Claim | null | "retry">;
  complete(ticket: number, outcome: { outputs: PortValues } | { error: unknown }): void;
}

/**
 * Feeds one clone: claim an item (ticket + inputs), run it on the clone, store the
 * result in the ticket's slot, repeat until asked to stop. A stop request lets the
 * current item finish first, so scaling down loses nothing.
 */
export class CloneManager {
  private stopRequested = false;
  private appliedParameters: number;
  /** Resolves when the loop has exited (it never rejects). */
  readonly stopped: Promise<void>;

  constructor(
    readonly handle: CloneHandle,
    private readonly context: ScalableContext,
    private readonly source: ClaimSource,
  ) {
    this.appliedParameters = context.parameterVersion;
    this.stopped = this.loop();
  }

  get isStopping(): boolean {
    return this.stopRequested;
  }

  requestStop(): void {
    this.stopRequested = true;
  }

  private async loop(): Promise<void> {
    while (!this.stopRequested) {
      let claim: Claim | null | "retry";
      try {
        claim = await this.source.claim(this);
      } catch {
        return; // aborted by undeploy or reset
      }
      if (claim === null) return;
      if (claim === "retry") continue;
      this.source.complete(claim.ticket, await this.process(claim.inputs));
    }
  }

  private async process(inputs: PortValues): Promise<{ outputs: PortValues } | { error: unknown }> {
    try {
      if (this.appliedParameters !== this.context.parameterVersion) {
        const version = this.context.parameterVersion;
        await this.handle.applyParameters(this.context.templateParameters());
        this.appliedParameters = version;
      }
      const clonesInputs: PortValues = {};
      for (const name of this.context.shape.inputs) clonesInputs[name] = inputs[name];
      const outputs = await this.handle.run(clonesInputs);
      for (const [output, input] of this.context.shape.skips) outputs[output] = inputs[input];
      return { outputs };
    } catch (error) {
      return { error: error instanceof CellflowError ? error : new CellPullError(this.context.path, error) };
    }
  }
}
