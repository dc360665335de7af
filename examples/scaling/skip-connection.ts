/**
 * A skip connection inside a scalable cell: the sink needs the request id from the
 * source, but the scaled-up cell does not. Routing the id through the scalable cell
 * (input port straight to output port) carries it in the same queue slot as the result,
 * so source and sink stay decoupled and the clones can run ahead.
 */
import {
  Connection,
  Input,
  InputPort,
  Output,
  OutputPort,
  Pipeline,
  ScalableCell,
  SingleCell,
  type CompositeCell,
} from "@cellflow/core";

export class RequestSource extends SingleCell {
  readonly id = new Output<string>(this, "id");
  readonly text = new Output<string>(this, "text");
  private counter = 0;

  protected onPull(): void {
    this.id.setValue(`req-${this.counter}`);
    this.text.setValue(["alpha", "beta", "gamma", "delta"][this.counter % 4]!);
    this.counter++;
  }
}

/** Stands for a slow I/O call (a web service, say): uneven delays, so clones finish out of order. */
export class SlowUppercase extends SingleCell {
  readonly text = new Input<string>(this, "text");
  readonly result = new Output<string>(this, "result");

  protected async onPull(): Promise<void> {
    const text = await this.text.pull();
    await new Promise((resolve) => setTimeout(resolve, 5 + ((text.length * 7) % 11)));
    this.result.setValue(text.toUpperCase());
  }
}

export class ScalableUppercase extends ScalableCell {
  readonly worker = new SlowUppercase(this, "worker");
  readonly text = new InputPort<string>(this, "text");
  readonly id = new InputPort<string>(this, "id");
  readonly result = new OutputPort<string>(this, "result");
  readonly idOut = new OutputPort<string>(this, "id_out");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.text, this.worker.text);
    new Connection(this.worker.result, this.result);
    new Connection(this.id, this.idOut); // the skip connection
  }
}

export class ResultSink extends SingleCell {
  readonly id = new Input<string>(this, "id");
  readonly result = new Input<string>(this, "result");
  print: (line: string) => void = (line) => console.log(line);

  protected async onPull(): Promise<void> {
    this.print(`${await this.id.pull()}: ${await this.result.pull()}`);
  }
}

export class SkipPipeline extends Pipeline {
  readonly source = new RequestSource(this, "source");
  readonly uppercase = new ScalableUppercase(this, "uppercase");
  readonly sink = new ResultSink(this, "sink");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.source.text, this.uppercase.text);
    new Connection(this.source.id, this.uppercase.id);
    new Connection(this.uppercase.result, this.sink.result);
    new Connection(this.uppercase.idOut, this.sink.id);
  }
}

export async function main(print: (line: string) => void = console.log): Promise<void> {
  await using pipeline = new SkipPipeline(null, "skip_pipeline");
  pipeline.sink.print = print;
  pipeline.uppercase.scaleUp(3);
  await pipeline.deploy();
  for (let i = 0; i < 6; i++) await pipeline.pull();
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
