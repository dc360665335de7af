import { subscribe } from "node:diagnostics_channel";
import { Connection, Pipeline } from "@cellflow/core";
import { ScalableMath } from "./fixtures/thread-cells.js";
import { Collector, CounterSource } from "./helpers.js";
const seen: Record<string, unknown[]> = { run: [], item: [], fill: [] };
subscribe("cellflow:cell-run", (m) => seen.run!.push(m));
subscribe("cellflow:clone-item", (m) => seen.item!.push(m));
subscribe("cellflow:queue-fill", (m) => seen.fill!.push(m));
for (const method of ["async", "thread", "process"] as const) {
  const p = new Pipeline(null, "p");
  const source = new CounterSource(p, "source");
  const s = new ScalableMath(p, "math");
  const sink = new Collector(p, "sink");
  new Connection(source.output, s.input);
  new Connection(s.output, sink.input);
  await s.scaleUp(2, method);
  await p.deploy();
  for (let i = 0; i < 6; i++) await p.pull();
  await p.undeploy();
  console.log(method, seen.run!.length, seen.item!.length, seen.fill!.length);
  console.log(JSON.stringify(seen.run!.slice(-4)), JSON.stringify(seen.item!.slice(-2)), JSON.stringify(seen.fill!.slice(-1)));
  for (const k of Object.keys(seen)) seen[k] = [];
}
