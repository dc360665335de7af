/**
 * A first-in first-out buffer of at most `capacity` values, on a ring: `push` and
 * `shift` take constant time whatever the capacity (an array's `shift` copies the rest).
 * Used by `ObservableSource` for the values an observable emits before they are pulled.
 */
export class BoundedBuffer<T> {
  private readonly slots: (T | undefined)[] = [];
  private head = 0;
  private count = 0;

  constructor(readonly capacity: number) {}

  get length(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.capacity;
  }

  /** Appends `value`; the caller checks `isFull` first. */
  push(value: T): void {
    const index = (this.head + this.count) % this.capacity;
    // The ring grows up to the capacity as values come, so a large capacity costs nothing until used.
    if (index === this.slots.length) this.slots.push(value);
    else this.slots[index] = value;
    this.count++;
  }

  /** Removes and returns the oldest value; the caller checks `length` first. */
  shift(): T {
    const value = this.slots[this.head] as T;
    this.slots[this.head] = undefined; // no reference kept to a value handed out
    this.head = (this.head + 1) % this.capacity;
    this.count--;
    return value;
  }

  clear(): void {
    this.slots.length = 0;
    this.head = 0;
    this.count = 0;
  }
}
