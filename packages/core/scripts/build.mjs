// Builds dist/: the sources compiled file by file (not bundled), plus the clone entry.
//
// Why not a bundle: thread and process clones start from dist/scaling/remote/entry.mjs
// and import the clone runtime next to it; the runtime and the user's cell modules must
// share one copy of the engine's modules (the cell registry above all). Compiled file by
// file, both reach the same dist/*.js files, so Node loads each module once.
import { spawnSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(`${root}/dist`, { recursive: true, force: true });
const compiled = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
if (compiled.status !== 0) process.exit(compiled.status ?? 1); // tsc printed why
// Plain JavaScript on purpose (it loads before any TypeScript support), so tsc does not emit it.
copyFileSync(`${root}/src/scaling/remote/entry.mjs`, `${root}/dist/scaling/remote/entry.mjs`);
// The tarball ships the repository's license (packages/core/LICENSE is a build output).
copyFileSync(`${root}/../../LICENSE`, `${root}/LICENSE`);
