import * as internal from "../cells/internal-members.js";
import type { Cell } from "../cells/cell.js";
import { AlreadyDeployedError } from "../errors/lifecycle-errors.js";
import type { ReceiverOptions } from "./inbox.js";
import { Input } from "./input.js";

/**
 * A value fixed for a deployment: set it before `deploy()`, read it in `onDeploy`
 * with `getValue()`. Setting it while deployed throws. It may also have an incoming
 * connection, in which case `pull()` reads it like an input.
 */
export class ConfigParameter<T> extends Input<T> {
  constructor(cell: Cell, name: string, options: ReceiverOptions<T> = {}) {
    super(cell, name, options, "config");
  }

  setValue(value: T): void {
    if (this.cell.root.isDeployed) {
      throw new AlreadyDeployedError(
        `Config parameter "${this.path}" cannot change while "${this.cell.root.path}" is deployed: ` +
          `undeploy first, or make it a RuntimeParameter.`,
      );
    }
    this.inbox.set(value);
    this.cell[internal.noteParameterChanged]();
  }
}

/**
 * A value that may change while the pipeline runs: `setValue()` at any time, and the
 * cell sees it at its next pull. On the inner cell of a scalable cell, every item claimed
 * (inputs pulled) after the change runs with it, on every clone, wherever it runs; items
 * claimed before keep the value of their claim.
 */
export class RuntimeParameter<T> extends Input<T> {
  constructor(cell: Cell, name: string, options: ReceiverOptions<T> = {}) {
    super(cell, name, options, "runtime");
  }

  setValue(value: T): void {
    this.inbox.set(value);
    this.cell[internal.noteParameterChanged]();
  }
}

/** Either kind of parameter. */
export type Parameter<T> = ConfigParameter<T> | RuntimeParameter<T>;
