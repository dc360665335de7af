import { AbortedError } from "../errors/lifecycle-errors.js";
import type { MaybePromise } from "../util/maybe-promise.js";
import { publishQueueFill, queueFillChannel } from "../observe/channels.js";
import { now } from "../observe/clock.js";

/**
 * The bounded ticket queue behind a scalable cell (PyPipeline's circular multi-queue).
 * A manager reserves the next ticket *before* it pulls the inputs, so tickets follow
 * input order; clones fill their tickets in any order; the consumer takes tickets in
 * ticket order. Outputs therefore leave in input order however uneven the clones are.
 */
export class OutputQueue<S> {
  private readonly slots = new Map<number, S>();
  private nextTicket = 0;
  private nextToTake = 0;
  private readonly reservers: Array<{ owner: object; resolve: (ticket: number | null) => void }> = [];
  private taker: { resolve: (slot: S) => void; reject: (error: unknown) => void } | null = null;
  /** Tickets allowed beyond `capacity` because a slow item held the head (see `maxStretch`). */
  private stretch = 0;

  /**
   * @param capacity how many tickets may be out (reserved or filled, not yet taken).
   * @param demandDriven reserve only when a consumer waits: used when the scalable cell
   *   is on a recurrent cycle, where its next input depends on its last output.
   * @param maxStretch how far beyond `capacity` the queue may grow while its head is
   *   blocked (0: never). SPEC 3.11, a slow clone never holds the rest back: when the
   *   consumer waits for the oldest ticket, whose item a slow clone still runs, and a
   *   manager waits for room (its clone is free: its items are done and queued behind
   *   the head), the queue lets that manager in, one ticket more, instead of leaving a
   *   free clone idle. The stretch stays (bounded, so memory stays flat) until `clear`.
   */
  constructor(
    /** The scalable cell's path, for the queue-fill channel. */
    private readonly cell: string,
    private readonly capacity: () => number,
    private readonly demandDriven: () => boolean,
    private readonly maxStretch: () => number = () => 0,
  ) {}

  /** Tickets reserved or filled but not taken yet. */
  get outstanding(): number {
    return this.nextTicket - this.nextToTake;
  }

  /** Whether the next ticket to take is already filled. */
  get headIsFilled(): boolean {
    return this.slots.has(this.nextToTake);
  }

  /** The next ticket, or null if `cancel(owner)` withdrew the request while it waited for room. */
  reserve(owner: object): MaybePromise<number | null> {
    if (this.reservers.length === 0 && (this.hasRoom() || this.stretchForBlockedHead())) return this.nextTicket++;
    return new Promise((resolve) => this.reservers.push({ owner, resolve }));
  }

  fill(ticket: number, slot: S): void {
    this.slots.set(ticket, slot);
    if (queueFillChannel.hasSubscribers) this.publishFill();
    if (ticket === this.nextToTake && this.taker !== null) {
      const taker = this.taker;
      this.taker = null;
      taker.resolve(this.takeHead());
    }
  }

  /** The slot of the oldest ticket, once it is filled. Only one consumer takes at a time. */
  take(): MaybePromise<S> {
    if (this.slots.has(this.nextToTake)) return this.takeHead();
    return new Promise<S>((resolve, reject) => {
      this.taker = { resolve, reject };
      this.admitReservers(); // a demand-driven queue makes room for exactly this demand
    });
  }

  /** Withdraws `owner`'s waiting reservation (its reserve resolves to null). */
  cancel(owner: object): void {
    const index = this.reservers.findIndex((r) => r.owner === owner);
    if (index >= 0) this.reservers.splice(index, 1)[0]!.resolve(null);
  }

  /** Withdraws every waiting reservation (each resolves to null). */
  cancelAll(): void {
    for (const r of this.reservers.splice(0)) r.resolve(null);
  }

  /** Rejects the waiting consumer and withdraws every waiting reservation. */
  abort(reason: string): void {
    this.cancelAll();
    const taker = this.taker;
    this.taker = null;
    taker?.reject(new AbortedError(reason));
  }

  /** Rejects the waiting consumer with `error` (e.g. when no clone is left to fill its ticket). */
  failTaker(error: unknown): void {
    const taker = this.taker;
    this.taker = null;
    taker?.reject(error);
  }

  get hasTaker(): boolean {
    return this.taker !== null;
  }

  /** Forgets every ticket: used by reset, after every manager stopped. */
  clear(): void {
    this.stretch = 0;
    this.slots.clear();
    this.nextTicket = 0;
    this.nextToTake = 0;
  }

  /** Capacity may have grown (clones added): let waiting managers in. */
  admitReservers(): void {
    while (this.reservers.length > 0 && (this.hasRoom() || this.stretchForBlockedHead())) {
      this.reservers.shift()!.resolve(this.nextTicket++);
    }
  }

  private hasRoom(): boolean {
    if (this.demandDriven()) return this.outstanding < (this.taker !== null ? 1 : 0);
    return this.outstanding < this.capacity() + this.stretch;
  }

  /**
   * The queue is full, the consumer waits for a head ticket still running, and a manager
   * asks for room: grow by one ticket if the bound allows. Only while someone pulls: an
   * idle pipeline's queue fills to `capacity` and no further.
   */
  private stretchForBlockedHead(): boolean {
    if (this.taker === null || this.slots.has(this.nextToTake) || this.demandDriven()) return false;
    if (this.stretch >= this.maxStretch()) return false;
    this.stretch++;
    return true;
  }

  private takeHead(): S {
    const slot = this.slots.get(this.nextToTake)!;
    this.slots.delete(this.nextToTake);
    this.nextToTake++;
    this.admitReservers();
    if (queueFillChannel.hasSubscribers) this.publishFill();
    return slot;
  }

  private publishFill(): void {
    publishQueueFill({
      cell: this.cell,
      time: now(),
      outstanding: this.outstanding,
      filled: this.slots.size,
      capacity: this.capacity() + this.stretch,
    });
  }
}
