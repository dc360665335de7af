import type { CellLocation } from "../cell-registry.js";
import type { ItemResult } from "../clone-method.js";
import type { CloneSettings, ParameterValue } from "../clone-settings.js";
import type { CloneShape } from "../clone-shape.js";
import type { ItemSpan, ShippedEvents } from "../../observe/shipping.js";

/** Requests from the parent to a clone running in a thread or process. */
export type CloneRequest =
  | {
      readonly id: number;
      readonly op: "deploy";
      readonly cell: CellLocation;
      readonly shape: CloneShape;
      readonly settings: CloneSettings;
      readonly transfer: boolean;
      readonly lane?: string;
    }
  /**
   * `observe`: the parent listens to the engine's events; record them and ship them with
   * replies. `everyRun`: and it times every cell run (a Recorder's `everyRun`).
   */
  | { readonly id: number; readonly op: "run"; readonly inputs: Record<string, unknown>; readonly observe?: boolean; readonly everyRun?: boolean }
  /** Several items, run one after the other; answered by one reply with `results`. */
  | { readonly id: number; readonly op: "runBatch"; readonly items: Record<string, unknown>[]; readonly observe?: boolean; readonly everyRun?: boolean }
  | { readonly id: number; readonly op: "parameters"; readonly parameters: readonly ParameterValue[] }
  | { readonly id: number; readonly op: "reset" }
  | { readonly id: number; readonly op: "undeploy" };

/** An error as it crosses the boundary: enough to rebuild a typed error with the stack it had in the clone. */
export interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
  /** Set when the error is a CellPullError: the failing cell's path. */
  readonly cellPath?: string;
  readonly cause?: SerializedError;
}

/** Replies from the clone, matched to requests by `id`. */
export type CloneReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly value?: Record<string, unknown>;
      /** The answer to a "runBatch" request: the next items' results, in order (errors serialized). */
      readonly results?: ItemResult<SerializedError>[];
      /** More results of this "runBatch" request follow (the batch runs long; these are done). */
      readonly partial?: boolean;
      /** While observed: each of `results`' `[start, end]`, epoch milliseconds. */
      readonly spans?: ItemSpan[];
      /** While observed: the clone's events since its last reply. */
      readonly events?: ShippedEvents;
    }
  | { readonly id: number; readonly ok: false; readonly error: SerializedError };

/** The clone entry needs to know how to load TypeScript cell modules, if any. */
export interface CloneBootData {
  readonly runtimeUrl: string;
  /** Where the cell lives: tsx is looked up from there first, as the app's own imports would. */
  readonly cellModuleUrl: string;
  readonly useTsx: boolean;
}
