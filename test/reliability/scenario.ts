/**
 * The frame of every reliability scenario (docs/reliability.md): flags, a hard time limit,
 * figures, checks, and one final PASS/FAIL line with the exit code to match.
 *
 * A scenario is a program, not a node:test file: it runs for minutes, prints figures as it goes,
 * and must stop by itself. Its child processes (gregord, private databases, Redis) are killed by
 * their helpers' exit hooks however the scenario ends, so `process.exit` is safe here.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Run `body` with a fresh temp dir, removed afterwards whatever happens. */
export async function withTempDir<T>(
  prefix: string,
  body: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    return await body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The flags of one run: `--name value` pairs, numbers where they parse as numbers. */
export type Flags = Readonly<Record<string, string>>;

/** Parse `--name value` and `--name=value` pairs; a flag without value is "true". */
export function parseFlags(argv: readonly string[]): Flags {
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const eq = arg.indexOf('=');
    if (eq > 0) flags[arg.slice(2, eq)] = arg.slice(eq + 1);
    else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--'))
      flags[arg.slice(2)] = argv[++i]!;
    else flags[arg.slice(2)] = 'true';
  }
  return flags;
}

/** A numeric flag, or its default; anything that is not a finite number is refused. */
export function numberFlag(flags: Flags, name: string, fallback: number): number {
  const raw = flags[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`--${name} must be a number, got ${raw}`);
  return value;
}

/** What a scenario body gets: its flags, and where its figures and checks go. */
export class Report {
  readonly name: string;
  readonly flags: Flags;
  readonly failures: string[] = [];
  readonly #startMs = performance.now();

  constructor(name: string, flags: Flags) {
    this.name = name;
    this.flags = flags;
  }

  /** Print one figure: `  name: value unit`. */
  figure(name: string, value: number | string, unit = ''): void {
    const shown = typeof value === 'number' ? formatNumber(value) : value;
    console.log(`  ${name}: ${shown}${unit === '' ? '' : ` ${unit}`}`);
  }

  /** Print a progress line (prefixed with the elapsed seconds). */
  log(line: string): void {
    const s = ((performance.now() - this.#startMs) / 1000).toFixed(1);
    console.log(`[${this.name} +${s}s] ${line}`);
  }

  /** Record a failed guarantee unless `holds`; the scenario goes on, so every figure prints. */
  check(holds: boolean, failure: string): boolean {
    if (!holds) {
      this.failures.push(failure);
      console.log(`  CHECK FAILED: ${failure}`);
    }
    return holds;
  }

  /** Seconds since the scenario started. */
  get elapsedSec(): number {
    return (performance.now() - this.#startMs) / 1000;
  }
}

function formatNumber(n: number): string {
  if (Number.isInteger(n)) return String(n);
  return Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2);
}

/** How a scenario is declared. */
export interface ScenarioSpec {
  name: string;
  /** The hard limit of a run with these flags, in seconds: past it, FAIL and exit. */
  limitSec: (flags: Flags) => number;
  run: (report: Report) => Promise<void>;
}

/**
 * Run a scenario from the command line: `node --import tsx test/reliability/<name>.ts [--flag v]`.
 * Exits 0 on PASS, 1 on FAIL (a failed check, an exception, or the time limit).
 */
export async function runScenario(spec: ScenarioSpec): Promise<never> {
  const flags = parseFlags(process.argv.slice(2));
  const report = new Report(spec.name, flags);
  const limitSec = spec.limitSec(flags);
  console.log(
    `# ${spec.name} ${JSON.stringify(flags)} (limit ${Math.ceil(limitSec)} s, node ${process.version})`,
  );
  const watchdog = setTimeout(() => {
    console.log(`FAIL ${spec.name}: still running after its limit of ${Math.ceil(limitSec)} s`);
    process.exit(1);
  }, limitSec * 1000);
  watchdog.unref();
  try {
    await spec.run(report);
  } catch (err) {
    report.failures.push(
      `aborted: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
  }
  clearTimeout(watchdog);
  const took = `${report.elapsedSec.toFixed(0)} s`;
  if (report.failures.length === 0) {
    console.log(`PASS ${spec.name} (${took})`);
    process.exit(0);
  }
  console.log(`FAIL ${spec.name} (${took}): ${report.failures.length} failed check(s)`);
  for (const failure of report.failures) console.log(`  - ${failure}`);
  process.exit(1);
}
