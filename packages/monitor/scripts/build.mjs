// Builds dist/ as @cellflow/core's build does: esbuild compiles the sources file by file
// (not bundled: @cellflow/core and prom-client stay imports, so the user's copies are the
// ones used), tsc writes the declarations. The page (page/index.html) is not built: it
// ships as written, and dist/server.js reads it from ../page/.
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
copyFileSync(`${root}/../../LICENSE`, `${root}/LICENSE`);
