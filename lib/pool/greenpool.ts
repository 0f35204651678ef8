/**
 * GreenPool: a bounded set of green threads, as eventlet's GreenPool.
 *
 * `spawn` starts a function in a green thread of the pool, and blocks while `size` of them run, so a pool is the
 * usual way to bound concurrency: `for (const url of urls) pool.spawn(fetch, url); pool.waitAll();`. `imap` and
 * `starmap` map a function over inputs concurrently and give the results back in input order.
 */
import { GreenletExit } from '../runtime/errors';
import { Greenlet, getCurrent } from '../runtime/greenlet';
import { GreenThread, onFinish, spawn } from '../runtime/greenthread';
import { requireGreen } from '../runtime/hub';
import { PoolDeadlockError } from './errors';
import { startMap, zip } from './greenmap';
import { checkPoolSize } from './size';
import { WaitQueue } from './wait-queue';

const main = Greenlet.getMain();

/** The argument lists of {@link GreenPool.imap}: one iterable per parameter of the function. */
export type IterablesOf<A extends unknown[]> = { [K in keyof A]: Iterable<A[K]> };

/**
 * A pool of at most `size` concurrently running green threads.
 *
 * Slots go to waiting spawners first come, first served. Sizes are checked: an integer >= 0. A pool of size 0
 * runs nothing: every `spawn` waits until {@link GreenPool.resize} grows it.
 */
export class GreenPool {
  #size: number;
  // The pool's running green threads: each holds one slot until it finishes.
  readonly #threads = new Set<Greenlet>();
  readonly #spawners = new WaitQueue('GreenPool.spawn (pool full)');
  readonly #idleWaiters = new WaitQueue('GreenPool.waitAll');

  /** @param size - how many green threads may run at once (default 1000, as in eventlet). */
  constructor(size = 1000) {
    checkPoolSize(size, 'GreenPool');
    this.#size = size;
  }

  /** How many green threads may run at once. */
  get size(): number {
    return this.#size;
  }

  /**
   * Changes how many green threads may run at once. Growing lets waiting spawners go at once. Shrinking stops
   * nothing: threads above the new size finish their work, and no new one starts until fewer than `size` run.
   */
  resize(size: number): void {
    checkPoolSize(size, 'GreenPool.resize');
    this.#size = size;
    this.#settle();
  }

  /** How many green threads of the pool are running (or about to start). */
  running(): number {
    return this.#threads.size;
  }

  /**
   * How many slots are free: `size - running()`, or 0 while a shrunk pool still runs more than its size. (A free
   * slot may already be promised to a spawner that was waiting for it and has not run yet.)
   */
  free(): number {
    return Math.max(0, this.#size - this.#threads.size);
  }

  /** How many green threads wait in {@link GreenPool.spawn} or {@link GreenPool.spawnN} for a slot. */
  waiting(): number {
    return this.#spawners.length;
  }

  /**
   * Runs `fn(...args)` in a new green thread of the pool and returns it (its result comes from `wait()`). While
   * the pool is full, blocks the caller until a slot frees up; spawners get slots in the order they came.
   *
   * Re-entrancy, as in eventlet: when the caller is itself a green thread of this pool and would have to wait for
   * a slot, `fn` runs right here, in the caller, instead (a pool whose every thread waited for a slot held by
   * another would deadlock). Like a direct call, it then returns only when `fn` has, with a GreenThread that has
   * already finished with `fn`'s result, and `fn`'s error propagates from `spawn`.
   *
   * On the main stack, which cannot wait, `spawn` starts the thread when a slot is free, and throws
   * `HubBlockingError` when none is.
   *
   * Switch point: when the pool is full (or `fn` runs inline and switches).
   */
  spawn<T, A extends unknown[]>(fn: (...args: A) => T, ...args: A): GreenThread<T> {
    checkFunction(fn, 'GreenPool.spawn');
    if (!this.#takeSlot('GreenPool.spawn')) return runInline(fn, args);
    return this.#start(fn, args);
  }

  /**
   * Like {@link GreenPool.spawn}, but with no result to wait for; an error `fn` throws is an uncaught exception,
   * as with `spawnN`. Run inline (see {@link GreenPool.spawn}), `fn`'s error propagates to the caller instead.
   *
   * Switch point: when the pool is full.
   */
  spawnN<A extends unknown[]>(fn: (...args: A) => unknown, ...args: A): void {
    checkFunction(fn, 'GreenPool.spawnN');
    if (!this.#takeSlot('GreenPool.spawnN')) {
      fn(...args);
      return;
    }
    this.#start(fn, args).link(raiseFailure);
  }

  /**
   * Blocks until the pool is idle: none of its green threads runs and no spawner waits for a slot. Returns at
   * once if it is. Throws {@link PoolDeadlockError} when called from one of the pool's own green threads, which
   * would wait for itself.
   *
   * Switch point: when the pool is not idle.
   */
  waitAll(): void {
    if (this.#threads.has(getCurrent())) {
      throw new PoolDeadlockError(
        'GreenPool.waitAll() was called from a green thread of the same pool: it would wait for itself to finish. ' +
          'Wait for the pool from a green thread outside it.',
      );
    }
    if (this.#idle()) return;
    this.#idleWaiters.waitUntil(requireGreen('GreenPool.waitAll()'), () => this.#idle());
  }

  /**
   * Calls `fn` on the items of `iterables` taken in step (`fn(a[0], b[0])`, `fn(a[1], b[1])`, ...), each call in
   * a green thread, and returns an iterator over the results in input order, each given as soon as it and those
   * before it are ready. Stops at the end of the shortest iterable. An error `fn` throws raises from the
   * iterator's `next()` at that item's position; the iterator can go on after it.
   *
   * As in eventlet, the calls run in a pool of their own with this pool's size (at the time of the call), not in
   * this pool's slots, so imap is safe from the pool's own green threads; at most `size` calls run, and at most
   * `size` results wait to be taken, so memory stays bounded for endless inputs. The inputs are read in a
   * green thread of its own, which may block in them; an error an input throws raises from `next()` after the
   * results before it. Breaking out of a `for...of` (or calling `return()`) stops reading the inputs and closes
   * them; calls under way finish, their results unused. An iterator dropped unfinished does the same once it is
   * garbage-collected.
   *
   * With `fn` null, as eventlet's `imap(None, ...)`, the results are the argument lists themselves
   * (`imap(null, [1, 2], 'ab')` gives `[1, 'a']`, `[2, 'b']`).
   *
   * Throws `HubBlockingError` from `next()` on the main stack when the next result is not ready.
   */
  imap<R, A extends unknown[]>(fn: (...args: A) => R, ...iterables: IterablesOf<A>): IterableIterator<R>;
  imap<A extends unknown[]>(fn: null, ...iterables: IterablesOf<A>): IterableIterator<A>;
  imap<R, A extends unknown[]>(fn: ((...args: A) => R) | null, ...iterables: IterablesOf<A>): IterableIterator<R | A> {
    if (fn !== null) checkFunction(fn, 'GreenPool.imap');
    if (iterables.length === 0) throw new TypeError('GreenPool.imap takes at least one iterable');
    const iterators = iterables.map((it, i) => iteratorOf(it, `GreenPool.imap: argument ${i + 2}`));
    // With no function, each call's result is its argument list.
    const call: (...args: any[]) => R | A = fn ?? ((...args: any[]) => args as A);
    return this.#map(call, zip(iterators), 'GreenPool.imap');
  }

  /**
   * Like {@link GreenPool.imap}, but each item of `argsList` is the argument list of one call:
   * `starmap(fn, [[1, 2], [3, 4]])` calls `fn(1, 2)` and `fn(3, 4)`.
   */
  starmap<R, A extends unknown[]>(fn: (...args: A) => R, argsList: Iterable<A>): IterableIterator<R> {
    checkFunction(fn, 'GreenPool.starmap');
    return this.#map(fn, iteratorOf(argsList, 'GreenPool.starmap: argument 2'), 'GreenPool.starmap');
  }

  #map<R>(fn: (...args: any[]) => R, argsList: Iterator<unknown>, what: string): IterableIterator<R> {
    if (this.#size === 0) throw new RangeError(`${what} needs a pool of size >= 1: this one has size 0`);
    return startMap(new GreenPool(this.#size), fn, argsList, what);
  }

  // Takes a slot for the caller, waiting in line for one if need be. Returns false, without waiting, when the
  // caller is a thread of this pool and must run the work inline.
  #takeSlot(operation: string): boolean {
    const self = getCurrent();
    // Main cannot wait, so it never queues: it takes any free slot, even one a woken spawner is about to take.
    const canTake = this.#threads.size < this.#size && (this.#spawners.length === 0 || self === main);
    if (canTake) return true;
    if (this.#threads.has(self)) return false;
    const waiter = requireGreen(`${operation}() on a full pool`);
    try {
      this.#spawners.waitUntil(waiter, () => this.#threads.size + this.#spawners.indexOf(waiter) < this.#size);
    } catch (error) {
      // A slot may have freed up for this waiter just as it was thrown out: let the next in line look.
      this.#settle();
      throw error;
    }
    return true;
  }

  #start<T>(fn: (...args: any[]) => T, args: unknown[]): GreenThread<T> {
    const gt = spawn(fn, ...args);
    this.#threads.add(gt);
    // The slot comes back however the thread ends: returns, throws, is killed (also before it started).
    onFinish(gt, this.#release);
    return gt;
  }

  // One callback for all the pool's threads, rather than a closure per thread that it holds while it runs.
  readonly #release = (gt: GreenThread<any>): void => {
    this.#threads.delete(gt);
    this.#settle();
  };

  #idle(): boolean {
    return this.#threads.size === 0 && this.#spawners.length === 0;
  }

  // Slots or waiters changed: wake the spawners that now have a slot, and waitAll() callers if the pool is idle.
  #settle(): void {
    this.#spawners.wake(this.#size - this.#threads.size);
    if (this.#idle()) this.#idleWaiters.wake();
  }
}

// Runs `fn` on the caller's stack and wraps its result in a GreenThread that has already finished with it, so
// that spawn's caller gets what it always gets. (GreenThread.run is the thread's body; calling it here, on a
// thread that is never scheduled, only publishes the result.)
function runInline<T>(fn: (...args: any[]) => T, args: unknown[]): GreenThread<T> {
  const result = fn(...args);
  const gt = new GreenThread<T>(() => result, []);
  gt.run();
  return gt;
}

// spawnN's contract: a failure is an uncaught exception (a link callback's error is one); a kill is not a failure.
function raiseFailure(gt: GreenThread<unknown>): void {
  try {
    gt.wait();
  } catch (error) {
    if (!(error instanceof GreenletExit)) throw error;
  }
}

function checkFunction(fn: unknown, what: string): void {
  if (typeof fn !== 'function') {
    throw new TypeError(`${what} takes a function, not ${fn === null ? 'null' : typeof fn}`);
  }
}

function iteratorOf(value: unknown, what: string): Iterator<unknown> {
  const method = (value as { [Symbol.iterator]?: unknown } | null | undefined)?.[Symbol.iterator];
  if (typeof method !== 'function') {
    throw new TypeError(`${what} is not iterable (${value === null ? 'null' : typeof value})`);
  }
  return method.call(value) as Iterator<unknown>;
}
