import { CellflowError } from "./cellflow-error.js";
import { describe } from "./lifecycle-errors.js";

/**
 * User code in a cell threw while the cell was pulled. `cellPath` names the cell, the
 * original error is the `cause`. The pipeline stays usable: pull again for the next item.
 */
export class CellPullError extends CellflowError {
  constructor(
    readonly cellPath: string,
    cause: unknown,
  ) {
    super(`Cell "${cellPath}" failed while being pulled: ${describe(cause)}`, { cause });
  }
}

/** A finite source has no pulls left; pulling past the end of the stream raises this. */
export class EndOfStreamError extends CellflowError {
  constructor(readonly cellPath: string) {
    super(`Cell "${cellPath}" has reached the end of its stream: no pulls left.`);
  }
}

/** An input or parameter was pulled while it has neither an incoming connection nor a value. */
export class NoValueError extends CellflowError {}

/** A cell's pull finished without setting an output that a connection was waiting for. */
export class OutputNotSetError extends CellflowError {}

/** A scalable cell was pulled while it has no clones to do the work. */
export class InactiveError extends CellflowError {
  constructor(readonly cellPath: string) {
    super(
      `Scalable cell "${cellPath}" is pulled but has no active clones to do its work. ` +
        `Scale it up first, e.g. cell.scaleUp(1) (before or after deploy).`,
    );
  }
}

/** A clone method name passed to `scaleUp` is not registered. */
export class UnknownCloneMethodError extends CellflowError {}

/** An argument is out of range or of the wrong kind (e.g. `scaleUp(0)`). */
export class InvalidArgumentError extends CellflowError {}

/** A cell must be rebuilt elsewhere (thread, process, remote) but its module is not known. */
export class CellNotLocatableError extends CellflowError {}

/** The thread or process running a clone died; its in-flight item is run again elsewhere. */
export class CloneCrashedError extends CellflowError {
  constructor(
    readonly cellPath: string,
    readonly method: string,
    readonly detail: string,
  ) {
    super(`A "${method}" clone of "${cellPath}" died: ${detail}`);
  }
}

/** A value cannot cross to or from a thread or process clone (it is not structured-cloneable). */
export class DataCloneError extends CellflowError {}

/**
 * A root pipeline was deployed inside a thread or process clone: the module that defines
 * the clone's cell also runs the program, so every clone would run it again and start
 * clones of its own. The message names the fix.
 */
export class DeployInCloneError extends CellflowError {
  constructor(readonly cellPath: string) {
    super(
      `"${cellPath}" was deployed inside a thread or process clone. The clone imported the module that defines ` +
        `its cell, and that module also runs the program, so every clone would run it again and start clones of ` +
        `its own. Run the program's top-level code only when the file is the entry point, e.g. ` +
        `if (import.meta.url === pathToFileURL(process.argv[1]).href) { ... } (pathToFileURL from "node:url"), ` +
        `or move the cells and their registerCells line to a module of their own.`,
    );
  }
}

/**
 * A scalable cell's inner cell has a constructor that takes more than `(parent, name)`.
 * Clones are rebuilt as `new Class(parent, name)`, so they would silently run without the
 * other arguments. Thrown by `scaleUp`; the message names the fix (a parameter set on the
 * inner cell, whose value every clone copies, or a subclass with a two-argument constructor).
 */
export class CellConstructorError extends CellflowError {
  constructor(
    readonly cellPath: string,
    readonly className: string,
    /** The class whose constructor declares the extra arguments (the inner cell's class or an ancestor). */
    readonly declaredBy: string,
    readonly argumentCount: number,
  ) {
    const whose = declaredBy === className ? "whose constructor" : `whose constructor (inherited from ${declaredBy})`;
    super(
      `Cannot scale the inner cell "${cellPath}": it is a ${className}, ${whose} takes ${argumentCount} arguments, ` +
        `but clones are rebuilt as new ${className}(parent, name), so the constructor arguments after the name ` +
        `would be lost in every clone. Make each such value a parameter of ${declaredBy} instead, a ConfigParameter ` +
        `(or a RuntimeParameter), e.g. readonly factor = new ConfigParameter<number>(this, "factor"), and set it on ` +
        `the inner cell, e.g. ${cellPath}.factor.setValue(10) before deploy: clones copy every parameter value ` +
        `of the inner cell. Or scale a subclass whose constructor takes only (parent, name) and passes the values on: ` +
        `class My${declaredBy} extends ${declaredBy} { constructor(parent, name) { super(parent, name, ...); } }.`,
    );
  }
}

