/**
 * Queues between green threads, as eventlet's `eventlet.queue`: LightQueue, Queue (with task tracking),
 * PriorityQueue and LifoQueue.
 *
 * Items go straight from a putter to a getter that waits, and from a putter that waits to the queue as soon as
 * a slot frees, in FIFO order of the waiters. Ownership moves in waiter records (lib/sync/waiters.ts), so an item
 * is never lost to a timeout or a kill that races its hand-off: a getter that is killed after it was handed an
 * item passes the item to the next getter, or puts it back at the head of the queue.
 */
import type { Greenlet } from '../runtime/greenlet';
import { requireGreen } from '../runtime/hub';
import { checkTimeout } from '../time/seconds';
import { Empty, Full, TaskDoneError } from './errors';
import {
  FifoStore,
  HeapStore,
  ItemStore,
  LifoStore,
  PriorityCompare,
  checkDefaultKey,
  defaultCompare,
} from './item-store';
import { checkInteger, readBlocking } from './options';
import { Deadline, GrantWaiter, WaiterList, awaitGrant, grantFirst, parkUntil, wakeAll } from './waiters';

/** Options of the blocking calls of a queue. */
export interface QueueWaitOptions {
  /** false: do not wait; throw {@link Full} or {@link Empty} at once instead. Default true. */
  block?: boolean;
  /** Seconds to wait at most (absent or null: no limit); then {@link Full} or {@link Empty} is thrown. */
  timeout?: number | null;
}

class GetWaiter<T> extends GrantWaiter {
  // The item handed over with the grant.
  item: T | undefined = undefined;
}

class PutWaiter<T> extends GrantWaiter {
  constructor(
    greenlet: Greenlet,
    readonly item: T,
  ) {
    super(greenlet);
  }
}

function noop(): void {}

const NOWAIT: QueueWaitOptions = Object.freeze({ block: false });

// What #takeNow returns when there is no item (a private symbol: no user item can be it).
const NOTHING: unique symbol = Symbol('nothing');

/** Reads a maxsize: null, undefined or Infinity mean unbounded; otherwise an integer >= 0. */
function checkMaxsize(size: number | null | undefined, what: string): number {
  if (size === null || size === undefined || size === Infinity) return Infinity;
  checkInteger(size, 0, `${what} (maxsize; null or Infinity for no limit)`);
  return size;
}

/**
 * A FIFO queue between green threads, without task tracking (eventlet's `LightQueue`).
 *
 * `maxsize` bounds it: `put` blocks while it is full. Absent, null or Infinity: unbounded. **0 makes a
 * channel**, as in eventlet (unlike Python's queue.Queue, where 0 means unbounded): every `put` blocks until a
 * getter takes the item (a getter already waiting takes it at once; for a send that returns only once the
 * receiver has run, see `Channel`).
 *
 * Waiters are served in FIFO order, and an item handed to a getter is never lost: if the getter is killed
 * before it returns the item, the item goes to the next getter or back to the head of the queue (which can
 * hold one item over maxsize for a while then). A `get` or `put` whose timeout passed still takes an item or
 * a slot that is there by the time it runs, as Python's queue re-checks after its wait.
 *
 * Calls that do not block (`putNowait`, `getNowait`, a `put` with room, a `get` with an item) work on the main
 * stack; calls that would wait throw a HubBlockingError there.
 *
 * @typeParam T - the type of the items.
 */
export class LightQueue<T = unknown> {
  #maxsize: number;
  #storage: ItemStore<T> | null = null;
  readonly #getters = new WaiterList<GetWaiter<T>>();
  readonly #putters = new WaiterList<PutWaiter<T>>();

  /** @param maxsize - the most items it holds (default: no limit; 0: a channel). */
  constructor(maxsize: number | null = null) {
    this.#maxsize = checkMaxsize(maxsize, `new ${new.target.name}`);
  }

  /** The most items the queue holds; Infinity when unbounded. */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** How many green threads wait in `get` (eventlet's `getting()`). */
  get getters(): number {
    return this.#getters.size;
  }

  /** How many green threads wait in `put` (eventlet's `putting()`). */
  get putters(): number {
    return this.#putters.size;
  }

  /** How many items are in the queue now. */
  qsize(): number {
    return this.#store.size;
  }

  /** True if the queue holds no item. */
  empty(): boolean {
    return this.#store.size === 0;
  }

  /** True if the queue holds maxsize items (always true for maxsize 0). */
  full(): boolean {
    return this.#store.size >= this.#maxsize;
  }

  /**
   * Changes maxsize (null or Infinity: unbounded). Growing it lets blocked putters in, in order; shrinking it
   * keeps the items already in the queue.
   */
  resize(size: number | null): void {
    this.#maxsize = checkMaxsize(size, 'resize');
    this.#admitPutters();
  }

  /**
   * Puts `item` in the queue: straight to the first waiting getter if there is one, else into the queue if it
   * has room. Otherwise waits for room (in FIFO order with other putters), or with `{ block: false }` throws
   * {@link Full} at once; when `timeout` passes first, throws {@link Full} and the item is not in the queue.
   *
   * Switch point: when the queue is full.
   */
  put(item: T, options?: QueueWaitOptions): void {
    const { block, timeout } = readBlocking(options, 'block', 'Queue.put');
    this.#store.check(item);
    if (this.#place(item)) return;
    if (!block) throw new Full(`Queue.put: the queue is full (maxsize ${this.#maxsize})`);
    const waiter = new PutWaiter(requireGreen('Queue.put() on a full queue'), item);
    this.#putters.push(waiter);
    // Once granted, the item is in the queue (or with a getter): nothing to pass on.
    if (awaitGrant(this.#putters, waiter, 'Queue.put', timeout, noop)) return;
    // As Python's queue re-checks after its wait: room that came by the time the timed-out putter runs is used.
    if (this.#place(item)) return;
    throw new Full(`Queue.put timed out after ${timeout} s: the queue stayed full`);
  }

  /** `put(item, { block: false })`: puts the item if it can go somewhere now, else throws {@link Full}. */
  putNowait(item: T): void {
    this.put(item, NOWAIT);
  }

  /**
   * Removes and returns the next item, waiting for one if the queue is empty (in FIFO order with other
   * getters). With `{ block: false }` throws {@link Empty} at once instead; when `timeout` passes first, throws
   * {@link Empty}.
   *
   * Switch point: when the queue is empty and no putter waits.
   */
  get(options?: QueueWaitOptions): T {
    const { block, timeout } = readBlocking(options, 'block', 'Queue.get');
    const now = this.#takeNow();
    if (now !== NOTHING) return now;
    if (!block) throw new Empty('Queue.get: the queue is empty');
    const waiter = new GetWaiter<T>(requireGreen('Queue.get() on an empty queue'));
    this.#getters.push(waiter);
    const passOn = () => this.#giveBack(waiter.item as T);
    if (awaitGrant(this.#getters, waiter, 'Queue.get', timeout, passOn)) return waiter.item as T;
    // As Python's queue re-checks after its wait: an item that came by the time the timed-out getter runs
    // (put after the hub saw the deadline) is still taken.
    const late = this.#takeNow();
    if (late !== NOTHING) return late;
    throw new Empty(`Queue.get timed out after ${timeout} s: no item came`);
  }

  /** `get({ block: false })`: the next item if there is one now (or a putter waits), else throws {@link Empty}. */
  getNowait(): T {
    return this.get(NOWAIT);
  }

  /**
   * @internal The store that orders the items; subclasses choose theirs. Called once, on first use (after the
   * subclass constructor ran, so it may use the subclass's fields).
   */
  protected createStore(): ItemStore<T> {
    return new FifoStore<T>();
  }

  /** @internal Called once for every item that enters the queue (not again if it is given back). */
  protected itemAccepted(): void {}

  get #store(): ItemStore<T> {
    return (this.#storage ??= this.createStore());
  }

  // Takes the next item without waiting: from the store, or straight from a putter that waits on an empty
  // queue (maxsize 0, or shrunk); NOTHING if there is none.
  #takeNow(): T | typeof NOTHING {
    const store = this.#store;
    if (store.size > 0) {
      const item = store.take();
      this.#admitPutters();
      return item;
    }
    const putter = grantFirst(this.#putters);
    if (putter === undefined) return NOTHING;
    this.itemAccepted();
    return putter.item;
  }

  // Places an item without waiting: to the first waiting getter, or into the store if there is room. While
  // getters wait the store is empty, so handing over first keeps the order.
  #place(item: T): boolean {
    const getter = grantFirst(this.#getters);
    if (getter !== undefined) {
      getter.item = item;
    } else if (this.#store.size < this.#maxsize) {
      this.#store.add(item);
    } else {
      return false;
    }
    this.itemAccepted();
    return true;
  }

  // Moves the items of waiting putters into the queue while it has room, first putter first.
  #admitPutters(): void {
    while (this.#store.size < this.#maxsize) {
      const putter = grantFirst(this.#putters);
      if (putter === undefined) return;
      this.#store.add(putter.item);
      this.itemAccepted();
    }
  }

  // An item handed to a getter that was killed before it could return it: to the next getter, else back at
  // the head of the queue (even if that puts the queue one over maxsize for a while: it was in it first).
  #giveBack(item: T): void {
    const getter = grantFirst(this.#getters);
    if (getter !== undefined) getter.item = item;
    else this.#store.restore(item);
  }
}

/**
 * A {@link LightQueue} that also counts unfinished tasks (eventlet's `Queue`): every item put adds one, and
 * consumers call {@link Queue.taskDone} when done with an item; {@link Queue.join} waits for the count to reach 0.
 *
 * @typeParam T - the type of the items.
 */
export class Queue<T = unknown> extends LightQueue<T> {
  #unfinished = 0;
  readonly #joiners = new WaiterList<GrantWaiter>();

  /** Items put and not yet marked done with {@link Queue.taskDone}. */
  get unfinishedTasks(): number {
    return this.#unfinished;
  }

  /**
   * Marks one item taken from the queue as fully processed. When every item put has been marked, wakes the
   * green threads in {@link Queue.join}. Throws {@link TaskDoneError} if called more times than items were put.
   */
  taskDone(): void {
    if (this.#unfinished === 0) throw new TaskDoneError();
    this.#unfinished--;
    if (this.#unfinished === 0) wakeAll(this.#joiners, (w) => (w.granted = true));
  }

  /**
   * Blocks until every item put has been marked with {@link Queue.taskDone}: true, or false if `timeout`
   * (seconds) passes first. Returns true at once when nothing is unfinished.
   *
   * Switch point: when tasks are unfinished.
   */
  join(timeout?: number | null): boolean {
    checkTimeout(timeout, 'Queue.join');
    if (this.#unfinished === 0) return true;
    const waiter = new GrantWaiter(requireGreen('Queue.join() with unfinished tasks'));
    this.#joiners.push(waiter);
    try {
      return parkUntil('Queue.join', Deadline.after(timeout), () => waiter.granted) || this.#unfinished === 0;
    } finally {
      this.#joiners.remove(waiter);
    }
  }

  /** @internal */
  protected override itemAccepted(): void {
    this.#unfinished++;
  }
}

/** Options of {@link PriorityQueue}. */
export interface PriorityQueueOptions<T> {
  /**
   * Orders two items: negative if `a` is to be got first, positive if `b` is, 0 if they are equal (equal items
   * come out in the order they were put). It must be a consistent total order and must not throw. Default:
   * numbers, bigints and strings by value (numbers before strings), arrays by their first element, so
   * `[priority, value]` pairs work.
   */
  compare?: PriorityCompare<T>;
}

/**
 * A {@link Queue} that gives out its lowest item first (eventlet's `PriorityQueue`); items of equal priority
 * come out in the order they were put.
 *
 * @typeParam T - the type of the items.
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  readonly #compare: PriorityCompare<T> | null;

  /**
   * @param maxsize - as for {@link LightQueue}.
   * @param options - `compare`, the order of the items.
   */
  constructor(maxsize: number | null = null, options: PriorityQueueOptions<T> = {}) {
    super(maxsize);
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`new PriorityQueue takes an options object ({ compare }), not ${String(options)}`);
    }
    if (options.compare !== undefined && typeof options.compare !== 'function') {
      throw new TypeError(`PriorityQueue: compare must be a function, not ${typeof options.compare}`);
    }
    this.#compare = options.compare ?? null;
  }

  /** @internal */
  protected override createStore(): ItemStore<T> {
    return this.#compare === null
      ? new HeapStore<T>(defaultCompare, checkDefaultKey)
      : new HeapStore<T>(this.#compare, noop);
  }
}

/**
 * A {@link Queue} that gives out the item put last first (eventlet's `LifoQueue`).
 *
 * @typeParam T - the type of the items.
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  /** @internal */
  protected override createStore(): ItemStore<T> {
    return new LifoStore<T>();
  }
}
