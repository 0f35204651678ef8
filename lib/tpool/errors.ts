/**
 * The error classes of the thread pool (lib/tpool).
 *
 * Errors a task throws are not wrapped: they come back as errors of the same name and message (see
 * ./remote-error.ts). The classes here are the pool's own failures.
 */

/**
 * The worker thread running a task died before answering: the task called `process.exit`, an error escaped it
 * asynchronously (an uncaught exception in the worker), or the worker ran out of memory. The worker is replaced;
 * other calls are not affected. `cause` holds the worker's uncaught error, if there was one.
 *
 * Transient for the pool; whether the task can be retried depends on the task.
 */
export class TpoolWorkerError extends Error {
  /** The worker's exit code, or null when it died of an uncaught error. */
  readonly exitCode: number | null;
  constructor(message: string, exitCode: number | null, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TpoolWorkerError';
    this.exitCode = exitCode;
  }
}

/**
 * `tpool.killall({ force: true })` stopped the call: its worker was terminated while it ran the task, or the call
 * was still queued, or the call was on a proxied object that lived in a terminated worker. Which one is in the
 * message. (A plain `tpool.killall()` lets calls finish and fails none.)
 *
 * Permanent for that call, and for every later call on such a proxy; the pool itself starts new workers for
 * later calls.
 */
export class TpoolKilledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TpoolKilledError';
  }
}

/**
 * A tpool proxy was used after `proxy[Symbol.dispose]()`: the object it stood for may be gone from its worker.
 *
 * Permanent: a programming error in the caller.
 */
export class TpoolProxyDisposedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TpoolProxyDisposedError';
  }
}
