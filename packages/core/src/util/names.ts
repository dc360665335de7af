import { InvalidNameError } from "../errors/structure-errors.js";

/** Names build dotted paths (`pipeline.cell.output`), so they must be non-empty and dot-free. */
export function assertValidName(name: unknown, what: string): asserts name is string {
  if (typeof name !== "string" || name.length === 0 || name.includes(".")) {
    throw new InvalidNameError(`Invalid ${what} name ${JSON.stringify(name)}: use a non-empty string without dots.`);
  }
}
