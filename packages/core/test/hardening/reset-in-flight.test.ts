/**
 * Hardening, case 14: reset() with a pull in flight through a clone (thread, process, or
 * async) whose output feeds two cells. After the reset the pipeline starts over from the
 * first item, and both consumers of the scalable cell stay in step.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Connection, Pipeline, type Cell } from "@cellflow/core";
import { ScalableTwice } from "./fixtures.js";
import { Collect, NumberSource, pullOutcomes, settleOf, ticks, turn, undeployQuietly, withinDeadline } from "./util.js";

const deployed: Cell[] = [];
afterEach(async () => {
  for (const p of deployed.splice(0)) await undeployQuietly(p);
});

async function deploy(p: Pipeline): Promise<void> {
  deployed.push(p);
  await withinDeadline(p.deploy(), 10_000);
}

const RESET_DEADLINE_MS = 5_000;

describe("case 14: reset() with a pull in flight through a thread or process clone whose output feeds two cells", () => {
  // Async clones show it as well; with the output feeding one cell only, it does not happen.
  for (const method of ["thread", "process", "async"] as const) {
    for (const wait of ["3 ticks", "a macrotask turn"] as const) {
      it(`case 14: the pipeline starts over from the first item (${method}; reset ${wait} after the pull started)`, async () => {
        const p = new Pipeline(null, "p");
        const source = new NumberSource(p, "source");
        const scalable = new ScalableTwice(p, "scalable");
        scalable.twice.delayMs.setValue(20);
        const c1 = new Collect(p, "c1");
        const c2 = new Collect(p, "c2");
        new Connection(source.output, scalable.input);
        new Connection(scalable.output, c1.input);
        new Connection(scalable.output, c2.input);
        void scalable.scaleUp(1, method);
        await deploy(p);
        expect(await pullOutcomes(p, 2, 3_000)).toEqual(["ok", "ok"]);
        const inFlight = p.pull();
        inFlight.catch(() => undefined);
        if (wait === "3 ticks") await ticks(3);
        else await turn(); // the item is out to the clone by now
        expect(await settleOf(p.reset(), RESET_DEADLINE_MS)).toBe("ok");
        await settleOf(inFlight, 3_000); // cut short or finished: either is fine
        expect(await pullOutcomes(p, 4, 3_000)).toEqual(["ok", "ok", "ok", "ok"]);
        expect(c1.values).toEqual([0, 2, 4, 6]);
        expect(c2.values).toEqual([0, 2, 4, 6]);
      });
    }
  }
});
