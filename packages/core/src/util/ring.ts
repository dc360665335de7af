/** A bounded buffer that keeps the newest `capacity` items: memory stays flat however long it records. */
export class Ring<T> {
  private readonly items: T[] = [];
  /** Where the oldest item is, once the ring is full. */
  private head = 0;
  /** Items pushed out to make room. */
  dropped = 0;

  constructor(readonly capacity: number) {}

  push(item: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(item);
      return;
    }
    this.items[this.head] = item;
    this.head = (this.head + 1) % this.capacity;
    this.dropped++;
  }

  get size(): number {
    return this.items.length;
  }

  /** The items, oldest first. */
  toArray(): T[] {
    return this.head === 0 ? this.items.slice() : [...this.items.slice(this.head), ...this.items.slice(0, this.head)];
  }

  clear(): void {
    this.items.length = 0;
    this.head = 0;
    this.dropped = 0;
  }
}
