/**
 * GreenPile: results of spawned work, taken in the order it was spawned, as eventlet's GreenPile.
 *
 * ```ts
 * const pile = new GreenPile<string>(pool);
 * for (const url of urls) pile.spawn(fetchBody, url);
 * for (const body of pile) console.log(body);   // in the order of urls, each as soon as it is there
 * ```
 */
import type { GreenThread } from '../runtime/greenthread';
import { GreenPool } from './greenpool';
import { OrderedResults } from './ordered-results';
import { checkPoolSize } from './size';

/**
 * Work spawned into a {@link GreenPool}, whose results are taken by iterating: in spawn order, each blocking until
 * it is ready. An error the work threw raises from `next()` at its position, and iteration can go on after it.
 * Iteration ends once every spawned result has been taken (at once for a pile with nothing spawned); spawning
 * more afterwards makes more to iterate. Breaking out of a `for...of` leaves the rest in the pile for later.
 *
 * Many piles may share one pool (and its bound on concurrency). Spawn and iterate in the same green thread, or
 * make sure spawns happen before the iteration gets there: a pile being iterated in one green thread while
 * another is between two spawns may look finished in between (as in eventlet). The iterator of
 * `GreenPool.imap` does not have this limit.
 */
export class GreenPile<T = unknown> implements IterableIterator<T> {
  /** The pool that runs the spawned work. */
  readonly pool: GreenPool;
  readonly #results = new OrderedResults<T>({ owner: 'GreenPile' });

  /**
   * @param sizeOrPool - a pool to spawn into (shared with whoever else uses it), or the size of a new pool of
   *   the pile's own (default 1000).
   */
  constructor(sizeOrPool: number | GreenPool = 1000) {
    if (sizeOrPool instanceof GreenPool) {
      this.pool = sizeOrPool;
    } else {
      checkPoolSize(sizeOrPool, 'GreenPile');
      this.pool = new GreenPool(sizeOrPool);
    }
  }

  /**
   * Spawns `fn(...args)` into the pool (blocking while it is full: see {@link GreenPool.spawn}) and returns its
   * green thread; its result is next in line after those spawned before. If the spawn throws (a Timeout or a
   * kill while it waited for a slot), nothing is added.
   *
   * Switch point: when the pool is full.
   */
  spawn<A extends unknown[]>(fn: (...args: A) => T, ...args: A): GreenThread<T> {
    return this.#results.add(() => this.pool.spawn(fn, ...args));
  }

  /** How many spawned results have not been taken yet (including spawns under way). */
  get pending(): number {
    return this.#results.size;
  }

  /**
   * The next result in spawn order, blocking until it is ready; its error raises here instead. Done when every
   * spawned result has been taken.
   *
   * Switch point: when the next result is not ready. On the main stack, that is a `HubBlockingError`.
   */
  next(): IteratorResult<T, undefined> {
    return this.#results.next();
  }

  [Symbol.iterator](): this {
    return this;
  }
}
