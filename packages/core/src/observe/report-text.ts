/**
 * The bottleneck report as text, for a terminal or a log.
 *
 * @module
 */
import type { CellProfile, ProfileReport } from "./report.js";

/** The report as a table of stages (and clones), the bottleneck, and the suggested clone counts. */
export function formatReport(report: ProfileReport): string {
  const rows: string[][] = [["stage", "items", "items/s", "busy ms", "util", "can do/s"]];
  for (const cell of report.cells) {
    rows.push([label(cell), String(cell.items + cell.errors), fixed(cell.itemsPerSecond), fixed(cell.busyMs), percent(cell.utilisation), fixed(cell.trueRate)]);
    for (const clone of cell.clones) {
      rows.push([`  ${clone.lane.slice(clone.lane.lastIndexOf("#"))}`, String(clone.items + clone.errors), "", fixed(clone.busyMs), percent(clone.utilisation), fixed(clone.trueRate)]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = [`Where time went (${fixed(report.ms)} ms):`];
  for (const row of rows) lines.push(`  ${row.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ")}`.trimEnd());
  for (const cell of report.cells) {
    if (cell.errors > 0) lines.push(`  ${cell.cell}: ${cell.errors} failed run(s)`);
    if (cell.queue !== undefined) {
      const q = cell.queue;
      lines.push(`  queue of ${cell.cell}: ${fixed(q.meanOutstanding)} out on average (max ${q.maxOutstanding}, room ${q.capacity}), ${fixed(q.meanFilled)} waiting to be taken`);
    }
  }
  const bottleneck = report.cells.find((c) => c.cell === report.bottleneck);
  lines.push(bottleneck === undefined ? "Bottleneck: none (nothing ran)" : `Bottleneck: ${bottleneck.cell} (can do ${fixed(bottleneck.trueRate)} items/s)`);
  for (const s of report.suggestions) {
    const now = s.clones === 0 ? "not scalable yet: put it in a ScalableCell" : `now ${s.clones}`;
    lines.push(`Suggested clones for ${s.cell}: ${s.suggested} (${now}; to keep up with ${fixed(s.targetRate)} items/s)`);
  }
  const sampled = report.cells.filter((c) => c.timedRuns < c.items + c.errors);
  if (sampled.length > 0) {
    const each = sampled.map((c) => `${c.cell} 1 in ${fixed((c.items + c.errors) / Math.max(c.timedRuns, 1))}`).join(", ");
    lines.push(`(quick runs were timed now and then, busy times estimated from them: ${each})`);
  }
  if (report.dropped > 0) lines.push(`(${report.dropped} older events were dropped: the figures cover the newest ones)`);
  return lines.join("\n");
}

function label(cell: CellProfile): string {
  if (!cell.scalable) return cell.cell;
  const methods = [...new Set(cell.clones.map((c) => c.method))].join("/");
  return `${cell.cell} (${cell.clones.length} ${methods} clone${cell.clones.length === 1 ? "" : "s"})`;
}

function fixed(x: number): string {
  if (!Number.isFinite(x)) return "∞";
  return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function percent(x: number): string {
  return `${(x * 100).toFixed(0)}%`;
}
