/**
 * The scale-up example's multiplier, named for remote workers: workers started with
 * `--module examples/remote/cells.ts` find it as "scaleup-multiplier". (The cells
 * themselves are examples/scaleup/cells.ts, unchanged.)
 */
import { registerRemoteCells } from "@cellflow/bullmq";
import { MultiplierCell } from "../scaleup/cells.js";

registerRemoteCells(import.meta.url, { "scaleup-multiplier": MultiplierCell });
