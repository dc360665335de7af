import { CellflowError } from "./cellflow-error.js";

/**
 * The engine cannot decide which connections of a cycle are recurrent. `connections`
 * lists the candidates; mark them explicitly with `{ recurrent: true | false }`.
 */
export class IndeterminableTopologyError extends CellflowError {
  constructor(
    readonly cellPath: string,
    readonly connections: readonly string[],
    reason: string,
  ) {
    super(
      `Cannot determine the topology of "${cellPath}": ${reason}\n` +
        `  Connections involved:\n    ${connections.join("\n    ")}\n` +
        `  Fix: mark which of them carry the previous iteration's value, e.g. ` +
        `new Connection(a, b, { recurrent: true }), and which do not ({ recurrent: false }). ` +
        `A recurrent connection must leave an output that has an initialValue.`,
    );
  }
}
