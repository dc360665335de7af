/**
 * Base class of every error cellflow throws. Catch this to tell engine errors from
 * errors of your own code; each subclass sets `name` so logs say what went wrong.
 */
export class CellflowError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
