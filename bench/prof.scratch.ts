import { MyPipeline } from "../examples/basics/three-cells.js";
const p = new MyPipeline(null, "p");
let s = 0;
p.printer.print = (v) => { s = v; };
await p.deploy();
const t = performance.now(); let n = 0;
while (performance.now() - t < 3000) { for (let i = 0; i < 1000; i++) await p.pull(); n += 1000; }
console.log((n / (performance.now() - t) * 1000) | 0, s);
await p.undeploy();
