/**
 * tpool.execute: run blocking work off the hub, and wait for it from a green thread.
 *
 * - Node's own blocking functions (`fs.readFileSync`, `zlib.gzipSync`, `crypto.pbkdf2Sync`,
 *   `child_process.execSync`, ... — the table in ./blocking) run as their callback twins: on the libuv threadpool,
 *   or as a child process.
 * - Plain JS functions run in a pool of worker threads, named by module and export (`{ module, name }` or
 *   `'module#name'`): a function object cannot cross threads, its module can.
 */
import { waitFor } from '../runtime/completion';
import { requireGreen } from '../runtime/hub';
import type { TransferListItem } from 'node:worker_threads';
import { callCooperatively } from './blocking/counterpart';
import { counterpartOf } from './blocking/table';
import type { ProxyRequest, TaskRequest } from './protocol';
import { WorkerPool, type Job, type WorkerHome } from './pool';
import { describeTask, isTaskRef, resolveTask, type ResolvedTask, type TaskRef } from './task';

/** Options of {@link executeWith}. */
export interface ExecuteOptions {
  /**
   * ArrayBuffers, MessagePorts and other transferables among the arguments to move to the worker instead of
   * copying (they become unusable here). Worker tasks only.
   */
  transfer?: readonly TransferListItem[];
}

/** Settings of the worker pool ({@link configure}). */
export interface TpoolConfig {
  /** How many worker threads may run tasks at once (default 4, or the VERDANT_TPOOL_SIZE environment variable). */
  size?: number;
}

/** What the worker pool is doing ({@link stats}). */
export interface TpoolStats {
  /** How many workers may run at once. */
  size: number;
  /** Workers started and alive. */
  workers: number;
  /** Workers running a task. */
  busy: number;
  /** Calls waiting for a free worker. */
  queued: number;
  /** Objects that workers hold for live `tpool.proxy` proxies (once per object and set of proxy options). */
  proxied: number;
}

/** Options of {@link killall}. */
export interface KillallOptions {
  /**
   * Terminate the workers now instead of letting them finish: running and queued calls fail with a
   * TpoolKilledError, and so does every later call on a proxy whose object lived in one of them.
   */
  force?: boolean;
}

const DEFAULT_SIZE = 4;
let pool: WorkerPool | null = null;

/** @internal The pool, made on first use. */
export function thePool(): WorkerPool {
  pool ??= new WorkerPool(sizeFromEnvironment());
  return pool;
}

function sizeFromEnvironment(): number {
  const text = process.env.VERDANT_TPOOL_SIZE;
  if (text === undefined || text.trim() === '') return DEFAULT_SIZE;
  const size = Number(text);
  if (!Number.isSafeInteger(size) || size < 1) {
    throw new RangeError(`VERDANT_TPOOL_SIZE must be an integer >= 1, not "${text}"`);
  }
  return size;
}

function checkSize(size: unknown, what: string): asserts size is number {
  if (typeof size !== 'number') throw new TypeError(`${what} takes a size that is a number, not ${typeof size}`);
  if (!Number.isSafeInteger(size) || size < 1) throw new RangeError(`${what} takes an integer size >= 1, not ${size}`);
}

/**
 * Runs a task off the hub and blocks the calling green thread (only it) until it is done; returns its result or
 * throws its error.
 *
 * - `execute(fs.readFileSync, path, 'utf8')`: one of Node's blocking functions (fs.*Sync, zlib.*Sync,
 *   crypto.pbkdf2Sync/scryptSync/randomFillSync/generateKeyPairSync/..., child_process.execSync/execFileSync/
 *   spawnSync) runs as its callback twin on the libuv threadpool, with the same result and errors.
 * - `execute({ module, name }, ...args)` or `execute('/abs/tasks.js#name', ...args)`: the export `name` of
 *   `module` runs in a worker thread with structured-cloned `args`; a returned Promise is awaited there. An Error
 *   it throws comes back with the same name, message and own properties, its stack followed by the caller's; a
 *   non-Error value it throws is thrown as is. `module` is an absolute path, a file: URL, or a specifier resolved
 *   from the current directory.
 *
 * If the caller stops waiting (a Timeout, a kill), a queued task is dropped and a running one runs to its end.
 * A worker that dies fails the call with a TpoolWorkerError; `killall({ force: true })` fails it with a
 * TpoolKilledError (a plain `killall()` lets it finish). A `Timeout` the task throws comes back as a Timeout,
 * and so do verdant's other error classes.
 * On the main stack: a HubBlockingError.
 *
 * Switch point: always (unless the arguments are rejected at once).
 */
export function execute<F extends (...args: any[]) => any>(fn: F, ...args: unknown[]): ReturnType<F>;
export function execute<R = unknown>(task: TaskRef | string, ...args: unknown[]): R;
export function execute(task: unknown, ...args: unknown[]): unknown {
  return run({}, task, args);
}

/**
 * {@link execute} with options: `executeWith({ transfer: [buffer] }, task, buffer)` moves `buffer` to the worker
 * instead of copying it.
 *
 * Switch point: always (unless the arguments are rejected at once).
 */
export function executeWith<F extends (...args: any[]) => any>(
  options: ExecuteOptions,
  fn: F,
  ...args: unknown[]
): ReturnType<F>;
export function executeWith<R = unknown>(options: ExecuteOptions, task: TaskRef | string, ...args: unknown[]): R;
export function executeWith(options: ExecuteOptions, task: unknown, ...args: unknown[]): unknown {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('tpool.executeWith takes an options object first: executeWith({ transfer }, task, ...args)');
  }
  return run(options, task, args);
}

function run(options: ExecuteOptions, task: unknown, args: unknown[]): unknown {
  requireGreen('tpool.execute');
  const transfer = options.transfer ?? [];
  if (!Array.isArray(transfer)) throw new TypeError('tpool.execute: `transfer` must be an array of transferables');
  if (typeof task === 'function') {
    const entry = counterpartOf(task);
    if (entry === undefined) throw notATask(task);
    if (transfer.length > 0) {
      throw new TypeError(`tpool.execute(${entry.name}): \`transfer\` applies to worker tasks only`);
    }
    return callCooperatively(entry, args, `tpool.execute(${entry.name})`);
  }
  if (!isTaskRef(task)) throw notATask(task);
  return runInWorker(resolveTask(task), args, transfer);
}

function runInWorker(task: ResolvedTask, args: unknown[], transfer: readonly TransferListItem[]): unknown {
  const request: TaskRequest = { kind: 'task', file: task.file, name: task.name, args };
  const what = describeTask(task);
  return callWorker(`tpool.execute(${what})`, what, request, { transfer }, (value) => value);
}

/** @internal Where and how {@link callWorker} runs a call. */
export interface CallPlacement {
  transfer?: readonly TransferListItem[];
  home?: WorkerHome;
  spread?: boolean;
  retain?: readonly unknown[];
}

/**
 * @internal Sends `request` to a worker (`placement.home` only, when given) and blocks the calling green thread
 * until the reply. `accept` turns the reply's value into the result; it runs when the reply arrives, even if the
 * caller has stopped waiting by then, so that what the reply holds (references to proxied objects) is always
 * accounted for. `reason` names the wait; `what` the call in error messages.
 */
export function callWorker<T>(
  reason: string,
  what: string,
  request: TaskRequest | ProxyRequest,
  placement: CallPlacement,
  accept: (value: unknown, worker: WorkerHome) => T,
): T {
  const callerStack = captureCallerStack();
  let job: Job;
  return waitFor<T>(
    reason,
    (resolve, reject) => {
      const settle = (error: unknown, value?: unknown, worker?: WorkerHome) => {
        if (error !== null) return reject(error);
        let result: T;
        try {
          result = accept(value, worker!);
        } catch (failure) {
          return reject(failure);
        }
        resolve(result);
      };
      job = {
        request,
        transfer: placement.transfer ?? [],
        what,
        callerStack,
        home: placement.home,
        spread: placement.spread,
        retain: placement.retain,
        settle,
      };
      thePool().submit(job);
    },
    () => thePool().withdraw(job),
  );
}

function captureCallerStack(): string {
  const holder: { stack?: string } = {};
  Error.captureStackTrace(holder);
  // From the caller's frame on: drop the frames of lib/tpool itself.
  return (holder.stack ?? '')
    .split('\n')
    .filter((line) => !line.includes(__dirname))
    .join('\n');
}

function notATask(task: unknown): TypeError {
  const what = typeof task === 'function' ? `the function ${task.name || '(anonymous)'}` : describeValue(task);
  return new TypeError(
    `tpool.execute cannot run ${what}: it runs Node's blocking functions (fs.readFileSync, zlib.gzipSync, ` +
      `crypto.pbkdf2Sync, child_process.execSync, ...) on the libuv threadpool, and plain JS functions run in ` +
      `worker threads: pass { module, name } or 'module#name' naming the module that exports it.`,
  );
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object without string `module` and `name`';
  return `a ${typeof value}`;
}

/** Changes the pool's settings. `size`: how many worker threads may run tasks at once (an integer >= 1). */
export function configure(config: TpoolConfig): void {
  if (config.size !== undefined) setSize(config.size);
}

/**
 * Sets how many worker threads may run tasks at once. Growing starts queued tasks at once; shrinking stops idle
 * workers now and busy ones when their task ends.
 */
export function setSize(size: number): void {
  checkSize(size, 'tpool.setSize');
  if (pool === null) pool = new WorkerPool(size);
  else pool.resize(size);
}

/**
 * Stops every worker thread once its work is done, as eventlet's killall: calls already running finish and
 * deliver their results, queued calls run (in new workers), and objects held for live proxies stay usable; each
 * old worker stops when it has no call left and no proxied object. Returns at once, also on the main stack. The
 * pool stays usable: later calls start new workers.
 *
 * With `{ force: true }`, terminates every worker now: running and queued calls fail with a TpoolKilledError, and
 * so does every later call on a proxy whose object lived there.
 */
export function killall(options: KillallOptions = {}): void {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('tpool.killall takes an options object: killall() or killall({ force: true })');
  }
  pool?.killall({ force: options.force === true });
}

/**
 * How many workers the pool may run, has (retiring ones included), and keeps busy, how many calls wait for one,
 * and how many objects workers hold for live proxies.
 */
export function stats(): TpoolStats {
  return pool === null ? { size: sizeFromEnvironment(), workers: 0, busy: 0, queued: 0, proxied: 0 } : pool.stats();
}
