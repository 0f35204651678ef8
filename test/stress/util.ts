/**
 * Shared helpers of the stress suites (test/stress/*.test.ts). These suites are not part of `npm test`: they run
 * through scripts/stress.sh, once per backend and per set of V8 GC/JIT stress flags.
 */
import { spawnSync, SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { backend } from '../../lib';

/** Multiplies the amount of work of the heavy suites; scripts/stress.sh lowers it under the slowest flag sets. */
export const SCALE = (() => {
  const raw = Number(process.env.STRESS_SCALE ?? '1');
  return Number.isFinite(raw) && raw > 0 ? raw : 1;
})();

/** `n` scaled by STRESS_SCALE, at least `min`. */
export function scaled(n: number, min = 1): number {
  return Math.max(min, Math.round(n * SCALE));
}

export const BACKEND = backend().name;
export const IS_THREADS = BACKEND === 'threads';
export const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

type GcFn = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;
const gcFn: GcFn | undefined = (globalThis as { gc?: GcFn }).gc;

/** True when the process runs with --expose-gc. */
export const HAS_GC = typeof gcFn === 'function';

/** A full (major) GC when --expose-gc is on; nothing otherwise. */
export function fullGc(): void {
  if (gcFn) gcFn();
}

/** A scavenge (minor GC) when --expose-gc is on; nothing otherwise. */
export function minorGc(): void {
  if (gcFn) gcFn({ type: 'minor' });
}

/** Absolute path of the compiled package entry (dist/lib/index.js), for scripts run in child processes. */
export const VERDANT_ENTRY = resolve(__dirname, '..', '..', 'lib', 'index.js');

export interface ChildResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `source` as a CommonJS script in a fresh node (same binary, same V8 flags, same environment: backend and
 * addon choice carry over). `VERDANT` in the script is the absolute path of the package entry.
 */
export function runChild(source: string, options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): ChildResult {
  const dir = mkdtempSync(join(tmpdir(), 'verdant-stress-'));
  const file = join(dir, 'child.js');
  writeFileSync(file, `'use strict';\nconst VERDANT = ${JSON.stringify(VERDANT_ENTRY)};\n${source}\n`);
  try {
    const result: SpawnSyncReturns<string> = spawnSync(process.execPath, [...process.execArgv, file], {
      encoding: 'utf8',
      timeout: options.timeoutMs ?? 120_000,
      env: { ...process.env, ...options.env },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error) throw result.error;
    return { status: result.status, signal: result.signal, stdout: result.stdout, stderr: result.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A one-line description of a child's outcome for assertion messages. */
export function describeChild(r: ChildResult): string {
  return `status=${r.status} signal=${r.signal}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

export { seededRandom as rng } from '../support/random';
