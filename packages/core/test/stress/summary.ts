/**
 * Collects what a property's cases found and prints it: cases run, violations by kind
 * with example cases (seed + path to replay them), and which features the violating
 * cases have in common (share of violating cases with a tag vs. share of all cases).
 */
import { appendFileSync } from "node:fs";
import type { CaseResult } from "./runner.js";

interface KindStats {
  cases: number;
  examples: Array<{ path: string; detail: string }>;
  tags: Map<string, number>;
}

export class PropertyStats {
  cases = 0;
  ms = 0;
  readonly violating: Array<{ path: string; kinds: string[]; tags: string[] }> = [];
  private readonly tags = new Map<string, number>();
  private readonly kinds = new Map<string, KindStats>();
  private interrupted = false;

  constructor(
    readonly name: string,
    readonly seed: number,
    readonly reproduce: (path: string) => string,
  ) {}

  record(path: string, tags: readonly string[], result: CaseResult): void {
    this.cases++;
    this.ms += result.ms;
    for (const t of tags) this.tags.set(t, (this.tags.get(t) ?? 0) + 1);
    if (result.violations.length === 0) return;
    const kinds = [...new Set(result.violations.map((v) => v.kind))];
    this.violating.push({ path, kinds, tags: [...tags] });
    for (const kind of kinds) {
      let stats = this.kinds.get(kind);
      if (stats === undefined) this.kinds.set(kind, (stats = { cases: 0, examples: [], tags: new Map() }));
      stats.cases++;
      if (stats.examples.length < 5) stats.examples.push({ path, detail: result.violations.find((v) => v.kind === kind)!.detail });
      for (const t of tags) stats.tags.set(t, (stats.tags.get(t) ?? 0) + 1);
    }
  }

  markInterrupted(): void {
    this.interrupted = true;
  }

  /** Whether this is one of the first few violating cases of one of its kinds (those are printed in full). */
  isEarlyExample(kinds: readonly string[]): boolean {
    return kinds.some((k) => (this.kinds.get(k)?.cases ?? 0) <= 3);
  }

  text(): string {
    const lines: string[] = [];
    const pct = (n: number, of: number) => `${of === 0 ? 0 : Math.round((100 * n) / of)}%`;
    lines.push(
      `[stress] ${this.name}: ${this.cases} case(s) in ${(this.ms / 1000).toFixed(1)} s (seed ${this.seed})` +
        `${this.interrupted ? " — stopped by the time limit" : ""}; ${this.violating.length} with violations`,
    );
    const kinds = [...this.kinds.entries()].sort((a, b) => b[1].cases - a[1].cases);
    for (const [kind, stats] of kinds) {
      lines.push(`  ${kind}: ${stats.cases} case(s)`);
      // Tags over-represented among these cases, most telling first.
      const lift = [...stats.tags.entries()]
        .map(([tag, n]) => ({ tag, share: n / stats.cases, base: (this.tags.get(tag) ?? 0) / this.cases }))
        .filter((t) => t.share >= 0.6 && t.share > t.base)
        .sort((a, b) => b.share / b.base - a.share / a.base || b.share - a.share)
        .slice(0, 8)
        .map((t) => `${t.tag} ${pct(t.share, 1)} (vs ${pct(t.base, 1)})`);
      if (lift.length > 0) lines.push(`    features of these cases: ${lift.join(", ")}`);
      for (const ex of stats.examples.slice(0, 3)) {
        lines.push(`    e.g. path ${ex.path}: ${ex.detail}`);
        lines.push(`         replay: ${this.reproduce(ex.path)}`);
      }
    }
    return lines.join("\n");
  }

  json(): unknown {
    return {
      name: this.name,
      seed: this.seed,
      cases: this.cases,
      seconds: this.ms / 1000,
      interrupted: this.interrupted,
      violatingCases: this.violating.length,
      kinds: Object.fromEntries(
        [...this.kinds.entries()].map(([kind, s]) => [kind, { cases: s.cases, examples: s.examples, tags: Object.fromEntries(s.tags) }]),
      ),
      tags: Object.fromEntries(this.tags),
      violating: this.violating,
    };
  }

  writeJson(file: string): void {
    appendFileSync(file, JSON.stringify(this.json()) + "\n");
  }
}
