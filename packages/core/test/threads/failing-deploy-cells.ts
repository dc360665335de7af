/**
 * A cell whose clones cannot deploy: its `onDeploy` throws, naming the process it ran in,
 * so a test can check that the engine ended that process. Clones rebuild it from this
 * module (the `registerCells` line).
 */
import { Connection, Input, InputPort, Output, OutputPort, ScalableCell, SingleCell, registerCells, type CompositeCell } from "@cellflow/core";

export class FailingDeployCell extends SingleCell {
  readonly input = new Input<number>(this, "input");
  readonly output = new Output<number>(this, "output");
  protected override onDeploy(): void {
    throw new Error(`cannot deploy in pid ${process.pid}`);
  }
  protected async onPull(): Promise<void> {
    this.output.setValue(await this.input.pull());
  }
}

export class ScalableFailingDeploy extends ScalableCell {
  readonly inner = new FailingDeployCell(this, "inner");
  readonly input = new InputPort<number>(this, "input");
  readonly output = new OutputPort<number>(this, "output");
  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.input, this.inner.input);
    new Connection(this.inner.output, this.output);
  }
}

/** The pid named in a FailingDeployCell's error (the error crosses back as its message). */
export function pidIn(error: unknown): number {
  const match = /cannot deploy in pid (\d+)/.exec(String((error as Error)?.message ?? error));
  if (match === null) throw new Error(`no pid in ${String(error)}`, { cause: error });
  return Number(match[1]);
}

registerCells(import.meta.url, FailingDeployCell);
