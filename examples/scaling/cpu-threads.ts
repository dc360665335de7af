/**
 * A CPU-bound cell scaled with async clones and with thread clones. Async clones share
 * one event loop, so CPU work does not overlap; thread clones run on other cores.
 *
 *   pnpm tsx examples/scaling/cpu-threads.ts [--items 16] [--work 3000000]
 */
import { parseArgs } from "node:util";
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
  type CloneMethodName,
  type CompositeCell,
} from "@cellflow/core";

export class Seeds extends SingleCell {
  readonly seed = new Output<number>(this, "seed");
  private next = 1;

  protected onPull(): void {
    this.seed.setValue(this.next++);
  }
}

/** Burns CPU: `work` rounds of an xorshift generator, returning the final state. */
export class Hasher extends SingleCell {
  readonly work = new ConfigParameter<number>(this, "work", { defaultValue: 3_000_000 });
  readonly seed = new Input<number>(this, "seed");
  readonly hash = new Output<number>(this, "hash");

  protected async onPull(): Promise<void> {
    let x = (await this.seed.pull()) | 0 || 1;
    for (let i = this.work.getValue(); i > 0; i--) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
    this.hash.setValue(x >>> 0);
  }
}

// One line so thread and process clones can rebuild the hasher from this module.
registerCells(import.meta.url, Hasher);

export class ScalableHasher extends ScalableCell {
  readonly hasher = new Hasher(this, "hasher");
  readonly seed = new InputPort<number>(this, "seed");
  readonly hash = new OutputPort<number>(this, "hash");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.seed, this.hasher.seed);
    new Connection(this.hasher.hash, this.hash);
  }
}

export class HashSink extends SingleCell {
  readonly hash = new Input<number>(this, "hash");
  readonly hashes: number[] = [];

  protected async onPull(): Promise<void> {
    this.hashes.push(await this.hash.pull());
  }
}

export class HashPipeline extends Pipeline {
  readonly seeds = new Seeds(this, "seeds");
  readonly hasher = new ScalableHasher(this, "hasher");
  readonly sink = new HashSink(this, "sink");

  constructor(parent: CompositeCell | null, name: string) {
    super(parent, name);
    new Connection(this.seeds.seed, this.hasher.seed);
    new Connection(this.hasher.hash, this.sink.hash);
  }
}

/** Runs `items` hashes through `clones` clones of `method`; returns items/s and the hashes. */
export async function measure(method: CloneMethodName, clones: number, items: number, work: number) {
  await using pipeline = new HashPipeline(null, "hash_pipeline");
  pipeline.hasher.hasher.work.setValue(work);
  pipeline.hasher.scaleUp(clones, method);
  await pipeline.deploy();
  await pipeline.pull(); // warm-up: the first item includes starting the clones' code
  const start = performance.now();
  for (let i = 1; i < items; i++) await pipeline.pull();
  const seconds = (performance.now() - start) / 1000;
  return { itemsPerSecond: (items - 1) / seconds, hashes: pipeline.sink.hashes };
}

export async function main(options: { items?: number; work?: number; print?: (line: string) => void } = {}) {
  const { items = 16, work = 3_000_000, print = console.log } = options;
  const results: Array<{ label: string; itemsPerSecond: number; hashes: number[] }> = [];
  for (const [method, clones] of [["async", 2], ["thread", 1], ["thread", 2]] as const) {
    const label = `${clones} ${method} clone${clones > 1 ? "s" : ""}`;
    print(`running ${label}...`);
    results.push({ label, ...(await measure(method, clones, items, work)) });
  }
  for (const r of results) print(`${r.label.padEnd(16)} ${r.itemsPerSecond.toFixed(1).padStart(8)} items/s`);
  const same = results.every((r) => r.hashes.join() === results[0]!.hashes.join());
  print(`same hashes in the same order: ${same}`);
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { items: { type: "string", default: "16" }, work: { type: "string", default: "3000000" } } });
  await main({ items: Number(values.items), work: Number(values.work) });
}
