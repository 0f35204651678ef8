/**
 * The pool of worker threads behind tpool.execute for JS tasks: started lazily up to `size`, one task at a time
 * per worker, calls queued first come first served while all are busy. A worker that dies fails its call with a
 * TpoolWorkerError and is replaced on demand. Idle workers are unref'd: they never keep the process alive.
 *
 * The pool knows nothing of green threads: a {@link Job} is settled through its `settle` callback, and
 * ./execute.ts turns that into a wait.
 *
 * @internal
 */
import * as path from 'node:path';
import { Worker, type TransferListItem } from 'node:worker_threads';
import { TpoolKilledError, TpoolWorkerError } from './errors';
import type { Reply, Request } from './protocol';
import { reviveError } from './remote-error';
import { describeTask, type ResolvedTask } from './task';

/** One call waiting for, or running in, a worker. */
export interface Job {
  readonly task: ResolvedTask;
  readonly args: unknown[];
  readonly transfer: readonly TransferListItem[];
  /** The stack where tpool.execute was called, appended to the stack of an error from the task. */
  readonly callerStack: string;
  /** Called once: with an error, or with null and the task's result. */
  readonly settle: (error: unknown, value?: unknown) => void;
}

interface PoolWorker {
  readonly thread: Worker;
  job: Job | null;
}

const WORKER_SCRIPT = path.join(__dirname, 'worker.js');

/** Worker threads running one task at a time each, with a FIFO queue of calls waiting for one. */
export class WorkerPool {
  #size: number;
  readonly #workers = new Set<PoolWorker>();
  readonly #idle: PoolWorker[] = [];
  readonly #queue: Job[] = [];

  constructor(size: number) {
    this.#size = size;
  }

  /** How many workers may run at once. */
  get size(): number {
    return this.#size;
  }

  /** Changes how many workers may run; extra idle workers stop now, extra busy ones when their task ends. */
  resize(size: number): void {
    this.#size = size;
    while (this.#workers.size > this.#size && this.#idle.length > 0) this.#stop(this.#idle.pop()!);
    this.#pump();
  }

  /** Runs `job` in a free worker, starting one if the pool may grow, or queues it. */
  submit(job: Job): void {
    this.#queue.push(job);
    this.#pump();
  }

  /** Forgets a job whose caller stopped waiting: dropped if still queued; a running task runs to its end. */
  withdraw(job: Job): void {
    const i = this.#queue.indexOf(job);
    if (i >= 0) this.#queue.splice(i, 1);
  }

  /** Terminates every worker; their calls and the queued ones fail with TpoolKilledError. */
  killall(): void {
    const queued = this.#queue.splice(0);
    const workers = [...this.#workers];
    this.#workers.clear();
    this.#idle.length = 0;
    for (const job of queued) {
      const error = new TpoolKilledError(`tpool.killall() cancelled ${describeTask(job.task)} before it started`);
      job.settle(atCaller(error, job));
    }
    for (const worker of workers) {
      const job = worker.job;
      worker.job = null;
      worker.thread.terminate().catch(() => {});
      if (job === null) continue;
      const error = new TpoolKilledError(`tpool.killall() terminated the worker running ${describeTask(job.task)}`);
      job.settle(atCaller(error, job));
    }
  }

  /** The size, the workers alive, those running a task, and the calls waiting for one. */
  stats(): { size: number; workers: number; busy: number; queued: number } {
    const workers = this.#workers.size;
    return { size: this.#size, workers, busy: workers - this.#idle.length, queued: this.#queue.length };
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let worker = this.#idle.pop();
      if (worker === undefined) {
        if (this.#workers.size >= this.#size) return;
        worker = this.#start();
      }
      this.#dispatch(worker, this.#queue.shift()!);
    }
  }

  #start(): PoolWorker {
    const worker: PoolWorker = { thread: new Worker(WORKER_SCRIPT), job: null };
    this.#workers.add(worker);
    worker.thread.on('message', (reply: Reply) => this.#answered(worker, reply));
    worker.thread.on('messageerror', (error) => this.#answered(worker, null, error));
    worker.thread.on('error', (error) => {
      const what = (job: Job) => `died of an uncaught error while running ${describeTask(job.task)}: ${error.message}`;
      this.#died(worker, null, what, error);
    });
    worker.thread.on('exit', (code) => {
      this.#died(worker, code, (job) => `exited with code ${code} while running ${describeTask(job.task)}`);
    });
    return worker;
  }

  #dispatch(worker: PoolWorker, job: Job): void {
    const request: Request = { file: job.task.file, name: job.task.name, args: job.args };
    try {
      worker.thread.postMessage(request, job.transfer);
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
    else if (reply.kind === 'returned') job.settle(null, reply.value);
    else if (reply.kind === 'threw-value') job.settle(reply.value);
    else job.settle(reviveError(reply.error, job.callerStack));
  }

  /** Back to the idle list (or stopped, if the pool shrank), then the queue moves on. */
  #release(worker: PoolWorker): void {
    if (!this.#workers.has(worker)) return;
    if (this.#workers.size > this.#size) {
      this.#stop(worker);
    } else {
      worker.thread.unref();
      this.#idle.push(worker);
    }
    this.#pump();
  }

  #stop(worker: PoolWorker): void {
    this.#workers.delete(worker);
    worker.thread.terminate().catch(() => {});
  }

  #died(worker: PoolWorker, exitCode: number | null, what: (job: Job) => string, cause?: unknown): void {
    if (!this.#workers.has(worker)) return; // stopped by the pool, or already reported
    this.#workers.delete(worker);
    const i = this.#idle.indexOf(worker);
    if (i >= 0) this.#idle.splice(i, 1);
    const job = worker.job;
    worker.job = null;
    if (job !== null) {
      const error = new TpoolWorkerError(`a tpool worker ${what(job)}`, exitCode, cause === undefined ? {} : { cause });
      job.settle(atCaller(error, job));
    }
    this.#pump();
  }
}

/** `error` with the stack of the tpool.execute call it fails, rather than the pool's event handlers. */
function atCaller(error: Error, job: Job): Error {
  const frames = job.callerStack.split('\n').slice(1).join('\n');
  error.stack = `${error.name}: ${error.message}${frames ? `\n${frames}` : ''}`;
  return error;
}
