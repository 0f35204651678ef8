/**
 * Shared helpers of the benchmark scripts in bench/: command-line options, timing, medians, tables, and the
 * machine-readable result lines that bench/run-all.ts collects.
 *
 * Every figure is a median over several runs taken after a warm-up, and every comparison is a ratio against a
 * baseline measured in the same process, interleaved run by run, so that a noisy machine shifts both sides.
 * Nothing here asserts on time.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync } from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';

/** `--name=value` options of the command line (numbers where they parse as numbers). */
export function options(defaults: Record<string, number>): Record<string, number> {
  const out = { ...defaults };
  for (const arg of process.argv.slice(2)) {
    const match = /^--([a-z-]+)=(.+)$/.exec(arg);
    if (!match) continue;
    const value = Number(match[2]);
    if (!(match[1] in defaults) || !Number.isFinite(value) || value <= 0) {
      throw new RangeError(`unknown option or bad value: ${arg} (options: ${Object.keys(defaults).join(', ')})`);
    }
    out[match[1]] = value;
  }
  return out;
}

/** Monotonic time in nanoseconds, as a number (exact below 2^53 ns, i.e. ~104 days). */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export interface Summary {
  median: number;
  min: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Formats a number to `digits` significant digits (integers from 100 up), without exponent notation. */
export function fmt(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 10 ** (digits - 1) || value === 0) return value.toFixed(0);
  return Number(value.toPrecision(digits)).toString();
}

/** `median (min–max)`. */
export function fmtSummary(s: Summary, digits = 3): string {
  return `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;
}

/** Prints rows as an aligned plain-text table (first row is the header). */
export function printTable(rows: readonly (readonly string[])[]): void {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(line(rows[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows.slice(1)) console.log(line(r));
}

/** One line describing where the figures come from. */
export function environmentLine(backendName: string, extra = ''): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const load = os.loadavg()[0].toFixed(1);
  return (
    `node ${process.version}, backend ${backendName}, ${os.cpus().length} CPUs (${cpu}), load average ${load}` +
    (extra ? `, ${extra}` : '')
  );
}

/**
 * Appends one result as a JSON line to `$VERDANT_BENCH_JSON` when it is set (bench/run-all.ts sets it to collect
 * a summary across Node versions and backends).
 */
export function record(bench: string, metric: string, value: number, unit: string, extra: object = {}): void {
  const file = process.env.VERDANT_BENCH_JSON;
  if (!file) return;
  const line = { bench, metric, value, unit, node: process.version, backend: backendNameForRecord, ...extra };
  appendFileSync(file, JSON.stringify(line) + '\n');
}

let backendNameForRecord = 'unknown';

/** Sets the backend name written into {@link record} lines. */
export function setRecordBackend(name: string): void {
  backendNameForRecord = name;
}

/** Waits a macrotask: lets pending promise jobs and finalizers run. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Full GCs when the process runs with --expose-gc; false otherwise. */
export function fullGc(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function') return false;
  gc();
  gc();
  return true;
}

/** Keeps a value observable so the optimizer cannot drop the computation that produced it. */
export let sink: unknown;
export function consume(value: unknown): void {
  sink = value;
}

/**
 * Runs one of the eventlet/gevent anchor scripts of ../shared/anchors/bench (or `$VERDANT_ANCHORS`) with Debian's
 * /usr/bin/python3 and returns the JSON lines it prints; null when the script, Python or the module is missing.
 */
export function runPythonAnchor(script: string, args: string[]): Array<Record<string, unknown>> | null {
  const dir = process.env.VERDANT_ANCHORS ?? join(__dirname, '..', '..', '..', 'shared', 'anchors', 'bench');
  const file = join(dir, script);
  if (!existsSync(file) || !existsSync('/usr/bin/python3')) return null;
  const out = spawnSync('/usr/bin/python3', [file, ...args], { encoding: 'utf8', timeout: 300_000 });
  if (out.status !== 0) return null;
  return out.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/**
 * The command that runs an eventlet/gevent anchor server (`dir/script`, importing `module`) with Debian's
 * /usr/bin/python3, or null when the script, Python or the module is missing: a benchmark then leaves it out.
 */
export function pythonAnchorServer(dir: string, script: string, module: string): string[] | null {
  const file = join(dir, script);
  if (!existsSync(file) || !existsSync('/usr/bin/python3')) return null;
  if (spawnSync('/usr/bin/python3', ['-c', `import ${module}`]).status !== 0) return null;
  return ['/usr/bin/python3', file];
}

/** The no-op the lifecycle benchmarks start in greenlets and green threads. */
export function noop(x: number): number {
  return x + 1;
}

async function asyncNoop(x: number): Promise<number> {
  return x + 1;
}

/**
 * The Node baseline of "start a no-op and wait for it": µs per `await asyncNoop(i)`, one at a time.
 */
export async function asyncCreateAwait(n: number): Promise<number> {
  let acc = 0;
  const t0 = nowNs();
  for (let i = 0; i < n; i++) acc += await asyncNoop(i);
  const dt = nowNs() - t0;
  consume(acc);
  return dt / n / 1000;
}
