/**
 * SPEC 3.8 — values cross to thread and process clones by structured clone; with
 * `transferBuffers` on, ArrayBuffers and typed arrays move zero-copy to and from thread
 * clones; a value that cannot be cloned gives a DataCloneError naming the port, at the
 * pull of that item, and the pipeline keeps working.
 */
import { describe, expect, it } from "vitest";
import { DataCloneError } from "@cellflow/core";
import { ScalableBuffer, ScalableTrouble, methodOf, type TroubleItem, type Where } from "../fixtures/thread-cells.js";
import { harness, pullOutcomes } from "./harness.js";

type Report = { received: number; previousSentByteLength: number | null; where: Where };

const LENGTH = 1024;
const makeArray = (i: number) => Float64Array.from({ length: LENGTH }, (_, k) => i + k / 2);
const doubled = (i: number) => Float64Array.from({ length: LENGTH }, (_, k) => 2 * (i + k / 2));

describe.each(["thread", "process"] as const)('typed arrays through "%s" clones', (method) => {
  it("round-trip by structured clone, leaving the sender's arrays intact", async () => {
    const { pipeline, scalable, sinks, source } = harness(ScalableBuffer, makeArray, ["output", "report"]);
    scalable.scaleUp(2, method);
    await pipeline.deploy();
    try {
      for (let i = 0; i < 6; i++) await pipeline.pull();
      const outputs = sinks.output!.values as Float64Array[];
      expect(outputs.map((a) => a.constructor)).toEqual(Array(6).fill(Float64Array));
      outputs.forEach((a, i) => expect(a).toEqual(doubled(i)));
      // Copied, not moved: what the source sent is still readable.
      for (const sent of source.sent) expect(sent.byteLength).toBe(LENGTH * 8);
      const reports = sinks.report!.values as Report[];
      expect(reports.every((r) => r.received === LENGTH * 8)).toBe(true);
      expect(reports.every((r) => methodOf(r.where) === method)).toBe(true);
      // The clones' own arrays stayed theirs too (nothing was transferred out of them).
      expect(reports.filter((r) => r.previousSentByteLength !== null).every((r) => r.previousSentByteLength === LENGTH * 8)).toBe(true);
    } finally {
      await pipeline.undeploy();
    }
  });
});

describe("transferBuffers", () => {
  it("moves a Float64Array to and from a thread clone zero-copy: both senders' buffers are detached", async () => {
    const { pipeline, scalable, sinks, source } = harness(ScalableBuffer, makeArray, ["output", "report"]);
    scalable.scaleUp(1, "thread");
    scalable.transferBuffers.setValue(true);
    await pipeline.deploy();
    try {
      for (let i = 0; i < 5; i++) {
        await pipeline.pull();
        // Parent -> thread: the array the source emitted was moved, so the sender lost it.
        expect(source.sent[i]!.byteLength).toBe(0);
        expect(source.sent[i]!.length).toBe(0);
      }
      const outputs = sinks.output!.values as Float64Array[];
      outputs.forEach((a, i) => expect(a).toEqual(doubled(i)));
      const reports = sinks.report!.values as Report[];
      // The clone received the full array each time...
      expect(reports.map((r) => r.received)).toEqual(Array(5).fill(LENGTH * 8));
      // ...and thread -> parent moved too: the array the clone sent last time is detached in the clone.
      expect(reports.map((r) => r.previousSentByteLength)).toEqual([null, 0, 0, 0, 0]);
      expect(reports.every((r) => methodOf(r.where) === "thread")).toBe(true);
    } finally {
      await pipeline.undeploy();
    }
  });

  it("still delivers the values to a process clone (IPC copies them; the sender's arrays stay intact)", async () => {
    const { pipeline, scalable, sinks, source } = harness(ScalableBuffer, makeArray, ["output", "report"]);
    scalable.scaleUp(1, "process");
    scalable.transferBuffers.setValue(true);
    await pipeline.deploy();
    try {
      for (let i = 0; i < 3; i++) await pipeline.pull();
      (sinks.output!.values as Float64Array[]).forEach((a, i) => expect(a).toEqual(doubled(i)));
      for (const sent of source.sent.slice(0, 3)) expect(sent.byteLength).toBe(LENGTH * 8);
      expect((sinks.report!.values as Report[]).every((r) => methodOf(r.where) === "process")).toBe(true);
    } finally {
      await pipeline.undeploy();
    }
  });
});

describe.each(["thread", "process"] as const)('a value that "%s" clones cannot clone', (method) => {
  it("gives a DataCloneError naming the port at the matching pull; the pipeline keeps working", async () => {
    const make = (i: number): TroubleItem & { callback?: () => number } => {
      if (i === 2) return { x: i, trouble: { kind: "ok" }, callback: () => i }; // a function in an input
      if (i === 5) return { x: i, trouble: { kind: "function-output" } }; // the clone outputs a function
      return { x: i, trouble: { kind: "ok" } };
    };
    const { pipeline, scalable, sinks } = harness(ScalableTrouble, make, ["output", "where"]);
    scalable.scaleUp(1, method);
    const crashes: unknown[] = [];
    scalable.events.on("cloneCrashed", (e) => crashes.push(e));
    await pipeline.deploy();
    try {
      const outcomes = await pullOutcomes(pipeline, 8);
      expect(outcomes.map((o) => (o === "ok" ? o : o.name))).toEqual(["ok", "ok", "DataCloneError", "ok", "ok", "DataCloneError", "ok", "ok"]);
      const [inputError, outputError] = [outcomes[2], outcomes[5]] as [Error, Error];
      expect(inputError).toBeInstanceOf(DataCloneError);
      expect(inputError.message).toContain('input port "input"');
      expect(inputError.message).toContain('"p.sc"');
      expect(outputError).toBeInstanceOf(DataCloneError);
      expect(outputError.message).toContain('output port "output"');
      expect(outputError.message).toContain('"p.sc"');
      // The other items came through in order, all from the same clone: nothing crashed.
      expect(sinks.output!.values).toEqual([0, 10, 30, 40, 60, 70]);
      expect(new Set((sinks.where!.values as Where[]).map((w) => `${w.pid}:${w.threadId}`)).size).toBe(1);
      expect(crashes).toEqual([]);
    } finally {
      await pipeline.undeploy();
    }
  });
});
