// Parses Mermaid diagrams with Mermaid's own parser (in jsdom, as it expects a DOM), one
// per line of JSON on stdin: prints {"ok":true,"type":…} or {"ok":false,"error":…} for each.
// Run as a child process, so the DOM globals Mermaid needs never touch the test runner.
import { JSDOM } from "jsdom";
import { readFileSync } from "node:fs";

const dom = new JSDOM("<!doctype html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
Object.defineProperty(globalThis, "navigator", { value: dom.window.navigator, configurable: true });
globalThis.DOMParser = dom.window.DOMParser;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });
const diagrams = JSON.parse(readFileSync(0, "utf8"));
const results = [];
for (const diagram of diagrams) {
  try {
    const parsed = await mermaid.parse(diagram);
    results.push({ ok: true, type: parsed.diagramType });
  } catch (error) {
    results.push({ ok: false, error: String(error?.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results));
