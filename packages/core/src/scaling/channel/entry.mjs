// Boot file of a thread or process clone. Plain JavaScript, so it loads before any
// TypeScript support: it registers tsx when the cells are TypeScript sources, then
// loads the clone runtime, which answers the parent's requests.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { parentPort, workerData } from "node:worker_threads";

const boot = workerData ?? JSON.parse(process.env.CELLFLOW_CLONE_BOOT ?? "null");
if (boot === null) throw new Error("cellflow clone entry started without boot data");

/** Request 0 is the boot reply ("ready", or why the clone cannot start): a child process drops IPC messages sent before it listens. */
function bootReply(reply) {
  if (parentPort !== null) parentPort.postMessage({ id: 0, ...reply });
  else {
    // The parent may be gone already (killed while the clone booted): end quietly, as the runtime does.
    process.send({ id: 0, ...reply }, (error) => {
      if (error) process.exit(0);
    });
  }
}

/**
 * tsx's API, found the way the user's own code would find it (from the cell's module:
 * the app installed tsx), then from this package (a workspace or a flat node_modules).
 * tsx is an optional peer dependency: only TypeScript cells need it.
 */
async function importTsx() {
  for (const from of [boot.cellModuleUrl, import.meta.url]) {
    if (from === undefined) continue;
    let manifest;
    try {
      manifest = createRequire(from).resolve("tsx/package.json");
    } catch {
      continue; // not reachable from there
    }
    // The ESM build of tsx/esm/api (require.resolve would give its CommonJS build).
    const api = JSON.parse(readFileSync(manifest, "utf8")).exports?.["./esm/api"]?.import;
    const file = typeof api === "string" ? api : api?.default;
    if (typeof file === "string") return import(new URL(file, pathToFileURL(manifest)).href);
  }
  return null;
}

if (boot.useTsx) {
  const tsx = await importTsx();
  if (tsx === null) {
    bootReply({
      ok: false,
      error: {
        name: "CellNotLocatableError",
        message:
          `A clone cannot load the TypeScript module ${boot.cellModuleUrl}: that needs tsx, which cannot be found ` +
          `from the module or from @cellflow/core. Install it in your project (npm install --save-dev tsx), ` +
          `or compile your cells to JavaScript.`,
      },
    });
    // Stay up until the parent, told why, ends the clone: exiting now could drop the reply.
    setInterval(() => {}, 60_000);
    await new Promise(() => {});
  }
  tsx.register();
}
await import(boot.runtimeUrl);
bootReply({ ok: true });
