/**
 * Results in the order their work was spawned: the one machinery behind `GreenPile` and
 * `GreenPool.imap`/`starmap` (as eventlet's GreenMap is a GreenPile).
 *
 * A producer adds work (`add`): it holds the next place in line, then starts the green thread that fills it. A
 * consumer takes results from the front (`next`), each once its green thread has finished, blocking meanwhile:
 * the thread's return value, or its error raised at that position. A place is held from before the spawn (which
 * may block on a full pool) so that the order is the order of the `add` calls, and a consumer knows that a
 * result is still coming.
 *
 * @internal
 */
import type { GreenThread } from '../runtime/greenthread';
import { requireGreen } from '../runtime/hub';
import { WaitQueue } from './wait-queue';

interface Place<T> {
  /** null while its spawn is under way. */
  thread: GreenThread<T> | null;
}

export interface OrderedResultsOptions {
  /** Names the blocking operations in errors and dumps: `'GreenPile'` gives `'GreenPile.next'`. */
  owner: string;
  /** At most this many places are held at once: `add` blocks for room. Default: no limit. */
  capacity?: number;
  /**
   * When true, running out of places does not end the sequence: more work may still be added, so `next` waits
   * until it is, or until {@link OrderedResults.finish} ends the sequence. Default: false, the sequence ends
   * whenever every place has been taken.
   */
  open?: boolean;
}

const DONE: IteratorReturnResult<undefined> = Object.freeze({ done: true, value: undefined });

export class OrderedResults<T> {
  readonly #places: Array<Place<T>> = [];
  readonly #owner: string;
  readonly #capacity: number;
  #open: boolean;
  // An error to raise after the last result, once (a failure of the producer, such as its input).
  #failure: { error: unknown } | null = null;
  // Every waiter is woken at each change and checks again, in queue order (so the first consumer takes the
  // front): a woken waiter that is killed meanwhile leaves nobody stranded.
  readonly #consumers: WaitQueue;
  // A producer waiting for room waits for a consumer, which may never come: that alone must not keep the
  // process alive.
  readonly #producers: WaitQueue;

  constructor(options: OrderedResultsOptions) {
    this.#owner = options.owner;
    this.#capacity = options.capacity ?? Infinity;
    this.#open = options.open ?? false;
    this.#consumers = new WaitQueue(`${options.owner}.next`);
    this.#producers = new WaitQueue(`${options.owner} (waiting for its results to be taken)`, false);
  }

  /** How many places are held: results being spawned, running, or finished and not yet taken. */
  get size(): number {
    return this.#places.length;
  }

  /**
   * Holds the next place (blocking while the capacity is used up), then calls `start` to spawn the green thread
   * that fills it, and returns that thread. If `start` throws (a Timeout or a kill while the pool was full, or a
   * function that ran inline and failed), the place is given up and the error propagates.
   *
   * Switch point: when the capacity is used up, and wherever `start` blocks.
   */
  add(start: () => GreenThread<T>): GreenThread<T> {
    if (this.#places.length >= this.#capacity) {
      const self = requireGreen(`${this.#owner}.spawn with ${this.#capacity} results not yet taken`);
      this.#producers.waitUntil(self, () => this.#places.length < this.#capacity);
    }
    const place: Place<T> = { thread: null };
    this.#places.push(place);
    let thread: GreenThread<T>;
    try {
      thread = start();
    } catch (error) {
      this.#places.splice(this.#places.indexOf(place), 1);
      // A consumer may have been waiting for this very place, or for the sequence to end.
      this.#consumers.wake();
      this.#producers.wake();
      throw error;
    }
    place.thread = thread;
    // link, not onFinish: the consumer is who sees this thread's outcome (its error raises from `next`), so the
    // thread's failure is not reported on its own. Only the front result is waited for.
    thread.link(() => {
      if (this.#places[0] === place) this.#consumers.wake();
    });
    return thread;
  }

  /**
   * Ends an open sequence: once the places held now are taken, `next` returns done, after raising `failure.error`
   * once if given.
   */
  finish(failure?: { error: unknown }): void {
    this.#open = false;
    this.#failure = failure ?? null;
    this.#consumers.wake();
  }

  /**
   * The result of the front place, once its green thread has finished (its error raises here instead); done
   * when the sequence has ended.
   *
   * Switch point: when the front result is not ready yet.
   */
  next(): IteratorResult<T, undefined> {
    if (!this.#frontReady()) {
      this.#consumers.waitUntil(requireGreen(`${this.#owner}.next`), () => this.#frontReady());
    }
    const front = this.#places.shift();
    if (front === undefined) {
      const failure = this.#failure;
      this.#failure = null;
      if (failure !== null) throw failure.error;
      return DONE;
    }
    // There is room for one more result, and a new front that may be ready for another consumer.
    this.#producers.wake();
    this.#consumers.wake();
    // The thread has finished: wait() returns its result or throws its error without blocking.
    return { done: false, value: front.thread!.wait() };
  }

  // True when `next` can answer without waiting: the front result is there, or the sequence has ended.
  #frontReady(): boolean {
    const front = this.#places[0];
    return front === undefined ? !this.#open : front.thread !== null && front.thread.dead;
  }
}
