import { CellflowError } from "../errors/cellflow-error.js";
import { CellPullError, CloneCrashedError } from "../errors/runtime-errors.js";
import type { CloneHandle } from "./clone-method.js";
import type { PortValues, ScalableContext } from "./scaling-strategy.js";

/** An item whose inputs were pulled: its queue ticket and the scalable cell's input values. */
export interface Claim {
  readonly ticket: number;
  readonly inputs: PortValues;
  /** How many clones died running this item so far. */
  crashes: number;
}

export type Outcome = { readonly outputs: PortValues } | { readonly error: unknown };

/** What a manager needs from its queue strategy. */
export interface ClaimSource {
  /** Reserves a ticket and pulls the inputs, one manager at a time; null: stop. */
  claim(manager: CloneManager): Promise<Claim | null | "retry">;
  complete(ticket: number, outcome: Outcome): void;
  /**
   * This manager's clone died running `claim` (null: the item already failed for good).
   * Returns a replacement clone to run it again, or null when the strategy dropped the
   * clone and took the claim over for another manager (this manager then stops).
   */
  cloneCrashed(manager: CloneManager, claim: Claim | null, error: CloneCrashedError): Promise<CloneHandle | null>;
}

/** After this many clones died on one item, the item fails instead of killing more clones. */
export const MAX_CRASHES_PER_ITEM = 3;

/**
 * Feeds one clone: claim an item (ticket + inputs), run it on the clone, store the
 * result in the ticket's slot, repeat until asked to stop. A stop request lets the
 * current item finish first, so scaling down loses nothing; a clone that dies has its
 * item run again, so a crash loses nothing either.
 */
export class CloneManager {
  private stopRequested = false;
  private appliedParameters: number;
  /** Resolves when the loop has exited (it never rejects). */
  readonly stopped: Promise<void>;

  constructor(
    public handle: CloneHandle,
    private readonly context: ScalableContext,
    private readonly source: ClaimSource,
    firstClaim: Claim | null = null,
  ) {
    this.appliedParameters = context.parameterVersion;
    this.stopped = this.loop(firstClaim);
  }

  get isStopping(): boolean {
    return this.stopRequested;
  }

  requestStop(): void {
    this.stopRequested = true;
  }

  private async loop(firstClaim: Claim | null): Promise<void> {
    let pendingClaim = firstClaim;
    while (pendingClaim !== null || !this.stopRequested) {
      let claim: Claim | null | "retry" = pendingClaim;
      pendingClaim = null;
      if (claim === null) {
        try {
          claim = await this.source.claim(this);
        } catch {
          return; // aborted by undeploy or reset
        }
      }
      if (claim === null) return;
      if (claim === "retry") continue;
      const outcome = await this.process(claim);
      if (!(outcome instanceof CloneCrashedError)) {
        this.source.complete(claim.ticket, outcome);
        continue;
      }
      claim.crashes++;
      const giveUp = claim.crashes >= MAX_CRASHES_PER_ITEM;
      if (giveUp) this.source.complete(claim.ticket, { error: outcome });
      const replacement = await this.source.cloneCrashed(this, giveUp ? null : claim, outcome);
      if (replacement === null) return;
      this.handle = replacement;
      this.appliedParameters = this.context.parameterVersion;
      pendingClaim = giveUp ? null : claim;
    }
  }

  private async process(claim: Claim): Promise<Outcome | CloneCrashedError> {
    const inputs = claim.inputs;
    try {
      if (this.appliedParameters !== this.context.parameterVersion) {
        const version = this.context.parameterVersion;
        await this.handle.applyParameters(this.context.templateParameters());
        this.appliedParameters = version;
      }
      const cloneInputs: PortValues = {};
      for (const name of this.context.shape.inputs) cloneInputs[name] = inputs[name];
      const outputs = await this.handle.run(cloneInputs);
      for (const [output, input] of this.context.shape.skips) outputs[output] = inputs[input];
      return { outputs };
    } catch (error) {
      if (error instanceof CloneCrashedError) return error;
      return { error: error instanceof CellflowError ? error : new CellPullError(this.context.path, error) };
    }
  }
}
