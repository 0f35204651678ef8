/**
 * The iterator of `GreenPool.imap` and `starmap`: a GreenPile fed by a green thread of its own, as eventlet's
 * GreenMap.
 *
 * The feeder reads the argument lists and adds one call per list to an {@link OrderedResults} with room for
 * `size` results; the iterator takes them in order. The feeder is a separate green thread so that reading the
 * inputs, and waiting for room, never blocks the consumer, which may start taking results at once.
 *
 * @internal
 */
import { getCurrent } from '../runtime/greenlet';
import { GreenThread, kill, spawn } from '../runtime/greenthread';
import type { GreenPool } from './greenpool';
import { OrderedResults } from './ordered-results';

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

// An iterator that is dropped without being finished or closed (a `for...of` left by an error from `next()`)
// would leave its feeder parked forever, waiting for room: stop the feeder once the iterator is collected.
const abandoned = new FinalizationRegistry<GreenThread<void>>((feeder) => kill(feeder));

/**
 * Starts mapping `fn` over `argsList` in `pool` (a pool of the map's own) and returns the iterator over the
 * results. `what` names the operation in errors (`'GreenPool.imap'`).
 */
export function startMap<R>(
  pool: GreenPool,
  fn: (...args: any[]) => R,
  argsList: Iterator<unknown>,
  what: string,
): IterableIterator<R> {
  const results = new OrderedResults<R>({ owner: what, capacity: pool.size, open: true });
  const feeder = spawn(feed, results, pool, fn, argsList, what);
  feeder.name = `${what} feeder`;
  const iterator = new MapIterator(results, feeder);
  abandoned.register(iterator, feeder, iterator);
  return iterator;
}

// The feeder's body. It must not refer to the MapIterator, or an abandoned iterator could never be collected.
function feed<R>(
  results: OrderedResults<R>,
  pool: GreenPool,
  fn: (...args: any[]) => R,
  argsList: Iterator<unknown>,
  what: string,
): void {
  let failure: { error: unknown } | undefined;
  let index = 0;
  try {
    // for...of closes the input (its `return()`) when the loop ends early: on an error, or when the feeder is
    // killed because the iterator was closed.
    for (const args of { [Symbol.iterator]: () => argsList }) {
      const list = argumentList(args, what, index++);
      results.add(() => pool.spawn(fn, ...list));
    }
  } catch (error) {
    failure = { error };
  } finally {
    results.finish(failure);
  }
}

function argumentList(args: unknown, what: string, index: number): unknown[] {
  if (Array.isArray(args)) return args;
  if (args !== null && typeof args === 'object' && Symbol.iterator in args) return [...(args as Iterable<unknown>)];
  throw new TypeError(`${what}: item ${index} is not a list of arguments but ${args === null ? 'null' : typeof args}`);
}

class MapIterator<R> implements IterableIterator<R> {
  readonly #results: OrderedResults<R>;
  readonly #feeder: GreenThread<void>;
  #closed = false;

  constructor(results: OrderedResults<R>, feeder: GreenThread<void>) {
    this.#results = results;
    this.#feeder = feeder;
  }

  /** The next result in input order, blocking until it is ready; its call's error raises here instead. */
  next(): IteratorResult<R, undefined> {
    if (this.#closed) return DONE;
    const step = this.#results.next();
    if (step.done) this.#close();
    return step;
  }

  /** Stops the map: no more input is read and `next()` returns done; calls under way finish unused. */
  return(): IteratorResult<R, undefined> {
    if (!this.#closed) {
      this.#close();
      // From the feeder itself (an input that closes the map it feeds) the kill would raise right here.
      if (getCurrent() !== this.#feeder) kill(this.#feeder);
    }
    return DONE;
  }

  [Symbol.iterator](): this {
    return this;
  }

  #close(): void {
    this.#closed = true;
    abandoned.unregister(this);
  }
}

/**
 * The argument lists of `imap`: one item from each iterator in turn, until the shortest ends. As the language's
 * own iteration does, the iterators left part-way are closed (`return()`), but not the one that ended or threw.
 */
export function* zip(iterators: Array<Iterator<unknown>>): Generator<unknown[], void, undefined> {
  let ended = -1;
  try {
    for (;;) {
      const row: unknown[] = [];
      for (let i = 0; i < iterators.length; i++) {
        ended = i;
        const step = iterators[i].next();
        if (step.done) return;
        row.push(step.value);
      }
      ended = -1;
      yield row;
    }
  } finally {
    iterators.forEach((it, i) => {
      if (i !== ended) it.return?.();
    });
  }
}
