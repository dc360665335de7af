import type { BenchLine } from "./suite.js";

const RESERVED = new Set(["suite", "case", "ratio", "target", "pass"]);

/** One JSON object per line, as SPEC section 8 asks. */
export function formatJson(line: BenchLine): string {
  return JSON.stringify(line);
}

/** A readable row: case, its figures, and the held ratio with its verdict. */
export function formatRow(line: BenchLine): string {
  const figures = Object.entries(line)
    .filter(([key, value]) => !RESERVED.has(key) && (typeof value === "number" || typeof value === "string"))
    .map(([key, value]) => `${key} ${typeof value === "number" ? formatNumber(value) : value}`)
    .join(", ");
  const verdict =
    line.target === undefined ? "" : `   ratio ${formatNumber(line.ratio ?? NaN)} (target ≥ ${line.target}) ${line.pass ? "PASS" : "FAIL"}`;
  return `  ${line.case}\n    ${figures}${verdict}`;
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (Math.abs(value) >= 1e4) return `${(value / 1e3).toFixed(1)}k`;
  if (Number.isInteger(value)) return String(value);
  return value.toPrecision(3);
}
