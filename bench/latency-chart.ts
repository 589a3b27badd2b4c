/**
 * The chart of the durable benchmark's open-loop run: consume → delivery latency (p50, p99, log
 * scale) against throughput, for gregord and the Socket.IO peer, with the goal (p99 under 10 ms at
 * half the peak rate) drawn in. Plain SVG written by hand: no charting dependency.
 *
 * Regenerate a chart from a saved run:
 *   node --import tsx bench/latency-chart.ts docs/images/durable-latency.json out.svg [before.json]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { LatencyResult } from './server-bench-load.js';

/** One arrival rate of the open-loop run. */
export interface OpenLoopStep {
  /** The rate as a fraction of gregord's closed-loop peak. */
  fraction: number;
  ratePerSec: number;
  gregord: LatencyResult;
  /** null where the rate is past the peer's own peak (it would only queue). */
  peer: LatencyResult | null;
}

/** What the open-loop section writes to its JSON file. */
export interface OpenLoopRecord {
  recorded: string;
  machine: string;
  users: number;
  phaseMs: number;
  /** gregord's in-band closed-loop peak and the peer's, consumes/s. */
  peakPerSec: number;
  peerPeakPerSec: number;
  goalP99Ms: number;
  steps: OpenLoopStep[];
}

interface Series {
  label: string;
  color: string;
  dashed: boolean;
  points: { x: number; y: number }[];
}

const WIDTH = 780;
const HEIGHT = 440;
const PLOT = { left: 70, top: 50, right: 540, bottom: 380 };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A round step (1, 2 or 5 × 10^k) giving about `count` ticks up to `max`. */
function tickStep(max: number, count: number): number {
  const raw = max / count;
  const decade = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * decade).find((s) => s >= raw) ?? 10 * decade;
}

function text(x: number, y: number, body: string, extra = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${extra}>${escapeXml(body)}</text>`;
}

/**
 * The lines of one record: gregord's and the peer's p50 and p99 against the offered rate (past
 * saturation the answered rate falls behind it; the tables print both). Of an earlier run
 * (`before`), only gregord's p99, in grey.
 */
function seriesOf(record: OpenLoopRecord, before?: string): Series[] {
  const line = (who: 'gregord' | 'peer', p: 'p50Ms' | 'p99Ms', color: string): Series => ({
    label: `${before ?? ''}${who === 'gregord' ? 'gregord' : 'Socket.IO peer'} ${p.slice(0, 3)}`,
    color,
    dashed: who === 'peer' || before !== undefined,
    points: record.steps.flatMap((s) => {
      const r = s[who];
      return r === null || !Number.isFinite(r[p]) ? [] : [{ x: r.ratePerSec, y: r[p] }];
    }),
  });
  if (before !== undefined) return [line('gregord', 'p99Ms', '#999999')];
  return [
    line('gregord', 'p99Ms', '#c0392b'),
    line('gregord', 'p50Ms', '#e67e22'),
    line('peer', 'p99Ms', '#2c3e90'),
    line('peer', 'p50Ms', '#3498db'),
  ];
}

/** The SVG text of the chart of `record`, with gregord's p99 of `before` (an earlier run) if given. */
export function latencyChartSvg(record: OpenLoopRecord, before?: OpenLoopRecord): string {
  const series = [
    ...seriesOf(record),
    ...(before === undefined ? [] : seriesOf(before, `before (${before.recorded.slice(0, 10)}): `)),
  ].filter((s) => s.points.length > 0);
  const all = series.flatMap((s) => s.points);
  const xMax = Math.max(1, ...all.map((p) => p.x)) * 1.05;
  const xStep = tickStep(xMax, 6);
  // From a decade below the goal at least, so that the goal line stands clear of the axis.
  const yMin = Math.max(0.1, Math.min(record.goalP99Ms / 10, ...all.map((p) => p.y)));
  const yLow = 10 ** Math.floor(Math.log10(yMin));
  const yHigh = 10 ** Math.ceil(Math.log10(Math.max(record.goalP99Ms * 2, ...all.map((p) => p.y))));
  const sx = (x: number) => PLOT.left + (x / xMax) * (PLOT.right - PLOT.left);
  const sy = (y: number) =>
    PLOT.bottom -
    ((Math.log10(Math.max(y, yLow)) - Math.log10(yLow)) / Math.log10(yHigh / yLow)) *
      (PLOT.bottom - PLOT.top);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    text(
      PLOT.left,
      24,
      `Consume → delivery latency, open loop, ${record.users} users × 2 devices, durable SQLite`,
      'font-size="14" font-weight="bold"',
    ),
  ];
  for (let x = 0; x <= xMax; x += xStep) {
    out.push(
      `<line x1="${sx(x)}" y1="${PLOT.top}" x2="${sx(x)}" y2="${PLOT.bottom}" stroke="#eeeeee"/>`,
      text(sx(x), PLOT.bottom + 16, x.toLocaleString('en-US'), 'text-anchor="middle"'),
    );
  }
  for (let y = yLow; y <= yHigh * 1.001; y *= 10) {
    out.push(
      `<line x1="${PLOT.left}" y1="${sy(y)}" x2="${PLOT.right}" y2="${sy(y)}" stroke="#dddddd"/>`,
      text(PLOT.left - 6, sy(y) + 4, `${y >= 1 ? y : y.toFixed(1)} ms`, 'text-anchor="end"'),
    );
  }
  out.push(
    `<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.right - PLOT.left}" height="${PLOT.bottom - PLOT.top}" fill="none" stroke="#333333"/>`,
    text(
      (PLOT.left + PLOT.right) / 2,
      PLOT.bottom + 36,
      'offered rate, consumes/s (open loop)',
      'text-anchor="middle"',
    ),
    text(
      16,
      (PLOT.top + PLOT.bottom) / 2,
      'latency (log scale)',
      `text-anchor="middle" transform="rotate(-90 16 ${(PLOT.top + PLOT.bottom) / 2})"`,
    ),
  );
  // The goal: p99 under goalP99Ms at half of gregord's peak.
  const goalY = sy(record.goalP99Ms);
  const halfX = sx(record.peakPerSec / 2);
  out.push(
    `<line x1="${PLOT.left}" y1="${goalY}" x2="${PLOT.right}" y2="${goalY}" stroke="#27ae60" stroke-dasharray="2 3"/>`,
    `<line x1="${halfX}" y1="${PLOT.top}" x2="${halfX}" y2="${PLOT.bottom}" stroke="#27ae60" stroke-dasharray="2 3"/>`,
    text(halfX + 4, PLOT.top + 14, 'half of gregord’s peak', 'fill="#27ae60"'),
    text(
      PLOT.right - 4,
      goalY - 4,
      `goal: p99 < ${record.goalP99Ms} ms`,
      'fill="#27ae60" text-anchor="end"',
    ),
  );
  series.forEach((s, i) => {
    const path = s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
    const dash = s.dashed ? ' stroke-dasharray="6 4"' : '';
    out.push(
      `<polyline points="${path}" fill="none" stroke="${s.color}" stroke-width="2"${dash}/>`,
    );
    for (const p of s.points) {
      out.push(
        `<circle cx="${sx(p.x).toFixed(1)}" cy="${sy(p.y).toFixed(1)}" r="2.5" fill="${s.color}"/>`,
      );
    }
    const ly = PLOT.top + 10 + i * 20;
    out.push(
      `<line x1="${PLOT.right + 16}" y1="${ly}" x2="${PLOT.right + 46}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      text(PLOT.right + 52, ly + 4, s.label),
    );
  });
  const notes = [
    `gregord peak (closed loop): ${Math.round(record.peakPerSec).toLocaleString('en-US')}/s`,
    `Socket.IO peer peak: ${Math.round(record.peerPeakPerSec).toLocaleString('en-US')}/s`,
    `${record.phaseMs} ms per rate; ${record.recorded.slice(0, 10)}`,
  ];
  notes.forEach((note, i) => {
    out.push(
      text(PLOT.right + 16, PLOT.top + 30 + series.length * 20 + i * 16, note, 'fill="#555555"'),
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [input, output, before] = process.argv.slice(2);
  if (input === undefined || output === undefined) {
    throw new Error('usage: latency-chart.ts RECORD.json OUT.svg [BEFORE.json]');
  }
  const read = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as OpenLoopRecord;
  writeFileSync(
    output,
    latencyChartSvg(read(input), before === undefined ? undefined : read(before)),
  );
}
