import type { CellClass } from "../cells/cell.js";
import type { Cell } from "../cells/cell.js";
import { Pipeline } from "../cells/pipeline.js";
import { Connection, type ConnectionSource, type ConnectionTarget } from "../connection/connection.js";
import { InvalidCellError } from "../errors/structure-errors.js";
import { InputPort, OutputPort } from "../io/ports.js";
import type { CloneShape, Endpoint } from "./clone-shape.js";
import { applyParameters, find, type CloneSettings } from "./clone-settings.js";

interface ScalableLike {
  scaleUp(times: number, method: string): unknown;
}

/**
 * A stand-in for the scalable cell, wherever a clone runs: a root pipeline with the
 * scalable cell's ports, wrapping one fresh instance of the inner cell's class. The
 * manager sets the input ports, pulls the host once, and reads the output ports.
 */
export class CloneHost extends Pipeline {
  readonly clone: Cell;
  private readonly fullPath: string;

  private constructor(shape: CloneShape, innerClass: CellClass) {
    super(null, "clone");
    this.fullPath = shape.scalablePath;
    for (const name of shape.inputs) new InputPort<unknown>(this, name);
    for (const name of shape.outputs) new OutputPort<unknown>(this, name);
    this.clone = new innerClass(this, shape.innerName);
    for (const link of shape.links) {
      new Connection(
        this.endpoint(link.from) as ConnectionSource<unknown>,
        this.endpoint(link.to) as ConnectionTarget<unknown>,
        link.recurrent === undefined ? {} : { recurrent: link.recurrent },
      );
    }
  }

  /** Builds the host and copies the template's settings onto the clone (not deployed yet). */
  static build(shape: CloneShape, innerClass: CellClass, settings: CloneSettings): CloneHost {
    const host = new CloneHost(shape, innerClass);
    applyParameters(host.clone, settings.parameters);
    for (const [path, methods] of settings.scaling) {
      const nested = find(host.clone, path) as unknown as ScalableLike;
      for (const method of methods) nested.scaleUp(1, method);
    }
    return host;
  }

  /** Clones report the scalable cell's real path in their errors. */
  override get path(): string {
    return this.fullPath;
  }

  /** Runs one item: input port values in, output port values out. */
  async run(inputs: Readonly<Record<string, unknown>>): Promise<Record<string, unknown>> {
    for (const port of this.receivers) (port as InputPort<unknown>).setValue(inputs[port.name]);
    await this.pull();
    return this.outputValues();
  }

  private endpoint(end: Endpoint) {
    const io = "port" in end ? this.io(end.port) : this.clone.io(end.io);
    if (io === undefined) throw new InvalidCellError([`a clone of "${this.fullPath}" lacks the IO ${JSON.stringify(end)}`]);
    return io;
  }
}
