/**
 * How the durable benchmark prints: markdown tables that paste into docs/benchmarks.md as they
 * are, and the goals of issue 12, each as a row with its figure, its baseline from the same run,
 * the ratio and whether the goal is met. The goal rows are printed again together at the end.
 */

import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** One goal of the issue, measured. */
export interface GoalRow {
  /** What is measured, e.g. `in-band / Socket.IO peer, consumes/s`. */
  measure: string;
  figure: string;
  baseline: string;
  /** figure / baseline, or '—' when the goal is an absolute figure. */
  ratio: string;
  /** The goal, e.g. `≥ 3×`. */
  goal: string;
  met: boolean;
}

const GOAL_HEADERS = ['measure', 'figure', 'baseline', 'ratio', 'goal', 'met'];

/** A markdown table; columns after the first are right-aligned (figures). */
export function markdownTable(headers: readonly string[], rows: readonly (readonly unknown[])[]) {
  const line = (cells: readonly unknown[]) => `| ${cells.map(String).join(' | ')} |`;
  const rule = `|${headers.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/** An integer with thousands separators ('—' when not a number). */
export function int(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—';
}

/** A duration in ms: two decimals below 10, one below 100, none above. */
export function ms(n: number): string {
  if (!Number.isFinite(n)) return '—';
  return n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toString();
}

/** A ratio with two decimals and a ×. */
export function times(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)}×` : '—';
}

/** The median of `values` (NaN when empty). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The goal rows of the whole run, in the order the sections measured them. */
export class Goals {
  readonly rows: GoalRow[] = [];

  add(row: GoalRow): GoalRow {
    this.rows.push(row);
    return row;
  }

  /** A ratio goal: met when figure / baseline ≥ `atLeast`. */
  ratio(measure: string, figure: number, baseline: number, atLeast: number, unit = ''): GoalRow {
    const ratio = figure / baseline;
    return this.add({
      measure,
      figure: `${int(figure)}${unit}`,
      baseline: `${int(baseline)}${unit}`,
      ratio: times(ratio),
      goal: `≥ ${atLeast}×`,
      met: ratio >= atLeast,
    });
  }

  /** Print `rows` (a section's own) as a markdown table. */
  static print(rows: readonly GoalRow[]): void {
    console.log(
      `\n${markdownTable(
        GOAL_HEADERS,
        rows.map((r) => [r.measure, r.figure, r.baseline, r.ratio, r.goal, r.met ? 'yes' : 'no']),
      )}`,
    );
  }
}

/** The load average now, as /proc/loadavg gives it (1, 5 and 15 minutes). */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** A line naming the machine and the moment, for the record. */
export function machineLine(): string {
  const cpu = cpus();
  return (
    `${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, Node.js ${process.version}, ` +
    `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, load average ${loadAverage()}`
  );
}

/** A section's heading. */
export function heading(title: string): void {
  console.log(`\n### ${title}\n`);
}
