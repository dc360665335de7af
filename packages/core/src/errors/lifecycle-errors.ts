import { CellflowError } from "./cellflow-error.js";

/** `deploy()` was called on a cell that is already deployed. */
export class AlreadyDeployedError extends CellflowError {}

/** A deployed-only operation (pull, undeploy, reset) was called on a cell that is not deployed. */
export class NotDeployedError extends CellflowError {}

/** `deploy()` refused because the cell is not deployable; `reasons` says why. */
export class NotDeployableError extends CellflowError {
  constructor(
    readonly cellPath: string,
    readonly reasons: readonly string[],
  ) {
    super(`Cell "${cellPath}" is not deployable:\n  - ${reasons.join("\n  - ")}`);
  }
}

/** `onDeploy` or `onUndeploy` of a cell threw; the original error is the `cause`. */
export class LifecycleHookError extends CellflowError {
  constructor(
    readonly cellPath: string,
    readonly hook: "onDeploy" | "onUndeploy" | "onReset",
    cause: unknown,
  ) {
    super(`${hook} of cell "${cellPath}" failed: ${describe(cause)}`, { cause });
  }
}

/** A wait inside the engine was cut short because the pipeline was undeployed or reset. */
export class AbortedError extends CellflowError {}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
