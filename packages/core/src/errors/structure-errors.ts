import { CellflowError } from "./cellflow-error.js";

/** A cell or IO name is empty, contains a dot, or is already taken in its scope. */
export class InvalidNameError extends CellflowError {}

/** A connection was made between two IO that may not be connected (see the message for both ends). */
export class InvalidConnectionError extends CellflowError {}

/** An input, port or parameter already has an incoming connection. */
export class AlreadyConnectedError extends CellflowError {}

/** A structural invariant of a cell does not hold; `reasons` lists every violation found. */
export class InvalidCellError extends CellflowError {
  constructor(readonly reasons: readonly string[]) {
    super(`Invalid cell structure:\n  - ${reasons.join("\n  - ")}`);
  }
}

/** An IO was declared on a cell that cannot hold it (e.g. an `Output` on a pipeline: use an `OutputPort`). */
export class InvalidIOError extends CellflowError {}
