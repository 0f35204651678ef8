/**
 * Process-wide settings: greenlet stacks (default size, the V8 safety margin kept free at the bottom of each
 * stack, how many finished stacks are pooled), the hub's checks and debugging aids, and which switching backend
 * is running. One source of truth: the modules that use a setting read it from here.
 */
import { isMainThread } from 'node:worker_threads';
import { native } from './native';

export interface GreenletConfig {
  /**
   * Default bytes of stack a greenlet's JavaScript may use before deep recursion is a RangeError. Each stack
   * reserves this plus {@link GreenletConfig.stackMargin} plus a guard page, committed lazily as it is touched.
   * Default 224 KiB (256 KiB reserved with the default margin); at least 64 KiB, since V8 wants 40 KiB free to
   * compile a function.
   */
  stackSize: number;
  /**
   * Bytes below each greenlet's JS stack limit kept free for native frames (V8's runtime, error construction,
   * GC), so that deep recursion is a RangeError and never a fault. Default 32 KiB; from 32 KiB to 1 MiB.
   */
  stackMargin: number;
  /** How many finished stacks are kept per thread for new greenlets to reuse. Default 256. */
  stackPoolSize: number;
}

export interface HubConfig {
  /**
   * A second green thread waiting to read (or to write) the same fd is a ConcurrentWaitError, as in eventlet,
   * unless that wait passes `shared: true`. Default true.
   */
  preventMultipleWaiters: boolean;
  /** Record where each green thread was spawned (a stack trace, about a microsecond a spawn), for dumps. */
  captureSpawnSites: boolean;
  /** At exit, list the green threads that wait for something that can no longer happen. Default true. */
  reportStuckAtExit: boolean;
}

export type Config = GreenletConfig & HubConfig;

const KiB = 1024;
/** @internal The settings in force; read, never written, outside this module. */
export const settings: Config = {
  stackSize: 224 * KiB,
  stackMargin: 32 * KiB,
  stackPoolSize: 256,
  preventMultipleWaiters: true,
  captureSpawnSites: false,
  reportStuckAtExit: true,
};

/** The settings in force. */
export function getConfig(): Readonly<Config> {
  return { ...settings };
}

/**
 * Changes settings: stack sizes apply to greenlets created from now on (and the stack pool at once), the rest at
 * once. Throws a RangeError (or TypeError) naming the offending field; nothing changes then.
 */
export function configure(changes: Partial<Config>): void {
  for (const key of Object.keys(changes)) {
    if (!(key in settings)) throw new TypeError(`configure: unknown setting ${JSON.stringify(key)}`);
  }
  const next = { ...settings, ...changes };
  checkInteger('stackSize', next.stackSize, 64 * KiB, 1024 * 1024 * KiB);
  checkInteger('stackMargin', next.stackMargin, 32 * KiB, 1024 * KiB);
  checkInteger('stackPoolSize', next.stackPoolSize, 0, 1_000_000);
  for (const key of ['preventMultipleWaiters', 'captureSpawnSites', 'reportStuckAtExit'] as const) {
    if (typeof next[key] !== 'boolean') throw new TypeError(`${key} must be a boolean, not ${String(next[key])}`);
  }
  Object.assign(settings, next);
  applyDefaults();
}

/** @internal Pushes the settings to the native runtime of this thread. */
export function applyDefaults(): void {
  native.runtime_configure(settings.stackSize, settings.stackMargin, settings.stackPoolSize, isMainThread, v8StackSizeKb());
}

function checkInteger(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${Math.floor(max)}, not ${String(value)}`);
  }
}

// V8 sizes main's JS stack from --stack-size (KiB, default 984); the native side needs it to restore main's
// limit after a greenlet ran. The flag may come from the command line or NODE_OPTIONS.
function v8StackSizeKb(): number {
  const args = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  let kb = 984;
  for (let i = 0; i < args.length; i++) {
    const match = /^--stack[-_]size(?:=(\d+))?$/.exec(args[i]);
    if (match) {
      const value = Number(match[1] ?? args[i + 1]);
      if (Number.isFinite(value) && value > 0) kb = value;
    }
  }
  return kb;
}

/** Which switching mechanism runs greenlets on this thread, and why, if it is not the fast one. */
export interface BackendInfo {
  /** `'fcontext'`: one OS thread, real stack switching. `'threads'`: portable, an OS thread per greenlet. */
  name: 'fcontext' | 'threads';
  /** Why the fast backend is not in use (absent when it is). */
  reason?: string;
  /**
   * How V8's per-thread state follows the greenlet that runs. `'record'`: a compact record per greenlet, swapped on
   * every switch (the fast backend's default). `'v8-thread'`: each greenlet is a V8 thread, handed the isolate
   * through V8's Locker and Unlocker (the fast backend where the record cannot be validated, and always the threads
   * backend).
   */
  state: 'record' | 'v8-thread';
  /** Why the fast backend does not use the compact record (absent when it does, and on the threads backend). */
  stateReason?: string;
}

/** Reports the backend in use. */
export function backend(): BackendInfo {
  const [name, why, state, stateWhy] = native.runtime_backend();
  const info: BackendInfo =
    name === 'threads'
      ? { name, reason: why, state: 'v8-thread' }
      : { name: 'fcontext', state: state === 'record' ? 'record' : 'v8-thread' };
  if (name === 'fcontext' && stateWhy !== '') info.stateReason = stateWhy;
  return info;
}

/** Counters of this thread's greenlet runtime, for tests and benchmarks. */
export function stats() {
  return native.runtime_stats();
}
