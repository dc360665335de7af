// Piscina task of the `tiny` suite: the same trivial work as the Increment cell.
export default function increment(x) {
  return x + 1;
}
