/**
 * The user-level arithmetic of the stress cells: what a source emits, what an operator
 * computes and when it fails. Pure functions of their arguments, shared by the fixture
 * cells (which run them inside the engine, in any clone) and the reference model (which
 * runs them in a plain loop). Only the arithmetic is shared; the model's semantics
 * (propagation, recurrence, sinks, ends) are written out in model.ts, not taken from the
 * engine.
 */

/** The value every output with an initial value (the recurrent ones) starts with. */
export const INIT = 1;

/** How the reference model and the runner name an end of stream, whatever class carries it. */
export const END_OF_STREAM = "EndOfStream";

export type Delay = "none" | "micro" | "macro";

/**
 * How an operator pulls its inputs:
 * - `seq`: one after the other, throwing at the first error (the engine uses up the
 *   values of the inputs not pulled yet);
 * - `settle`: one after the other, catching, then throws the first error;
 * - `concurrent`: all at once (Promise.allSettled), then throws the first error in input order.
 */
export type PullMode = "seq" | "settle" | "concurrent";

/** Everything that decides an operator's behaviour; reaches clones as ConfigParameters. */
export interface OpParams {
  readonly id: number;
  readonly k: number;
  readonly c: number;
  /** 0: never fails; else fails when sum(inputs) % failMod === failRes. */
  readonly failMod: number;
  readonly failRes: number;
  readonly delay: Delay;
  readonly pullMode: PullMode;
}

export interface SourceParams {
  readonly id: number;
  readonly base: number;
  readonly step: number;
  /** -1: endless. */
  readonly length: number;
  /** Items (0-based) on which the source throws. */
  readonly failItems: readonly number[];
}

export function sourceValue(p: SourceParams, item: number): number {
  return p.base + p.step * item;
}

export function sourceFails(p: SourceParams, item: number): boolean {
  return p.failItems.includes(item);
}

export function sourceFailMessage(p: SourceParams, item: number): string {
  return `source s${p.id} fails on item ${item}`;
}

function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

export function opFails(p: OpParams, inputs: readonly number[]): boolean {
  return p.failMod > 0 && sum(inputs) % p.failMod === p.failRes;
}

export function opFailMessage(p: OpParams, inputs: readonly number[]): string {
  return `op n${p.id} fails on inputs [${inputs.join(",")}]`;
}

/** out0 = (k * in0 + sum + c) mod 997; out1 = (3 * out0 + 7 + id) mod 991. */
export function opOutputs(p: OpParams, inputs: readonly number[], nOut: number): number[] {
  const out0 = (p.k * inputs[0]! + sum(inputs) + p.c) % 997;
  if (nOut === 1) return [out0];
  return [out0, (out0 * 3 + 7 + p.id) % 991];
}

/** How long an operator waits after pulling its inputs: deterministic per item, uneven across items. */
export function opWait(p: OpParams, inputs: readonly number[]): { micro: number } | { ms: number } | null {
  const s = sum(inputs);
  if (p.delay === "micro") return { micro: 1 + (s % 3) };
  if (p.delay === "macro") return { ms: s % 3 };
  return null;
}

/** The crash cell's arithmetic. */
export function crashOutput(x: number): number {
  return (x * 3 + 1) % 1009;
}
