// Builds dist/: esbuild compiles the sources file by file (not bundled), tsc writes the
// declarations, and the clone entry is copied as is.
//
// Why not a bundle: thread and process clones start from dist/scaling/channel/entry.mjs
// and import the clone runtime next to it; the runtime and the user's cell modules must
// share one copy of the engine's modules (the cell registry above all). Compiled file by
// file, both reach the same dist/*.js files, so Node loads each module once.
import { spawnSync } from "node:child_process";
import { copyFileSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const sources = readdirSync(`${root}/src`, { recursive: true, encoding: "utf8" })
  .filter((file) => file.endsWith(".ts"))
  .map((file) => `${root}/src/${file}`);

rmSync(`${root}/dist`, { recursive: true, force: true });
await build({ entryPoints: sources, outdir: `${root}/dist`, outbase: `${root}/src`, format: "esm", platform: "node", target: "node20", logLevel: "warning" });
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const declared = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
if (declared.status !== 0) process.exit(declared.status ?? 1); // tsc printed why
// Plain JavaScript on purpose (it loads before any TypeScript support), so neither tool emits it.
copyFileSync(`${root}/src/scaling/channel/entry.mjs`, `${root}/dist/scaling/channel/entry.mjs`);
// The tarball ships the repository's license (packages/core/LICENSE is a build output).
copyFileSync(`${root}/../../LICENSE`, `${root}/LICENSE`);
