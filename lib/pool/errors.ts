/**
 * The error classes of green-thread pools.
 */

/**
 * A pool operation would wait for the very green thread that calls it: `GreenPool.waitAll()` called from one of
 * the pool's own green threads, which would wait for itself to finish and never return.
 *
 * Permanent: a programming error. Wait for the pool from a green thread outside it.
 */
export class PoolDeadlockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoolDeadlockError';
  }
}

/**
 * A DAGPool key that already has a green thread or a value: `spawn` of a key that was spawned, posted or
 * preloaded, `post` of a key whose green thread runs (from another green thread), or a second `post` of a key
 * without `{ replace: true }`. eventlet's `dagpool.Collision`.
 *
 * Permanent: a programming error.
 */
export class Collision extends Error {
  /** The key in question. */
  readonly key: unknown;

  constructor(key: unknown, message: string) {
    super(message);
    this.name = 'Collision';
    this.key = key;
  }
}

/**
 * The value of a DAGPool key whose green thread threw instead of returning: getting that value (`get`, `wait`,
 * `waitEach`, a dependent's `results`) throws this error. A dependent that does not catch it throws it on, wrapped
 * in a PropagateError of its own, and so on down the graph: follow `exc` (also `cause`) back to the first
 * failure. eventlet's `dagpool.PropagateError`.
 *
 * Permanent for that key.
 */
export class PropagateError extends Error {
  /** The key of the green thread that threw. */
  readonly key: unknown;
  /** What it threw. */
  readonly exc: unknown;

  constructor(key: unknown, exc: unknown) {
    super(`PropagateError(${describeKey(key)}): ${describeError(exc)}`, { cause: exc });
    this.name = 'PropagateError';
    this.key = key;
    this.exc = exc;
  }
}

/** A key as messages show it: strings as they are, other values through String() (symbols by description). */
export function describeKey(key: unknown): string {
  if (typeof key === 'symbol') return key.toString();
  if (typeof key === 'object' && key !== null) {
    try {
      return JSON.stringify(key) ?? String(key);
    } catch {
      return String(key);
    }
  }
  return String(key);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `${typeof error}: ${String(error)}`;
}
