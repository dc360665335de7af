import type { OutputPort } from "../io/ports.js";

/** The names of the fields of `P` (a pipeline) that hold an OutputPort. */
export type OutputPortFields<P> = {
  [K in keyof P]: K extends string ? (P[K] extends OutputPort<any> ? K : never) : never;
}[keyof P];

/**
 * The output record of pipeline `P`: the value of each of its output ports, under the
 * name of the field that holds the port, typed by the port. For a pipeline whose type
 * shows no output port fields (the base `Pipeline`), the loose
 * `Readonly<Record<string, unknown>>`, which every pipeline's record fits: so a `Words`
 * pipeline is still a `Pipeline`.
 *
 * ```ts
 * class Words extends Pipeline {
 *   readonly word = new OutputPort<string>(this, "word");
 *   readonly length = new OutputPort<number>(this, "length");
 * }
 * for await (const out of words) out.word; // { readonly word: string; readonly length: number }
 * ```
 */
export type OutputRecord<P> = [OutputPortFields<P>] extends [never]
  ? Readonly<Record<string, unknown>>
  : { readonly [K in OutputPortFields<P>]: P[K] extends OutputPort<infer T> ? T : never };

/**
 * What `pull()` of pipeline `P` resolves to: its {@link OutputRecord}, or nothing
 * (`undefined`) when the pipeline has no output ports.
 */
export type PipelineOutputs<P> = [OutputPortFields<P>] extends [never] ? OutputRecord<P> | void : OutputRecord<P>;
