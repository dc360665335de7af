/**
 * Simulated I/O that takes `ms` milliseconds without blocking the event loop: a timer
 * for most of the wait, then short yields until the deadline. Plain `setTimeout` fires
 * up to a millisecond or two late, which would blur the throughput figures.
 */
export async function simulateIo(ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  if (ms > 2) await new Promise((resolve) => setTimeout(resolve, ms - 2));
  while (performance.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
}
