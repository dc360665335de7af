// The work of one benchmark item, shared by the cellflow cell and the bare BullMQ worker:
// x + 1 when `cpuMs` is 0, else about `cpuMs` of arithmetic first (the result depends on it).
export function spin(x, cpuMs) {
  if (cpuMs <= 0) return x + 1;
  const until = performance.now() + cpuMs;
  let h = x | 0;
  while (performance.now() < until) for (let i = 0; i < 1000; i++) h = (Math.imul(h, 31) + i) | 0;
  return x + 1 + (h & 0); // the loop's work, but the same result as a tiny item
}
