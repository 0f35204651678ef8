// Shared by the fibers suites that run old code end to end: the repository's paths and Node run as a child process.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { patience } from '../support/patience';

/** The repository root (this file runs from dist/test/fibers). */
export const ROOT = path.resolve(__dirname, '..', '..', '..');
/** The compiled `verdant/fibers/register`, for `node -r`. */
export const REGISTER = path.join(ROOT, 'dist', 'lib', 'fibers', 'register.js');

/** What a child process left: exit status (null if a signal ended it), stdout, stderr. */
export interface Run {
  status: number | null;
  out: string;
  err: string;
}

/** How long {@link node} lets a child run before killing it: a minute, scaled for slow machines. */
export const CHILD_TIMEOUT_MS = patience(60_000);

/**
 * Runs this Node (`process.execPath`, so the Node matrix tests each version's own) with `args` in `cwd`, and waits
 * at most {@link CHILD_TIMEOUT_MS}. `env` replaces the environment (default: this process's).
 */
export function node(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8', timeout: CHILD_TIMEOUT_MS });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** Asserts a clean run (exit status 0, nothing on stderr) and returns its stdout. */
export function check(r: Run): string {
  assert.equal(r.status, 0, `exit ${r.status}\n--- stdout ---\n${r.out}\n--- stderr ---\n${r.err}`);
  assert.equal(r.err, '', 'nothing on stderr (no warnings)');
  return r.out;
}
