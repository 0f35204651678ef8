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
