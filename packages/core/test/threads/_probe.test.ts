import { describe, expect, it } from "vitest";
import { readFileSync, existsSync } from "node:fs";
import { ScalableTrouble, markerPath, methodOf, type Where, type Trouble } from "../fixtures/thread-cells.js";
import { harness, pullOutcomes, eventually } from "./harness.js";
const cases: Array<[string, string, boolean]> = [["thread","uncaught", true],["process","uncaught", true],["thread","exit", true],["process","exit", true],["process","sigkill", true],["process","exit", false],["thread","always", true],["process","always", false]];
describe("probe", () => {
  for (const [method, kind, replace] of cases)
  it(method + kind + replace, async () => {
    const mk = markerPath(method + kind + replace);
    const { pipeline, scalable, sinks, source } = harness(ScalableTrouble, (i) => ({x: i, trouble: i === 3 ? (kind === "always" ? {kind: "exit", marker: null} : {kind, marker: mk}) : {kind: "ok"}}) as any, ["output", "where"]);
    scalable.scaleUp(2, method);
    scalable.replaceCrashedClones.setValue(replace);
    const events: any[] = [];
    scalable.events.on("cloneCrashed", (e) => events.push(e));
    const t = Date.now();
    await pipeline.deploy();
    const o = await pullOutcomes(pipeline, 8);
    console.log(method, kind, replace, Date.now() - t, o.map(x => x === "ok" ? x : x.name + ":" + x.message).join(","), sinks.output!.values.join(","), [...new Set((sinks.where!.values as Where[]).map((w) => methodOf(w) + w.pid + ":" + w.threadId))], events.map(e => [e.method, e.error.message, e.replaced, e.retried]), scalable.cloneCount);
    await pipeline.undeploy();
  });
});
