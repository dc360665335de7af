import { CellNotLocatableError, CellPullError, DataCloneError, DeployInCloneError, EndOfStreamError } from "../../errors/runtime-errors.js";
import type { SerializedError } from "./protocol.js";

/** Flattens an error (and its causes) into plain data that survives postMessage. */
export function serializeError(error: unknown, depth = 0): SerializedError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const cause = (error as { cause?: unknown }).cause;
  return {
    name: error.name,
    message: error.message,
    ...(error.stack !== undefined ? { stack: error.stack } : {}),
    ...(error instanceof CellPullError || error instanceof EndOfStreamError || error instanceof DeployInCloneError
      ? { cellPath: error.cellPath }
      : {}),
    ...(cause !== undefined && depth < 4 ? { cause: serializeError(cause, depth + 1) } : {}),
  };
}

/**
 * Errors that keep their class across the boundary (message and the clone's stack): the
 * engine's own, and JavaScript's built-in ones, so `cause instanceof RangeError` holds as
 * with async clones. Other classes (a cell's own error types) arrive as `Error` with
 * their `name`, message and stack: a class cannot be sent, only rebuilt from a name.
 */
const typed: Record<string, new (message: string) => Error> = {
  DataCloneError,
  CellNotLocatableError,
  RangeError,
  TypeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * Rebuilds a thrown error on the parent's side: a CellPullError stays one (same path,
 * the clone's error with its stack as `cause`), a DataCloneError or
 * CellNotLocatableError stays one; anything else becomes an Error with the name,
 * message and stack.
 */
export function deserializeError(data: SerializedError): Error {
  if (data.name === "CellPullError" && data.cellPath !== undefined && data.cause !== undefined) {
    return new CellPullError(data.cellPath, deserializeError(data.cause));
  }
  // A finite stream inside the clone (a pipeline's own source) ends the stream here too.
  const rebuilt =
    data.cellPath === undefined
      ? undefined
      : data.name === "EndOfStreamError"
        ? new EndOfStreamError(data.cellPath)
        : data.name === "DeployInCloneError"
          ? new DeployInCloneError(data.cellPath)
          : undefined;
  if (rebuilt !== undefined) {
    if (data.stack !== undefined) rebuilt.stack = data.stack; // where it happened, in the clone
    return rebuilt;
  }
  const Typed = Object.hasOwn(typed, data.name) ? typed[data.name]! : Error;
  const error = new Typed(data.message);
  error.name = data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  if (data.cause !== undefined) (error as { cause?: unknown }).cause = deserializeError(data.cause);
  return error;
}
