/**
 * The error classes of resource pools (lib/resource), shared by the pools built on them (lib/db).
 */

/**
 * A `get` that could not have an item within its `timeout`: every item was checked out, the pool could create no
 * more, and none was put back in time.
 *
 * Transient: the pool is as it was; try again, or later.
 */
export class PoolTimeoutError extends Error {
  /** The timeout that passed, in seconds. */
  readonly timeout: number;

  constructor(what: string, timeout: number) {
    super(`${what}: no item became free within ${timeout} s (every item is checked out and the pool is at its maxSize)`);
    this.name = 'PoolTimeoutError';
    this.timeout = timeout;
  }
}

/**
 * A `get` on a pool that was closed (by you: `close()`), or that was waiting when it was closed.
 *
 * Permanent for that pool.
 */
export class PoolClosedError extends Error {
  constructor(what: string) {
    super(`${what}: the pool is closed`);
    this.name = 'PoolClosedError';
  }
}
