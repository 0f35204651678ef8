/**
 * The pool of worker threads behind tpool.execute for JS tasks and behind tpool proxies: started lazily up to
 * `size`, one call at a time per worker, calls queued first come first served while all are busy. A worker that
 * dies fails its call with a TpoolWorkerError and is replaced on demand. Idle workers are unref'd: they never
 * keep the process alive.
 *
 * A call on a proxied object must run in the worker that holds the object, its home: such a job waits for that
 * worker, and the pool keeps a worker alive as long as proxies reference objects it holds (`held`).
 *
 * Workers retire rather than stop when they still have work: after `killall()` (eventlet's semantics: calls
 * running and queued are not lost) or when the pool shrinks. A retiring worker finishes its call, serves the
 * calls on the objects it holds until proxies release them all, then stops; it no longer counts toward the size,
 * so new calls start new workers at once.
 *
 * The pool knows nothing of green threads: a {@link Job} is settled through its `settle` callback, and
 * ./execute.ts turns that into a wait.
 *
 * @internal
 */
import * as path from 'node:path';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { TpoolKilledError, TpoolWorkerError } from './errors';
import type { ProxyRequest, ReleaseRequest, Reply, TaskRequest } from './protocol';
import { reviveError } from './remote-error';

/** A worker thread of the pool, seen as the home of proxied objects. Opaque outside the pool. */
export interface WorkerHome {
  readonly threadId: number;
}

/** One call waiting for, or running in, a worker. */
export interface Job {
  readonly request: TaskRequest | ProxyRequest;
  readonly transfer: readonly TransferListItem[];
  /** The call, for messages: `"add" from /app/tasks.js`. */
  readonly what: string;
  /** The stack where the call was made, appended to the stack of an error from the worker. */
  readonly callerStack: string;
  /** Only this worker may run it: the home of the proxied object the call is about. */
  readonly home?: WorkerHome;
  /** It creates an object that stays in its worker: prefer a new worker, else the idle one holding fewest. */
  readonly spread?: boolean;
  /** Kept reachable until the call settles: proxies whose objects the call uses must not be released meanwhile. */
  readonly retain?: readonly unknown[];
  /** Called once: with an error, or with null, the result and the worker that ran it. */
  readonly settle: (error: unknown, value?: unknown, worker?: WorkerHome) => void;
}

class PoolWorker implements WorkerHome {
  readonly thread = new Worker(WORKER_SCRIPT);
  job: Job | null = null;
  /** Takes no new calls but those on the objects it holds; stops once it holds none and is idle. */
  retiring = false;
  /** How many proxy table entries reference objects it holds. */
  held = 0;
  /** Once it is gone: the error for a call (`what`: `read "x" of a proxied Store`) on an object it held. */
  gone: ((what: string) => Error) | null = null;

  get threadId(): number {
    return this.thread.threadId;
  }
}

const WORKER_SCRIPT = path.join(__dirname, 'worker.js');

/** Options of {@link WorkerPool.killall}. */
export interface KillOptions {
  force?: boolean;
}

/** Worker threads running one call at a time each, with a FIFO queue of calls waiting for one. */
export class WorkerPool {
  #size: number;
  readonly #workers = new Set<PoolWorker>();
  /** Workers that are neither busy nor retiring, most recently used last. */
  readonly #idle: PoolWorker[] = [];
  readonly #queue: Job[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  /** How many workers may run at once (retiring ones aside). */
  get size(): number {
    return this.#size;
  }

  /**
   * Changes how many workers may run. Extra idle workers that hold no proxied object stop now; other extra
   * workers retire (busy ones stop when their call ends, holders when their objects are released).
   */
  resize(size: number): void {
    this.#size = size;
    let excess = this.#active() - size;
    for (const worker of [...this.#idle]) {
      if (excess <= 0) break;
      if (worker.held === 0) {
        this.#retire(worker);
        excess--;
      }
    }
    for (const worker of this.#workers) {
      if (excess <= 0) break;
      if (!worker.retiring) {
        this.#retire(worker);
        excess--;
      }
    }
    this.#pump();
  }

  /** Runs `job` in a free worker (its home, for a proxy call), starting one if the pool may grow, or queues it. */
  submit(job: Job): void {
    const home = job.home as PoolWorker | undefined;
    if (home !== undefined && !this.#workers.has(home)) {
      const error =
        home.gone?.(job.what) ??
        new TpoolWorkerError(`the tpool worker holding the object is gone: cannot ${job.what}`, null);
      job.settle(atCaller(error, job));
      return;
    }
    this.#queue.push(job);
    this.#pump();
  }

  /** Forgets a job whose caller stopped waiting: dropped if still queued; a running call runs to its end. */
  withdraw(job: Job): void {
    const i = this.#queue.indexOf(job);
    if (i >= 0) this.#queue.splice(i, 1);
    this.#stopIfDone(job.home as PoolWorker | undefined);
  }

  /** A proxy now references an object `home` holds. */
  hold(home: WorkerHome): void {
    (home as PoolWorker).held++;
  }

  /** A proxy no longer references an object `home` holds: a retiring worker may stop. */
  unhold(home: WorkerHome): void {
    const worker = home as PoolWorker;
    worker.held--;
    this.#stopIfDone(worker);
  }

  /** Tells `home` that proxies dropped references to one of its objects; nothing if the worker is gone. */
  post(home: WorkerHome, message: ReleaseRequest): void {
    const worker = home as PoolWorker;
    if (this.#workers.has(worker)) worker.thread.postMessage(message);
  }

  /**
   * Default: every worker retires. Running calls finish and deliver their results, queued calls run in new
   * workers, and proxied objects stay usable until released; then the old workers stop.
   *
   * `force`: terminates every worker now. Running and queued calls fail with TpoolKilledError, and so do later
   * calls on the objects the workers held.
   */
  killall(options: KillOptions = {}): void {
    if (!options.force) {
      for (const worker of [...this.#workers]) this.#retire(worker);
      this.#pump();
      return;
    }
    const queued = this.#queue.splice(0);
    const workers = [...this.#workers];
    this.#workers.clear();
    this.#idle.length = 0;
    for (const job of queued) {
      const error = new TpoolKilledError(`tpool.killall({ force: true }) cancelled ${job.what} before it started`);
      job.settle(atCaller(error, job));
    }
    for (const worker of workers) {
      worker.gone = (what) =>
        new TpoolKilledError(`tpool.killall({ force: true }) terminated the worker holding the object: cannot ${what}`);
      worker.thread.terminate().catch(() => {});
      const job = worker.job;
      worker.job = null;
      if (job === null) continue;
      const error = new TpoolKilledError(`tpool.killall({ force: true }) terminated the worker running ${job.what}`);
      job.settle(atCaller(error, job));
    }
  }

  /** The size, the workers alive, those running a call, the calls waiting for one, and the objects proxies hold. */
  stats(): { size: number; workers: number; busy: number; queued: number; proxied: number } {
    let busy = 0;
    let proxied = 0;
    for (const worker of this.#workers) {
      if (worker.job !== null) busy++;
      proxied += worker.held;
    }
    return { size: this.#size, workers: this.#workers.size, busy, queued: this.#queue.length, proxied };
  }

  #active(): number {
    let active = 0;
    for (const worker of this.#workers) if (!worker.retiring) active++;
    return active;
  }

  /** Starts what can start, in queue order: a call on a proxied object when its home is free, others anywhere. */
  #pump(): void {
    for (let i = 0; i < this.#queue.length; ) {
      const job = this.#queue[i];
      const worker = job.home === undefined ? this.#freeWorker(job) : this.#freeHome(job.home as PoolWorker);
      if (worker === undefined) {
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#dispatch(worker, job);
    }
  }

  #freeHome(home: PoolWorker): PoolWorker | undefined {
    if (home.job !== null || !this.#workers.has(home)) return undefined;
    const i = this.#idle.indexOf(home);
    if (i >= 0) this.#idle.splice(i, 1);
    return home;
  }

  #freeWorker(job: Job): PoolWorker | undefined {
    const canGrow = this.#active() < this.#size;
    if (job.spread && canGrow) return this.#start();
    if (this.#idle.length === 0) return canGrow ? this.#start() : undefined;
    if (!job.spread) return this.#idle.pop();
    let best = 0;
    for (let i = 1; i < this.#idle.length; i++) if (this.#idle[i].held < this.#idle[best].held) best = i;
    return this.#idle.splice(best, 1)[0];
  }

  #start(): PoolWorker {
    const worker = new PoolWorker();
    this.#workers.add(worker);
    worker.thread.on('message', (reply: Reply) => this.#answered(worker, reply));
    worker.thread.on('messageerror', (error) => this.#answered(worker, null, error));
    worker.thread.on('error', (error) => {
      this.#died(worker, null, (doing) => `died of an uncaught error while ${doing}: ${error.message}`, error);
    });
    worker.thread.on('exit', (code) => this.#died(worker, code, (doing) => `exited with code ${code} while ${doing}`));
    return worker;
  }

  #dispatch(worker: PoolWorker, job: Job): void {
    try {
      worker.thread.postMessage(job.request, job.transfer);
    } catch (error) {
      // The arguments cannot be cloned (a function, a socket): the worker never saw the call.
      this.#release(worker);
      job.settle(error);
      return;
    }
    worker.job = job;
    worker.thread.ref();
  }

  #answered(worker: PoolWorker, reply: Reply | null, messageError?: unknown): void {
    const job = worker.job;
    if (job === null) return;
    worker.job = null;
    this.#release(worker);
    if (reply === null) job.settle(messageError);
    else if (reply.kind === 'returned') job.settle(null, reply.value, worker);
    else if (reply.kind === 'threw-value') job.settle(reply.value);
    else job.settle(reviveError(reply.error, job.callerStack));
  }

  /** After a call: back to the idle list, or retired (the pool shrank) or stopped; then the queue moves on. */
  #release(worker: PoolWorker): void {
    if (!this.#workers.has(worker)) return;
    worker.thread.unref();
    if (!worker.retiring && this.#active() > this.#size) worker.retiring = true;
    if (worker.retiring) this.#stopIfDone(worker);
    else this.#idle.push(worker);
    this.#pump();
  }

  #retire(worker: PoolWorker): void {
    worker.retiring = true;
    const i = this.#idle.indexOf(worker);
    if (i >= 0) this.#idle.splice(i, 1);
    this.#stopIfDone(worker);
  }

  /** Stops a retiring worker that is idle, holds no proxied object and has no call queued for it. */
  #stopIfDone(worker: PoolWorker | undefined): void {
    if (worker === undefined || !worker.retiring || worker.job !== null || worker.held > 0) return;
    if (!this.#workers.has(worker) || this.#queue.some((job) => job.home === worker)) return;
    this.#workers.delete(worker);
    worker.thread.terminate().catch(() => {});
  }

  /** `how` says what happened, given what the worker was doing: `exited with code 7 while running "add" ...`. */
  #died(worker: PoolWorker, exitCode: number | null, how: (doing: string) => string, cause?: unknown): void {
    if (!this.#workers.has(worker)) return; // stopped by the pool, or already reported
    this.#workers.delete(worker);
    const i = this.#idle.indexOf(worker);
    if (i >= 0) this.#idle.splice(i, 1);
    const error = (doing: string) =>
      new TpoolWorkerError(`a tpool worker ${how(doing)}`, exitCode, cause === undefined ? {} : { cause });
    worker.gone = (what) => error(`holding proxied objects: cannot ${what}`);
    const job = worker.job;
    worker.job = null;
    if (job !== null) job.settle(atCaller(error(`running ${job.what}`), job));
    const stranded = this.#queue.filter((queued) => queued.home === worker);
    for (const queued of stranded) this.#queue.splice(this.#queue.indexOf(queued), 1);
    for (const queued of stranded) queued.settle(atCaller(worker.gone(queued.what), queued));
    this.#pump();
  }
}

/** `error` with the stack of the call it fails, rather than the pool's event handlers. */
function atCaller(error: Error, job: Job): Error {
  const frames = job.callerStack.split('\n').slice(1).join('\n');
  error.stack = `${error.name}: ${error.message}${frames ? `\n${frames}` : ''}`;
  return error;
}
