import type { Suite } from "../lib/suite.js";

/**
 * Every suite `pnpm bench <suite>` can run: one file per suite in this folder, loaded
 * only when asked for. Add a suite by adding its file and one line here.
 */
export const suites: Readonly<Record<string, () => Promise<Suite>>> = {
  overhead: async () => (await import("./overhead.js")).overhead,
  channel: async () => (await import("./channel.js")).channel,
  scaleup: async () => (await import("./scaleup.js")).scaleup,
  cpu: async () => (await import("./cpu.js")).cpu,
  tiny: async () => (await import("./tiny.js")).tiny,
  transfer: async () => (await import("./transfer.js")).transfer,
  "slow-clone": async () => (await import("./slow-clone.js")).slowClone,
  recovery: async () => (await import("./recovery.js")).recovery,
  remote: async () => (await import("./remote.js")).remoteSuite,
  observe: async () => (await import("./observe.js")).observe,
};
