import { MyPipeline } from "../examples/basics/three-cells.js";
import { compareInterleaved } from "./lib/compare.js";
const mk = async (patch: (c: any) => void) => {
  const p = new MyPipeline(null, "p"); p.printer.print = () => {};
  await p.deploy();
  for (const c of p.children) patch(c);
  return () => p.pull();
};
const plain = await mk(() => {});
const merged = await mk((c) => {
  const s: any = c.pullSerializer;
  c.pullInternal = () => {
    if (s.busy) throw new Error("x");
    s.busy = true;
    const done = c.onPull();
    if (!done) { s.busy = false; return; }
    return done.then(() => { s.busy = false; }, (e: unknown) => { s.busy = false; throw e; });
  };
});
const opts = { rounds: 5, roundMs: 300, warmupMs: 200 };
console.log("merged/plain", (await compareInterleaved(merged, plain, opts)).ratio);
