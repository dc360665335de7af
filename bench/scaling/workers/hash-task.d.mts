/** `work` rounds of xorshift from `seed`: the work of the Hasher cell, as a Piscina task. */
export default function hash(task: { seed: number; work: number }): number;
