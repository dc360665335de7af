/**
 * A source from an observable: a Subject of sensor readings feeds a pipeline. Readings
 * that come before they are pulled wait in a bounded buffer; a pull with nothing
 * buffered waits for the next reading; the completion ends the stream after the
 * buffered readings; a buffer that overflows fails loudly.
 *
 * Run it: `npx tsx examples/interop/observable-source.ts`
 */
import {
  Connection,
  Input,
  ObservableSource,
  Output,
  OutputPort,
  Pipeline,
  SingleCell,
  SourceOverflowError,
  type CompositeCell,
} from "@cellflow/core";
import { Subject } from "rxjs";

export class StatusCell extends SingleCell {
  readonly celsius = new Input<number>(this, "celsius");
  readonly status = new Output<string>(this, "status");

  protected async onPull(): Promise<void> {
    const celsius = await this.celsius.pull();
    this.status.setValue(`${celsius} °C${celsius > 30 ? " (too hot)" : ""}`);
  }
}

/** Readings in, a status line per reading out. */
export class ThermostatPipeline extends Pipeline {
  readonly readings = new ObservableSource<number>(this, "readings");
  readonly check = new StatusCell(this, "check");
  readonly status = new OutputPort<string>(this, "status");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.readings.output, this.check.celsius);
    new Connection(this.check.status, this.status);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  const sensor = new Subject<number>();
  const pipeline = new ThermostatPipeline(null, "thermostat");
  pipeline.readings.setSource(sensor, { capacity: 3 });
  await pipeline.deploy(); // subscribes: from now on, readings wait in the buffer

  sensor.next(21);
  sensor.next(24);
  print(`${pipeline.readings.buffered} readings buffered`);
  await pipeline.pull();
  print(pipeline.status.getValue());
  await pipeline.pull();
  print(pipeline.status.getValue());

  const waiting = pipeline.pull(); // nothing buffered: the pull waits for the next reading
  sensor.next(33);
  await waiting;
  print(pipeline.status.getValue());

  sensor.next(26);
  sensor.complete(); // the readings still buffered come first, then the stream ends
  for await (const { status } of pipeline) print(status);
  await pipeline.undeploy(); // unsubscribes

  // An observable cannot be slowed down: one reading more than the buffer holds fails loudly.
  const burst = new Subject<number>();
  pipeline.readings.setSource(burst, { capacity: 3 });
  await pipeline.deploy();
  for (const celsius of [20, 21, 22, 23]) burst.next(celsius);
  try {
    await pipeline.pull();
  } catch (error) {
    if (!(error instanceof SourceOverflowError)) throw error;
    print(`${error.name}: "${error.cellPath}" holds ${error.capacity} readings`);
  }
  await pipeline.undeploy();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
