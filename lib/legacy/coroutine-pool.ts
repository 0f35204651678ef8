/**
 * coros.CoroutinePool: eventlet's first pool, on the modern GreenPool.
 */
import { GreenPool } from '../pool/greenpool';
import { checkPoolSize } from '../pool/size';
import { Event } from '../sync/event';
import { reportFailure } from './report';

/**
 * At most `size` coroutines at once. `execute` hands back an {@link Event} carrying the result; `executeAsync`
 * hands back nothing. Both block the caller while the pool is full.
 */
export class CoroutinePool {
  readonly #pool: GreenPool;

  /** @param size - how many may run at once: eventlet's default `max_size` of 4 unless given. */
  constructor(size = 4) {
    checkPoolSize(size, 'CoroutinePool');
    this.#pool = new GreenPool(size);
  }

  /** How many may run at once. */
  get size(): number {
    return this.#pool.size;
  }

  /** How many are running now (eventlet's `current_size`). */
  get currentSize(): number {
    return this.#pool.running();
  }

  /** How many more could start now without waiting. */
  free(): number {
    return this.#pool.free();
  }

  /**
   * Runs `fn(...args)` in a coroutine of the pool and returns an Event whose `wait()` gives its result or
   * throws its error (any number of times, from any green thread).
   *
   * Switch point: when the pool is full.
   */
  execute<T, A extends unknown[]>(fn: (...args: A) => T, ...args: A): Event<T> {
    checkFunction(fn, 'CoroutinePool.execute');
    const done = new Event<T>();
    this.#pool.spawnN(() => {
      let result: T;
      try {
        result = fn(...args);
      } catch (error) {
        done.sendException(error);
        return;
      }
      done.send(...([result] as [T]));
    });
    return done;
  }

  /**
   * Runs `fn(...args)` in a coroutine of the pool with no result; an error it throws is printed on stderr (as
   * eventlet's pool printed it) and goes no further.
   *
   * Switch point: when the pool is full.
   */
  executeAsync<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
    checkFunction(fn, 'CoroutinePool.executeAsync');
    this.#pool.spawnN(() => {
      try {
        fn(...args);
      } catch (error) {
        reportFailure(`CoroutinePool.executeAsync(${fn.name || 'anonymous function'})`, error);
      }
    });
  }

  /**
   * Blocks until no coroutine of the pool runs and nobody waits for a slot.
   *
   * Switch point: when the pool is busy.
   */
  waitAll(): void {
    this.#pool.waitAll();
  }

  /** Changes how many may run at once (growing lets waiting callers go at once). */
  resize(size: number): void {
    this.#pool.resize(size);
  }
}

function checkFunction(fn: unknown, what: string): void {
  if (typeof fn !== 'function') throw new TypeError(`${what} takes a function, not ${typeof fn}`);
}
