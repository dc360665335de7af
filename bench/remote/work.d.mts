/** See work.mjs: x + 1, after about cpuMs of arithmetic. */
export function spin(x: number, cpuMs: number): number;
