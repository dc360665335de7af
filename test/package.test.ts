/**
 * The package as users get it: `pnpm pack` of packages/core (which builds first),
 * installed with npm into a project in the system's temp directory, outside this
 * workspace. There the README's first program runs as written, in plain JavaScript with
 * `node` and in TypeScript with `tsx`, through thread and process clones; `tsc` checks a
 * consumer against the shipped `.d.ts`; and TypeScript cells without tsx fail with an
 * error that names it.
 *
 * Nothing is downloaded: the tarball has no dependencies (npm installs it --offline), and
 * the TypeScript project links the workspace's own tsx, typescript and @types/node into
 * its node_modules, as if the user had installed them.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRedis } from "../packages/bullmq/test/redis-server.js";

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const corePackage = join(repoRoot, "packages/core");
const readme = readFileSync(join(corePackage, "README.md"), "utf8");
/** What the README's program prints. */
const squares = "0\n1\n4\n9\n16\n";

let work: string;
let tarball: string;
/** The packed @cellflow/bullmq (packed on first use). */
let bullmqTarball: string | undefined;

/** The README's code blocks whose info string names a file: ```ts cells.ts */
function readmeFiles(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const match of readme.matchAll(/```\w+ ([\w.-]+)\n([\s\S]*?)```/g)) files[match[1]!] = match[2]!;
  return files;
}

/** pnpm as the suite was started (`pnpm test`), else the version the workspace pins. */
function pnpm(args: string[], cwd: string): string {
  const execPath = process.env.npm_execpath;
  if (execPath !== undefined && /pnpm/.test(execPath)) {
    return execFileSync(process.execPath, [execPath, ...args], { cwd, encoding: "utf8" });
  }
  const pinned = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).packageManager as string;
  return execFileSync("npx", ["-y", pinned, ...args], { cwd, encoding: "utf8" });
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs node in `cwd` with a clean environment (no NODE_PATH from pnpm's shims that would find the workspace's packages). */
function node(args: string[], cwd: string): Promise<Run> {
  const env = { ...process.env };
  delete env.NODE_PATH;
  delete env.NODE_OPTIONS;
  return new Promise((resolve) => {
    execFile(process.execPath, args, { cwd, env, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr });
    });
  });
}

/** A new project in the temp directory with the tarball installed; `links` are workspace packages linked in. */
function project(name: string, files: Record<string, string>, links: string[] = []): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  execFileSync("npm", ["install", "--offline", "--no-audit", "--no-fund", "--loglevel=error", tarball], { cwd: dir });
  for (const link of links) {
    mkdirSync(join(dir, "node_modules", link, ".."), { recursive: true });
    symlinkSync(realpathSync(join(repoRoot, "node_modules", link)), join(dir, "node_modules", link));
  }
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

const withMethod = (main: string, method: string) => main.replace('scaleUp(2, "thread")', `scaleUp(2, "${method}")`);

beforeAll(() => {
  work = mkdtempSync(join(realpathSync(tmpdir()), "cellflow-package-"));
  pnpm(["pack", "--pack-destination", work], corePackage);
  tarball = join(work, readdirSync(work).find((f) => f.endsWith(".tgz"))!);
}, 120_000);

afterAll(() => {
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe("the packed @cellflow/core", () => {
  it("ships the build, its types, the clone entry, README and LICENSE, and no tests or sources", () => {
    const entries = execFileSync("tar", ["tzf", tarball], { encoding: "utf8" }).trim().split("\n");
    for (const file of [
      "package/package.json",
      "package/README.md",
      "package/LICENSE",
      "package/dist/index.js",
      "package/dist/index.d.ts",
      "package/dist/scaling/channel/entry.mjs",
      "package/dist/scaling/channel/clone-runtime.js",
      "package/dist/rxjs.js",
      "package/dist/rxjs.d.ts",
      "package/dist/clone-methods.js",
      "package/dist/clone-methods.d.ts",
    ]) {
      expect(entries).toContain(file);
    }
    expect(entries.filter((e) => /test|\/src\/|\.ts$/.test(e) && !e.endsWith(".d.ts"))).toEqual([]);
    const manifest = JSON.parse(execFileSync("tar", ["xzf", tarball, "-O", "package/package.json"], { encoding: "utf8" }));
    expect(manifest.exports["."]).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" });
    expect(manifest.engines.node).toBe(">=20");
    expect(manifest.sideEffects).toEqual(expect.arrayContaining(["./dist/scaling/methods/*.js"]));
    expect(manifest.peerDependenciesMeta.tsx.optional).toBe(true);
    expect(manifest.exports["./rxjs"]).toEqual({ types: "./dist/rxjs.d.ts", default: "./dist/rxjs.js" });
    expect(manifest.exports["./clone-methods"]).toEqual({ types: "./dist/clone-methods.d.ts", default: "./dist/clone-methods.js" });
    expect(manifest.peerDependencies.rxjs).toBeDefined();
    expect(manifest.peerDependenciesMeta.rxjs.optional).toBe(true);
    expect(manifest.dependencies ?? {}).toEqual({});
  });

  it.each(["thread", "process"])("runs the README's plain JavaScript program with node, %s clones, in order", async (method) => {
    const files = readmeFiles();
    const dir = project(`js-${method}`, { "cells.js": files["cells.js"]!, "main.js": withMethod(files["main.js"]!, method) });
    const run = await node(["main.js"], dir);
    expect(run.stderr).toBe("");
    expect(run).toMatchObject({ code: 0, stdout: squares });
  });

  it.each(["thread", "process"])("runs the README's TypeScript program with tsx, %s clones, in order", async (method) => {
    const files = readmeFiles();
    const dir = project(`ts-${method}`, { "cells.ts": files["cells.ts"]!, "main.ts": withMethod(files["main.ts"]!, method) }, [
      "tsx",
    ]);
    const run = await node([join(dir, "node_modules/tsx/dist/cli.mjs"), "main.ts"], dir);
    expect(run.stderr).toBe("");
    expect(run).toMatchObject({ code: 0, stdout: squares });
  });

  it("type-checks a consumer against the shipped declarations (tsc --noEmit, strict, NodeNext)", async () => {
    const files = readmeFiles();
    const tsconfig = {
      compilerOptions: {
        target: "ES2022",
        module: "NodeNext",
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: ["node"],
      },
      include: ["*.ts"],
    };
    const dir = project(
      "ts-check",
      { "cells.ts": files["cells.ts"]!, "main.ts": files["main.ts"]!, "tsconfig.json": JSON.stringify(tsconfig) },
      ["typescript", "@types/node"],
    );
    const run = await node([join(dir, "node_modules/typescript/bin/tsc"), "-p", "."], dir);
    expect(run.stdout + run.stderr).toBe("");
    expect(run.code).toBe(0);
  });

  it("ships declarations without engine internals; a user's members named like them run through thread clones", async () => {
    const cellsJs = [
      'import { Connection, Input, InputPort, Output, OutputPort, Pipeline, ScalableCell, SingleCell, registerCells } from "@cellflow/core";',
      "export class Square extends SingleCell {",
      '  input = new Input(this, "input");',
      '  output = new Output(this, "output");',
      "  refreshing = false;",
      '  ios = "mine";',
      "  async onPull() { this.output.setValue(this.produce(await this.input.pull())); }",
      "  produce(x) { return x * x; }",
      '  pullInternal() { throw new Error("not the engine\'s"); }',
      "}",
      "export class Squares extends ScalableCell {",
      '  square = new Square(this, "square");',
      '  input = new InputPort(this, "input");',
      '  output = new OutputPort(this, "output");',
      "  constructor(parent, name) {",
      "    super(parent, name);",
      "    new Connection(this.input, this.square.input);",
      "    new Connection(this.square.output, this.output);",
      "  }",
      "}",
      "registerCells(import.meta.url, Square);",
    ].join("\n");
    const mainJs = [
      'import { Connection, Output, OutputPort, Pipeline, SingleCell } from "@cellflow/core";',
      'import { Squares } from "./cells.js";',
      "class Counter extends SingleCell {",
      '  output = new Output(this, "output");',
      "  emitters = [];",
      "  n = 0;",
      "  onPull() { this.output.setValue(this.n++); }",
      "}",
      "class Main extends Pipeline {",
      '  counter = new Counter(this, "counter");',
      '  squares = new Squares(this, "squares");',
      '  result = new OutputPort(this, "result");',
      "  constructor(parent, name) {",
      "    super(parent, name);",
      "    new Connection(this.counter.output, this.squares.input);",
      "    new Connection(this.squares.output, this.result);",
      "  }",
      "}",
      'const main = new Main(null, "main");',
      'main.squares.scaleUp(2, "thread");',
      "await main.deploy();",
      "const results = [];",
      "for (let i = 0; i < 5; i++) results.push((await main.pull()).result);",
      "await main.undeploy();",
      'console.log(results.join(" "));',
    ].join("\n");
    const dir = project("sealed", { "cells.js": cellsJs, "main.js": mainJs });
    const run = await node(["main.js"], dir);
    expect(run.stderr).toBe("");
    expect(run).toMatchObject({ code: 0, stdout: "0 1 4 9 16\n" });
    // What autocomplete shows: the .d.ts files hold no @internal member, and the classes
    // users subclass declare none of the engine's member names.
    const dist = join(dir, "node_modules/@cellflow/core/dist");
    const declarations = readdirSync(dist, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".d.ts"));
    expect(declarations.filter((f) => readFileSync(join(dist, f), "utf8").includes("@internal"))).toEqual([]);
    const engineNames = /\b(ios|emitters|receivers|refreshing|refreshedBy|haltReason|takenWaiters|pullSerializer|pullSerial|produce|allTaken|recordFailure|pullInternal|pullOnce|deployInternal|undeployInternal|resetInternal|abortWaits|validityReasons|deployabilityReasons|adoptChild|requestedMethods|strategy)\b/;
    for (const file of ["cells/cell.d.ts", "cells/single-cell.d.ts", "cells/composite-cell.d.ts", "cells/pipeline.d.ts", "scaling/scalable-cell.d.ts"]) {
      const code = readFileSync(join(dist, file), "utf8").replace(/\/\*\*[\s\S]*?\*\/|^import .*$/gm, ""); // declarations, not doc comments or imports
      expect(code.match(engineNames)?.[0] ?? null, file).toBeNull();
    }
    // The IO users declare: no phantom named field, no constructor argument for the engine's kinds.
    expect(readFileSync(join(dist, "io/io.d.ts"), "utf8")).not.toContain("__type");
    expect(readFileSync(join(dist, "io/input.d.ts"), "utf8")).not.toMatch(/constructor\([^)]*kind/);
  });

  it("@cellflow/core/rxjs resolves with rxjs installed: an iterable source's pipeline as an Observable; the main entry needs no rxjs", async () => {
    const program = [
      'import { Connection, IterableSource, OutputPort, Pipeline } from "@cellflow/core";',
      'import { toObservable } from "@cellflow/core/rxjs";',
      'import { lastValueFrom, map, toArray } from "rxjs";',
      "class Numbers extends Pipeline {",
      '  source = new IterableSource(this, "source", [1, 2, 3]);',
      '  value = new OutputPort(this, "value");',
      "  constructor(parent, name) {",
      "    super(parent, name);",
      "    new Connection(this.source.output, this.value);",
      "  }",
      "}",
      'const values = await lastValueFrom(toObservable(new Numbers(null, "numbers")).pipe(map((r) => r.value), toArray()));',
      'console.log(values.join(" "));',
    ].join("\n");
    const withRxjs = project("rxjs", { "main.js": program }, ["rxjs"]);
    const run = await node(["main.js"], withRxjs);
    expect(run.stderr).toBe("");
    expect(run).toMatchObject({ code: 0, stdout: "1 2 3\n" });
    // Without rxjs installed, the main entry point still loads (its sources need no RxJS).
    const withoutRxjs = project("no-rxjs", {
      "main.js": 'import { IterableSource, ObservableSource } from "@cellflow/core";\nconsole.log(typeof IterableSource, typeof ObservableSource);',
    });
    expect(await node(["main.js"], withoutRxjs)).toMatchObject({ code: 0, stdout: "function function\n", stderr: "" });
  });

  it.each(["thread", "process"])("TypeScript cells without tsx installed: %s clones fail to deploy with an error naming tsx", async (method) => {
    const files = readmeFiles();
    const dir = project(`no-tsx-${method}`, { "cells.ts": files["cells.ts"]!, "main.ts": withMethod(files["main.ts"]!, method) });
    // The program itself runs under the workspace's tsx loader, which the project cannot resolve.
    const loader = pathToFileURL(join(realpathSync(join(repoRoot, "node_modules/tsx")), "dist/loader.mjs")).href;
    const run = await node(["--import", loader, "main.ts"], dir);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain("CellNotLocatableError");
    expect(run.stderr).toContain("npm install --save-dev tsx");
  });
});

describe("the packed @cellflow/bullmq", () => {
  /**
   * A project with both tarballs: core installed by npm, bullmq unpacked next to it with
   * its two dependencies (bullmq, ioredis) linked from the workspace, so nothing is
   * downloaded (npm install of both tarballs from the registry was tried by hand).
   */
  function remoteProject(name: string, files: Record<string, string>): string {
    if (bullmqTarball === undefined) {
      const destination = join(work, "bullmq-pack");
      mkdirSync(destination);
      pnpm(["pack", "--pack-destination", destination], join(repoRoot, "packages/bullmq"));
      bullmqTarball = join(destination, readdirSync(destination).find((f) => f.endsWith(".tgz"))!);
    }
    const dir = project(name, files);
    const target = join(dir, "node_modules/@cellflow/bullmq");
    mkdirSync(target, { recursive: true });
    execFileSync("tar", ["xzf", bullmqTarball, "-C", target, "--strip-components=1"]);
    for (const dependency of ["bullmq", "ioredis"]) {
      symlinkSync(realpathSync(join(repoRoot, "packages/bullmq/node_modules", dependency)), join(dir, "node_modules", dependency));
    }
    return dir;
  }

  it("serves JavaScript cells with its cellflow bin under plain node, in order", async () => {
    const cells = [
      'import { Connection, Input, InputPort, Output, OutputPort, ScalableCell, SingleCell } from "@cellflow/core";',
      'import { registerRemoteCells } from "@cellflow/bullmq";',
      "export class Square extends SingleCell {",
      '  input = new Input(this, "x");',
      '  output = new Output(this, "y");',
      "  async onPull() { const x = await this.input.pull(); this.output.setValue(x * x); }",
      "}",
      "export class Squares extends ScalableCell {",
      '  square = new Square(this, "square");',
      '  input = new InputPort(this, "x");',
      '  output = new OutputPort(this, "y");',
      "  constructor(parent, name) { super(parent, name); new Connection(this.input, this.square.input); new Connection(this.square.output, this.output); }",
      "}",
      'registerRemoteCells(import.meta.url, { square: Square });',
    ].join("\n");
    const main = [
      'import { Connection, Output, OutputPort, Pipeline, SingleCell } from "@cellflow/core";',
      'import { remote } from "@cellflow/bullmq";',
      'import { Squares } from "./cells.js";',
      'class Counter extends SingleCell { output = new Output(this, "n"); n = 0; onPull() { this.output.setValue(this.n++); } }',
      "class Main extends Pipeline {",
      '  counter = new Counter(this, "counter"); squares = new Squares(this, "squares"); result = new OutputPort(this, "result");',
      "  constructor(p, n) { super(p, n); new Connection(this.counter.output, this.squares.input); new Connection(this.squares.output, this.result); }",
      "}",
      'const main = new Main(null, "main");',
      'main.squares.scaleUp(2, remote({ redis: process.argv[2], queue: "squares" }));',
      "await main.deploy();",
      "const out = [];",
      "for (let i = 0; i < 5; i++) out.push((await main.pull()).result);",
      "await main.undeploy();",
      'console.log(out.join(" "));',
    ].join("\n");
    const dir = remoteProject("remote-js", { "cells.js": cells, "main.js": main });
    const redis = await startRedis();
    const env = { ...process.env };
    delete env.NODE_PATH;
    delete env.NODE_OPTIONS;
    const worker = spawn(process.execPath, ["node_modules/@cellflow/bullmq/dist/cli.js", "worker", "--module", "./cells.js", "--redis", redis.url, "--queue", "squares"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    try {
      let output = "";
      await new Promise<void>((resolve, reject) => {
        worker.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()) && output.includes("serving") && resolve());
        worker.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
        worker.once("exit", (code) => reject(new Error(`the worker exited with ${code}: ${output}`)));
      });
      const run = await node(["main.js", redis.url], dir);
      expect(run).toMatchObject({ code: 0, stdout: "0 1 4 9 16\n", stderr: "" });
    } finally {
      worker.kill("SIGTERM");
      await new Promise((resolve) => (worker.exitCode !== null ? resolve(null) : worker.once("exit", resolve)));
      await redis.stop();
    }
  }, 120_000);

  it("ships its build, types, bin, README and LICENSE, and no sources or tests", () => {
    const entries = execFileSync("tar", ["tzf", bullmqTarball!], { encoding: "utf8" }).trim().split("\n");
    for (const file of ["package/package.json", "package/README.md", "package/LICENSE", "package/dist/index.js", "package/dist/index.d.ts", "package/dist/cli.js"]) {
      expect(entries).toContain(file);
    }
    expect(entries.filter((e) => /test|\/src\/|\.ts$/.test(e) && !e.endsWith(".d.ts"))).toEqual([]);
    const manifest = JSON.parse(execFileSync("tar", ["xzOf", bullmqTarball!, "package/package.json"], { encoding: "utf8" }));
    expect(manifest.bin).toEqual({ cellflow: "./dist/cli.js" });
    expect(manifest.exports["."]).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" });
    expect(manifest.peerDependencies["@cellflow/core"]).toBe("^0.1.0");
    expect(readFileSync(join(repoRoot, "packages/bullmq/src/cli.ts"), "utf8").startsWith("#!/usr/bin/env node")).toBe(true);
  });
});

describe("the packed @cellflow/monitor", () => {
  /** The packed @cellflow/monitor (packed on first use). */
  let monitorTarball: string | undefined;

  /** A project with core installed by npm and monitor unpacked next to it; prom-client linked from the workspace if `withPromClient`. */
  function packMonitor(): string {
    if (monitorTarball === undefined) {
      const destination = join(work, "monitor-pack");
      mkdirSync(destination);
      pnpm(["pack", "--pack-destination", destination], join(repoRoot, "packages/monitor"));
      monitorTarball = join(destination, readdirSync(destination).find((f) => f.endsWith(".tgz"))!);
    }
    return monitorTarball;
  }

  function monitorProject(name: string, files: Record<string, string>, withPromClient: boolean): string {
    const dir = project(name, files);
    const target = join(dir, "node_modules/@cellflow/monitor");
    mkdirSync(target, { recursive: true });
    execFileSync("tar", ["xzf", packMonitor(), "-C", target, "--strip-components=1"]);
    if (withPromClient) symlinkSync(realpathSync(join(repoRoot, "node_modules/prom-client")), join(dir, "node_modules/prom-client"));
    return dir;
  }

  const monitorReadme = readFileSync(join(repoRoot, "packages/monitor/README.md"), "utf8");
  const readmeMain = /```js main\.js\n([\s\S]*?)```/.exec(monitorReadme)![1]!;

  /** Starts `node main.js <args>` in `dir`; resolves with the URL it prints and a promise of its end. */
  function startServing(dir: string, args: string[]): Promise<{ url: string; ended: Promise<Run> }> {
    const env = { ...process.env };
    delete env.NODE_PATH;
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ["main.js", ...args], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const ended = new Promise<Run>((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
    return new Promise((resolve, reject) => {
      child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.stdout!.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
        const url = /dashboard: (http:\S+)/.exec(stdout)?.[1];
        if (url !== undefined) resolve({ url, ended });
      });
      void ended.then((run) => reject(new Error(`main.js ended before printing its URL: ${JSON.stringify(run)}`)));
    });
  }

  it("ships its build, types, the page, README and LICENSE, and no sources or tests", () => {
    const entries = execFileSync("tar", ["tzf", packMonitor()], { encoding: "utf8" }).trim().split("\n");
    for (const file of ["package/package.json", "package/README.md", "package/LICENSE", "package/dist/index.js", "package/dist/index.d.ts", "package/page/index.html"]) {
      expect(entries).toContain(file);
    }
    expect(entries.filter((e) => /test|\/src\/|\.ts$/.test(e) && !e.endsWith(".d.ts"))).toEqual([]);
    const manifest = JSON.parse(execFileSync("tar", ["xzOf", monitorTarball!, "package/package.json"], { encoding: "utf8" }));
    expect(manifest.exports["."]).toEqual({ types: "./dist/index.d.ts", default: "./dist/index.js" });
    expect(manifest.peerDependencies["@cellflow/core"]).toBe("^0.1.0");
    expect(manifest.peerDependenciesMeta["prom-client"].optional).toBe(true);
    expect(manifest.dependencies ?? {}).toEqual({});
  }, 120_000); // packing builds first

  it("runs the README's program with plain node: the page, a snapshot and /metrics are served, and it ends on its own", async () => {
    const dir = monitorProject("monitor-js", { "main.js": readmeMain }, true);
    const { url, ended } = await startServing(dir, ["1.5"]);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const page = await fetch(url);
    expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await page.text()).toContain("new EventSource(");
    await new Promise((resolve) => setTimeout(resolve, 300)); // let it pull a while
    const snapshot = (await (await fetch(new URL("snapshot", url))).json()) as { cells: { cell: string }[] };
    expect(snapshot.cells.map((c) => c.cell)).toEqual(["main.numbers", "main.squares"]);
    const metrics = await (await fetch(new URL("metrics", url))).text();
    expect(metrics).toContain("# TYPE cellflow_cell_items_total counter");
    expect(metrics).toMatch(/^cellflow_cell_items_total\{cell="main\.squares",clone="main\.squares#async-1"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^cellflow_queue_capacity\{cell="main\.squares"\} [1-9]\d*$/m);
    expect(await ended).toMatchObject({ code: 0, stderr: "" });
  }, 60_000);

  it("type-checks a TypeScript consumer against the shipped declarations without prom-client installed (tsc, strict, skipLibCheck off)", async () => {
    const program = [
      'import { Pipeline } from "@cellflow/core";',
      'import { serveMonitor, registerMetrics, type Monitor, type MetricsRegistry, type Snapshot } from "@cellflow/monitor";',
      'const pipeline = new Pipeline(null, "typed");',
      'const monitor: Monitor = await serveMonitor(pipeline, { port: 0, token: "t", intervalMs: 500, metrics: false });',
      "const url: string = monitor.url;",
      "await monitor.close();",
      "declare const registry: MetricsRegistry;",
      "registerMetrics(registry, { maxLanes: 8 }).close();",
      "const snapshot = null as unknown as Snapshot;",
      "const rate: number | undefined = snapshot.cells[0]?.itemsPerSecond;",
      "// @ts-expect-error the port is a number",
      'await serveMonitor(pipeline, { port: "80" });',
      "console.log(url, rate);",
    ].join("\n");
    const tsconfig = {
      compilerOptions: { target: "ES2022", module: "NodeNext", strict: true, noEmit: true, skipLibCheck: false, types: ["node"] },
      include: ["*.ts"],
    };
    const dir = monitorProject("monitor-ts-check", { "main.ts": program, "tsconfig.json": JSON.stringify(tsconfig) }, false);
    for (const link of ["typescript", "@types/node"]) {
      mkdirSync(join(dir, "node_modules", link, ".."), { recursive: true });
      symlinkSync(realpathSync(join(repoRoot, "node_modules", link)), join(dir, "node_modules", link));
    }
    const run = await node([join(dir, "node_modules/typescript/bin/tsc"), "-p", "."], dir);
    expect(run.stdout + run.stderr).toBe("");
    expect(run.code).toBe(0);
  }, 120_000); // packs first when run alone

  it("without prom-client: the page still serves, /metrics answers 501 naming the fix, and metrics: true rejects with PromClientMissingError", async () => {
    const program = [
      'import { Pipeline } from "@cellflow/core";',
      'import { serveMonitor } from "@cellflow/monitor";',
      'const pipeline = new Pipeline(null, "empty");',
      "const monitor = await serveMonitor(pipeline);",
      "const page = await fetch(monitor.url);",
      'const metrics = await fetch(new URL("metrics", monitor.url));',
      "console.log(page.status, metrics.status, (await metrics.text()).trim());",
      "await monitor.close();",
      "await serveMonitor(pipeline, { metrics: true }).catch((error) => console.log(error.name));",
    ].join("\n");
    const dir = monitorProject("monitor-no-prom", { "main.js": program }, false);
    const run = await node(["main.js"], dir);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toMatch(/^200 501 .*prom-client.*npm install prom-client\nPromClientMissingError\n$/);
  });
});
