/**
 * The cells of the scale-up example (PyPipeline's "Scale-up basics"): a source that
 * takes 1 time unit, a multiplier that takes 4, a printer that takes 2.
 */
import {
  Connection,
  ConfigParameter,
  Input,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  ScalableCell,
  SingleCell,
  registerCells,
  type CompositeCell,
} from "@cellflow/core";
import { simulateIo } from "./work.js";

/** Milliseconds per time unit, shared by the three cells (a config parameter of each). */
export const DEFAULT_UNIT_MS = 100;

export class SourceCell extends SingleCell {
  readonly unitMs = new ConfigParameter<number>(this, "unit_ms", { defaultValue: DEFAULT_UNIT_MS });
  readonly output1 = new Output<number>(this, "first_output");
  readonly output2 = new Output<number>(this, "second_output");
  private counter = 0;

  protected async onPull(): Promise<void> {
    await simulateIo(this.unitMs.getValue());
    this.output1.setValue(this.counter);
    this.output2.setValue(this.counter % 2 === 0 ? 1 : -1);
    this.counter++;
  }

  protected override onReset(): void {
    this.counter = 0;
  }
}

export class MultiplierCell extends SingleCell {
  readonly unitMs = new ConfigParameter<number>(this, "unit_ms", { defaultValue: DEFAULT_UNIT_MS });
  readonly inputA = new Input<number>(this, "input_a");
  readonly inputB = new Input<number>(this, "input_b");
  readonly output = new Output<number>(this, "output");

  protected async onPull(): Promise<void> {
    const product = (await this.inputA.pull()) * (await this.inputB.pull());
    await simulateIo(4 * this.unitMs.getValue());
    this.output.setValue(product);
  }
}

export class ScalableMultiplier extends ScalableCell {
  readonly multiplier = new MultiplierCell(this, "multiplier");
  readonly inputA = new InputPort<number>(this, "input_a");
  readonly inputB = new InputPort<number>(this, "input_b");
  readonly output = new OutputPort<number>(this, "output");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.inputA, this.multiplier.inputA);
    new Connection(this.inputB, this.multiplier.inputB);
    new Connection(this.multiplier.output, this.output);
  }
}

// Thread and process clones rebuild the multiplier from this module.
registerCells(import.meta.url, MultiplierCell);

export class PrinterCell extends SingleCell {
  readonly unitMs = new ConfigParameter<number>(this, "unit_ms", { defaultValue: DEFAULT_UNIT_MS });
  readonly input = new Input<number>(this, "printer_input");
  /** Receives every printed value; the example collects them with their timing. */
  onValue: (value: number) => void = () => {};

  protected async onPull(): Promise<void> {
    const value = await this.input.pull();
    await simulateIo(2 * this.unitMs.getValue());
    this.onValue(value);
  }
}

/** Source, multiplier and printer, without scaling: the 1/7 items per unit baseline. */
export class PlainPipeline extends Pipeline {
  readonly source = new SourceCell(this, "source");
  readonly multiplier = new MultiplierCell(this, "multiplier");
  readonly printer = new PrinterCell(this, "printer");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output1, this.multiplier.inputA);
    new Connection(this.source.output2, this.multiplier.inputB);
    new Connection(this.multiplier.output, this.printer.input);
  }

  setUnit(ms: number): void {
    for (const cell of [this.source, this.multiplier, this.printer]) cell.unitMs.setValue(ms);
  }
}

/** The same with the multiplier inside a scalable cell. */
export class ScaledPipeline extends Pipeline {
  readonly source = new SourceCell(this, "source");
  readonly scalableMultiplier = new ScalableMultiplier(this, "scalable_multiplier");
  readonly printer = new PrinterCell(this, "printer");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.output1, this.scalableMultiplier.inputA);
    new Connection(this.source.output2, this.scalableMultiplier.inputB);
    new Connection(this.scalableMultiplier.output, this.printer.input);
  }

  setUnit(ms: number): void {
    for (const cell of [this.source, this.scalableMultiplier.multiplier, this.printer]) cell.unitMs.setValue(ms);
  }
}
