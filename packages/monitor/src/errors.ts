import { CellflowError } from "@cellflow/core";

/** Metrics were asked for, and prom-client (an optional peer dependency) is not installed. */
export class PromClientMissingError extends CellflowError {
  constructor(cause?: unknown) {
    super("@cellflow/monitor: metrics need prom-client, an optional peer dependency that is not installed. Install it next to @cellflow/monitor: npm install prom-client", { cause });
  }
}
