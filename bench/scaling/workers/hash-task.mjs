// Piscina task of the `cpu` suite: the same work as the Hasher cell of
// examples/scaling/cpu-threads.ts (`work` rounds of xorshift from the seed).
export default function hash({ seed, work }) {
  let x = seed | 0 || 1;
  for (let i = work; i > 0; i--) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x >>> 0;
}
