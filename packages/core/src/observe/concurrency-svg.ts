/**
 * A concurrency diagram of a recording, as an SVG image: one row per lane (the main
 * thread, each clone), a box per cell run coloured by cell, a time axis in units. The
 * picture PyPipeline's scale-up guide draws by hand, from a real run.
 *
 * ```ts
 * import { writeFileSync } from "node:fs";
 * import { Recorder, toConcurrencySvg } from "@cellflow/core";
 * const recorder = new Recorder().start();
 * // … deploy and pull the pipeline, then:
 * writeFileSync("concurrency.svg", toConcurrencySvg(recorder.stop().events(), { unitMs: 20, title: "2 clones" }));
 * ```
 *
 * @module
 */
import type { Lane, RecordedEvents } from "./events.js";
import { assignRows, busySpan, compareLanes, rowName } from "./lanes.js";

export interface ConcurrencySvgOptions {
  /** Milliseconds per time unit of the axis (default 1: the axis counts milliseconds). */
  readonly unitMs?: number;
  /** A heading above the diagram. */
  readonly title?: string;
  /** Colour per cell, by the cell's name (the last part of its path); others get the palette's. */
  readonly colours?: Readonly<Record<string, string>>;
  /** Pixels per time unit (default: what fits the diagram in 800 pixels). */
  readonly pixelsPerUnit?: number;
  /** A row's label (default: the lane with the pipeline's path shortened, `scalable#thread-1`). */
  readonly laneLabel?: (lane: Lane, row: number) => string;
  /** How much a box may overlap the one before it in its row and still follow it (default 1 ms; see `ChromeTraceOptions`). */
  readonly overlapToleranceMs?: number;
}

/** What a box shows: a cell run's busy part, or a clone item where the lane has no runs. */
interface Box {
  readonly kind: "run" | "item";
  readonly lane: Lane;
  /** The cell (its path): the colour, and the row it keeps to. */
  readonly key: string;
  readonly start: number;
  readonly end: number;
  readonly failed: boolean;
  readonly tip: string;
}

const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"];
const ROW = 26;
const BOX = 18;
const FONT = 'font-family="sans-serif" font-size="12"';

/**
 * The SVG text of a concurrency diagram (a pure function of the recording). Each cell
 * run is drawn as its busy part (it ends at `end` and lasts `end - start - waited`, as
 * in the Chrome trace), so waiting for inputs leaves the row empty. Runs of one lane that
 * overlap in time (async work side by side on one thread) go on extra rows of that lane,
 * `main (2)`, so boxes never cover each other. Time 0 is the recording's start. Rows are
 * `<g class="lane">` elements and boxes `<rect class="run">`, one per cell run. A clone
 * lane with clone items but no cell runs (a clone method that ships only its items' spans)
 * gets a `<rect class="item">` per item instead, coloured by the scalable cell.
 */
export function toConcurrencySvg(events: RecordedEvents, options: ConcurrencySvgOptions = {}): string {
  const unitMs = options.unitMs ?? 1;
  // Events that were not timed (CellRunEvent.timed) have no length: nothing to draw.
  const timedRuns = events.cellRuns.filter((run) => run.timed);
  const runLanes = new Set(timedRuns.map((run) => run.lane));
  const spans: Box[] = timedRuns.map((run) => {
    const busy = busySpan(run);
    const tip = `${run.cell}: ${fmt(busy.end - busy.start)} ms busy, ${fmt(run.waited)} ms waiting for inputs${run.failed ? ", failed" : ""}`;
    return { kind: "run", lane: run.lane, key: run.cell, ...busy, failed: run.failed, tip };
  });
  for (const item of events.cloneItems) {
    if (runLanes.has(item.lane)) continue;
    const tip = `${item.cell} item ${item.ticket}: ${fmt(item.end - item.start)} ms${item.failed ? ", failed" : ""}`;
    spans.push({ kind: "item", lane: item.lane, key: item.cell, start: item.start, end: item.end, failed: item.failed, tip });
  }
  const origin = spans.reduce((min, s) => Math.min(min, s.start), events.from);
  const placements = assignRows(spans, "disjoint", options.overlapToleranceMs ?? 1);
  const rowKeys = new Map<string, { lane: Lane; row: number }>();
  for (const p of placements) rowKeys.set(rowName(p.lane, p.row), p);
  const rows = [...rowKeys.values()].sort((a, b) => compareLanes(a.lane, b.lane) || a.row - b.row);
  const rowIndex = new Map(rows.map((r, i) => [rowName(r.lane, r.row), i]));

  const endMs = spans.reduce((max, s) => Math.max(max, s.end), events.to);
  const units = Math.max(1, Math.ceil((endMs - origin) / unitMs));
  const label = options.laneLabel ?? ((lane: Lane, row: number) => rowName(shortLane(lane), row));
  const labels = rows.map((r) => label(r.lane, r.row));
  const left = 12 + 7 * Math.max(4, ...labels.map((l) => l.length));
  const perUnit = options.pixelsPerUnit ?? Math.max(2, Math.min(60, 800 / units));
  const top = options.title === undefined ? 10 : 34;
  const width = Math.ceil(left + units * perUnit + 20);
  const axisY = top + rows.length * ROW + 6;

  const colours = new Map<string, string>();
  const colourOf = (cell: string) => {
    const name = cellName(cell);
    let colour = colours.get(name);
    if (colour === undefined) colours.set(name, (colour = options.colours?.[name] ?? PALETTE[colours.size % PALETTE.length]!));
    return colour;
  };
  for (const span of [...spans].sort((a, b) => a.start - b.start)) colourOf(span.key);
  const legendY = axisY + 40;
  const height = legendY + 16;

  const x = (ms: number) => left + ((ms - origin) / unitMs) * perUnit;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (options.title !== undefined) out.push(`<text x="${left}" y="22" font-size="14" font-weight="bold">${escape(options.title)}</text>`);

  const boxes: string[][] = rows.map(() => []);
  spans.forEach((span, i) => {
    const p = placements[i]!;
    const r = rowIndex.get(rowName(p.lane, p.row))!;
    const y = top + r * ROW + (ROW - BOX) / 2;
    const w = Math.max(0.5, x(span.end) - x(p.start));
    boxes[r]!.push(
      `<rect class="${span.kind}" data-cell="${escape(span.key)}" x="${fmt(x(p.start))}" y="${y}" width="${fmt(w)}" height="${BOX}" rx="2" fill="${colourOf(span.key)}"` +
        `${span.failed ? ' stroke="#c00" stroke-width="2"' : ' stroke="#333" stroke-width="0.5"'}><title>${escape(span.tip)}</title></rect>`,
    );
  });
  rows.forEach((r, i) => {
    const y = top + i * ROW;
    out.push(`<g class="lane" data-lane="${escape(rowName(r.lane, r.row))}">`);
    if (i % 2 === 1) out.push(`<rect x="${left}" y="${y}" width="${fmt(units * perUnit)}" height="${ROW}" fill="#f4f4f4"/>`);
    out.push(`<text x="${left - 8}" y="${y + ROW / 2 + 4}" text-anchor="end">${escape(labels[i]!)}</text>`);
    out.push(...boxes[i]!);
    out.push(`</g>`);
  });

  // Time axis: a tick per unit, labelled so that at most ~16 labels show.
  const every = niceStep(units / 16);
  out.push(`<g class="axis"><line x1="${left}" y1="${axisY}" x2="${fmt(left + units * perUnit)}" y2="${axisY}" stroke="#333"/>`);
  for (let u = 0; u <= units; u++) {
    const tx = fmt(left + u * perUnit);
    const labelled = u % every === 0;
    out.push(`<line x1="${tx}" y1="${axisY}" x2="${tx}" y2="${axisY + (labelled ? 6 : 3)}" stroke="#333"/>`);
    if (labelled) out.push(`<text x="${tx}" y="${axisY + 18}" text-anchor="middle">${u}</text>`);
  }
  const unitText = unitMs === 1 ? "time (ms)" : `time (units; 1 unit = ${fmt(unitMs)} ms)`;
  out.push(`<text x="${fmt(left + (units * perUnit) / 2)}" y="${axisY + 32}" text-anchor="middle">${unitText}</text></g>`);

  out.push(`<g class="legend">`);
  let lx = left;
  for (const [name, colour] of colours) {
    out.push(`<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${colour}" stroke="#333" stroke-width="0.5"/>`);
    out.push(`<text x="${lx + 16}" y="${legendY}">${escape(name)}</text>`);
    lx += 16 + 7 * name.length + 18;
  }
  out.push(`</g>`, `</svg>`);
  return out.join("\n") + "\n";
}

/** The last part of a cell's path: `my_pipeline.printer` → `printer`. */
function cellName(path: string): string {
  return path.slice(path.lastIndexOf(".") + 1);
}

/**
 * A lane with the pipeline's path left out of each scalable cell's path:
 * `my_pipeline.scalable#thread-1/my_pipeline.scalable.inner#async-2` →
 * `scalable#thread-1/inner#async-2` (method names, which may hold a URL, stay as they are).
 */
export function shortLane(lane: Lane): string {
  return lane.replace(/(^|\/)(?:[\w$-]+\.)+(?=[\w$-]+#)/g, "$1");
}

/** The first of 1, 2, 5, 10, 20, 50, … that is at least `raw`. */
function niceStep(raw: number): number {
  for (let scale = 1; ; scale *= 10) for (const m of [1, 2, 5]) if (m * scale >= raw) return m * scale;
}

const fmt = (n: number) => String(Math.round(n * 100) / 100);

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
