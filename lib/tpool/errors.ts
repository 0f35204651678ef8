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
 * `tpool.killall()` stopped the call: its worker was terminated while it ran the task, or the call was still
 * queued. Whether the task had started is in the message.
 *
 * Permanent for that call; the pool itself starts new workers for later calls.
 */
export class TpoolKilledError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TpoolKilledError';
  }
}
