import { createHook } from "node:async_hooks";
import { MyPipeline } from "../examples/basics/three-cells.js";

const p = new MyPipeline(null, "p");
p.printer.print = () => {};
await p.deploy();
let counter = 0;
const chain = async () => { const c = counter++; const a = c, b = c % 2 ? -1 : 1; const m = await (async () => a * b)(); await (async (x: number) => { void x; })(m); };

async function depth(op: () => Promise<unknown>): Promise<number> {
  let ticks = 0; let running = true;
  const tick = () => { if (!running) return; ticks++; queueMicrotask(tick); };
  queueMicrotask(tick);
  await op();
  running = false;
  return ticks;
}
let promises = 0;
const hook = createHook({ init(_id, type) { if (type === "PROMISE") promises++; } });
for (let i = 0; i < 100; i++) await p.pull();
for (const [name, op] of [["pipeline", () => p.pull()], ["chain", chain]] as const) {
  const d = await depth(op);
  hook.enable(); promises = 0; await op(); hook.disable();
  console.log(name, "ticks", d, "promises", promises);
}
await p.undeploy();
