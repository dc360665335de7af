/**
 * Following items through a scalable cell's queue: which clone item the downstream cell
 * consumed in which of its runs. The queue hands items out in ticket order, one per
 * take, so the link goes by order: the k-th item taken (ticket order) is consumed by
 * the k-th run of the consumer (runs in order of start; an event standing for several
 * runs, `CellRunEvent.runs`, is the last of them). Simple and exact as long as the
 * consumer takes one item per run (what a cell pulling the scalable cell's output does)
 * and the recording covers the scalable cell from its first item (start recording before
 * deploy: clones start on items then); otherwise there are no links to draw.
 *
 * Upstream, an item's inputs arrive in the `inputMs` before its start: the run of a cell
 * outside the scalable cell that ended last in that window made them (see
 * {@link producerRuns}).
 *
 * @module
 */
import type { CellRunEvent, CloneItemEvent, RecordedEvents } from "./events.js";

/** One item's hop: the clone item that made it, and the consumer's run that took it. */
export interface ItemLink {
  readonly item: CloneItemEvent;
  readonly run: CellRunEvent;
}

/**
 * The items of scalable cell `cell` in the order the queue handed them out: per ticket
 * the last attempt (a crashed clone's item runs again on another clone with the same
 * ticket), tickets in order; a ticket seen again after its item succeeded starts a new
 * round (the cell was reset, tickets count from 0 again). Only what can be put in order
 * counts: a round stops at a missing ticket, and if the recording began after the cell's
 * first items (the first round does not start at ticket 0: clones start on items at
 * deploy, so record from before it) there is nothing to go by, and the list is empty.
 */
export function itemsInTakeOrder(items: readonly CloneItemEvent[], cell: string): CloneItemEvent[] {
  const rounds: Map<number, CloneItemEvent>[] = [new Map()];
  const own = items.filter((item) => item.cell === cell).sort((a, b) => a.end - b.end);
  for (const item of own) {
    let round = rounds[rounds.length - 1]!;
    const earlier = round.get(item.ticket);
    if (earlier !== undefined && !earlier.failed) rounds.push((round = new Map()));
    round.set(item.ticket, item);
  }
  const ordered: CloneItemEvent[] = [];
  for (const round of rounds) {
    for (let ticket = 0; round.has(ticket); ticket++) ordered.push(round.get(ticket)!);
  }
  return ordered;
}

/**
 * The cell that consumed `cell`'s output, read off the recording: among the cells
 * outside the scalable cell, the one whose runs, linked by order, most often ended after
 * the item they are linked to (an upstream cell's runs end before: they made the item's
 * inputs). A tie goes to the cell with the shorter runs: the direct consumer, not a cell
 * further downstream that pulled it. Undefined when no cell ends after at least half its
 * linked items.
 */
export function inferConsumer(events: RecordedEvents, cell: string): string | undefined {
  const items = itemsInTakeOrder(events.cloneItems, cell);
  if (items.length === 0) return undefined;
  let best: { cell: string; score: number; mean: number } | undefined;
  for (const [candidate, runs] of runsByCell(events.cellRuns)) {
    if (candidate === cell || candidate.startsWith(`${cell}.`)) continue;
    let n = 0;
    let after = 0;
    for (const [k, run] of byOrdinal(runs)) {
      if (k >= items.length) break;
      if (!run.timed) continue;
      n++;
      if (items[k]!.end <= run.end) after++;
    }
    if (n === 0) continue;
    const score = after / n;
    const timed = runs.filter((run) => run.timed);
    const mean = timed.reduce((sum, run) => sum + run.end - run.start, 0) / timed.length;
    if (score >= 0.5 && (best === undefined || score > best.score || (score === best.score && mean < best.mean))) {
      best = { cell: candidate, score, mean };
    }
  }
  return best?.cell;
}

/**
 * `runs` (one cell's, in order) with the place of each among all the cell's runs, from 0
 * (an event standing for several runs is the last of them; untimed ones count, and are
 * skipped by the callers: they have no length to link).
 */
function* byOrdinal(runs: readonly CellRunEvent[]): Generator<[number, CellRunEvent]> {
  let ordinal = -1;
  for (const run of runs) yield [(ordinal += run.runs), run];
}

/** Each cell's runs, in order of start. */
function runsByCell(runs: readonly CellRunEvent[]): Map<string, CellRunEvent[]> {
  const byCell = new Map<string, CellRunEvent[]>();
  for (const run of runs) {
    let list = byCell.get(run.cell);
    if (list === undefined) byCell.set(run.cell, (list = []));
    list.push(run);
  }
  for (const list of byCell.values()) list.sort((a, b) => a.start - b.start);
  return byCell;
}

/** The links of `cell`'s items to `consumer`'s runs, by order (see the module comment). */
export function linkItems(events: RecordedEvents, cell: string, consumer: string): ItemLink[] {
  const items = itemsInTakeOrder(events.cloneItems, cell);
  const runs = runsByCell(events.cellRuns.filter((run) => run.cell === consumer)).get(consumer) ?? [];
  const links: ItemLink[] = [];
  for (const [k, run] of byOrdinal(runs)) {
    if (k >= items.length) break;
    if (run.timed) links.push({ item: items[k]!, run });
  }
  return links;
}

/** Milliseconds a producer's end may lie past the item's start (its end is read a moment late). */
const LATE_MS = 1;

/**
 * For each item of `cell`, the run that made its inputs, if the recording has it: the run,
 * of a cell outside the scalable cell other than `consumer`, that ended last while the
 * item's inputs were on their way (in `[start - inputMs, start]`, give or take a
 * millisecond). With several upstream cells that is the nearest one (a chain's last).
 */
export function producerRuns(events: RecordedEvents, cell: string, consumer: string | undefined): ItemLink[] {
  const upstream = events.cellRuns
    .filter((run) => run.timed && run.cell !== consumer && run.cell !== cell && !run.cell.startsWith(`${cell}.`))
    .sort((a, b) => a.end - b.end);
  const links: ItemLink[] = [];
  for (const item of events.cloneItems) {
    if (item.cell !== cell || !(item.inputMs > 0)) continue;
    const from = item.start - item.inputMs - LATE_MS;
    const to = item.start + LATE_MS;
    let producer: CellRunEvent | undefined;
    for (let lo = 0, hi = upstream.length; lo < hi; ) {
      // the last run ending at or before `to`
      const mid = (lo + hi) >> 1;
      if (upstream[mid]!.end <= to) {
        producer = upstream[mid];
        lo = mid + 1;
      } else hi = mid;
    }
    if (producer !== undefined && producer.end >= from) links.push({ item, run: producer });
  }
  return links;
}
