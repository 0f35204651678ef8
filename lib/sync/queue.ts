/**
 * Queues between green threads, as eventlet's `eventlet.queue`: LightQueue, Queue (with task tracking),
 * PriorityQueue and LifoQueue.
 *
 * Items go straight from a putter to a getter that waits, and from a putter that waits to the queue as soon as
 * a slot frees, in FIFO order of the waiters. Ownership moves in waiter records (lib/sync/waiters.ts), so an item
 * is never lost to a timeout or a kill that races its hand-off: a getter that is killed after it was handed an
 * item passes the item to the next getter, or gives it back (to the putter still waiting with it, or to the head
 * of the queue).
 *
 * A put that finds no room (always so at maxsize 0, eventlet's channel) keeps its item until a getter has taken
 * it: handed to a waiting getter, the item stays the putter's until that getter runs and claims it, which wakes
 * the putter. So a put on a full queue returns only once its item was received (or let into the queue by a
 * resize), as eventlet's `put` does.
 */
import { Greenlet, getCurrent } from '../runtime/greenlet';
import { requireGreen, wake } from '../runtime/hub';
import { checkTimeout } from '../runtime/seconds';
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
  // The putter the item still belongs to until this getter claims it (a put that found no room waits for that);
  // null for an item the queue already owns.
  from: PutWaiter<T> | null = null;
}

class PutWaiter<T> extends GrantWaiter {
  // The getter holding this putter's item without having claimed it yet; null while the putter is in line.
  holder: GetWaiter<T> | null = null;
  // Whether the putter is to be woken when its item comes back from a getter killed before claiming it: a
  // non-blocking put then fails, and so does one whose timeout passed while the getter held the item. (A
  // blocking put still in time just goes back to the head of the line, parked as it was.)
  wakeOnReturn: boolean;

  constructor(
    greenlet: Greenlet,
    readonly item: T,
    readonly block: boolean,
  ) {
    super(greenlet);
    this.wakeOnReturn = !block;
  }
}

function noop(): void {}

const NOWAIT: QueueWaitOptions = Object.freeze({ block: false });

// What #takeNow returns when there is no item (a private symbol: no user item can be it).
const NOTHING: unique symbol = Symbol('nothing');

/**
 * Reads a maxsize: null, undefined or Infinity mean unbounded; otherwise an integer >= 0 (a TypeError if it is
 * not a number, a RangeError if it is out of range).
 */
function checkMaxsize(size: number | null | undefined, what: string): number {
  if (size === null || size === undefined || size === Infinity) return Infinity;
  checkInteger(size, 0, `${what} (maxsize; null or Infinity for no limit)`);
  return size;
}

/**
 * A FIFO queue between green threads, without task tracking (eventlet's `LightQueue`).
 *
 * `maxsize` bounds it: `put` blocks while it is full. Absent, null or Infinity: unbounded. **0 makes a
 * channel**, as eventlet's `Queue(0)` (unlike Python's queue.Queue, where 0 means unbounded): `put` returns only
 * once a getter has taken the item, and `putNowait` succeeds only if a getter is waiting (returning once that
 * getter has the item), else throws {@link Full}; `empty()` and `full()` are both always true. The same holds for
 * any put that finds the queue full: it keeps its item until a getter takes it or room comes. (`Channel` is the
 * same rendezvous with gevent's API.)
 *
 * Waiters are served in FIFO order, and an item handed to a getter is never lost: if the getter is killed
 * before it returns the item, the item goes to the next getter, or back to the putter still waiting with it, or
 * to the head of the queue (which can hold one item over maxsize for a while then). A `get` or `put` whose
 * timeout passed still takes an item or a slot that is there by the time it runs, as Python's queue re-checks
 * after its wait; a put whose timeout passes while a getter holds its item waits for that getter to run.
 *
 * Calls that do not block (`putNowait`, `getNowait`, a `put` with room, a `get` with an item) work on the main
 * stack; calls that would wait throw a HubBlockingError there. The main stack cannot wait for a getter to run:
 * there a put without room hands its item to a waiting getter outright and returns at once (as eventlet's
 * `put_nowait` from the hub).
 *
 * @typeParam T - the type of the items.
 */
export class LightQueue<T = unknown> {
  #maxsize: number;
  #storage: ItemStore<T> | null = null;
  readonly #getters = new WaiterList<GetWaiter<T>>();
  readonly #putters = new WaiterList<PutWaiter<T>>();

  /**
   * @param maxsize - the most items it holds: an integer >= 0 (0: a channel, see above), or absent, null or
   * Infinity for no limit. Not a number: TypeError; negative or fractional: RangeError.
   */
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

  /**
   * How many green threads wait in `put` for room or a getter (eventlet's `putting()`). A putter whose item a
   * getter was handed but has not claimed yet (it claims when it next runs) is not counted.
   */
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
   * Changes maxsize (null or Infinity: unbounded; checked as in the constructor). Growing it lets blocked putters
   * in, in order; shrinking it keeps the items already in the queue.
   */
  resize(size: number | null): void {
    this.#maxsize = checkMaxsize(size, 'resize');
    this.#admitPutters();
  }

  /**
   * Puts `item` in the queue. With room: straight to the first waiting getter if there is one, else into the
   * queue, and returns. Without room (always at maxsize 0): hands it to the first waiting getter and returns
   * once that getter has taken it; with no getter waiting, waits in line (FIFO with other putters) for a getter
   * or for room, or with `{ block: false }` throws {@link Full} at once. When `timeout` passes first, throws
   * {@link Full} and the item is not in the queue.
   *
   * Switch point: when the queue is full (also with `{ block: false }` when a getter waits: until it has run).
   */
  put(item: T, options?: QueueWaitOptions): void {
    const { block, timeout } = readBlocking(options, 'block', 'Queue.put');
    this.#store.check(item);
    if (this.#place(item)) return;
    if (getCurrent().isMain) {
      // The main stack cannot wait for a getter to run: a waiting getter gets the item outright.
      if (this.#handOver(item, null)) {
        this.itemAccepted();
        return;
      }
      if (!block) throw this.#fullError();
    }
    const waiter = new PutWaiter(requireGreen('Queue.put() on a full queue'), item, block);
    if (!this.#handOver(item, waiter)) {
      if (!block) throw this.#fullError();
      this.#putters.push(waiter);
    }
    if (this.#awaitDelivery(waiter, timeout)) return;
    if (!block) {
      throw new Full('Queue.put: the getter handed the item was killed before taking it, and no other getter waits');
    }
    // As Python's queue re-checks after its wait: room that came by the time the timed-out putter runs is used.
    if (this.#place(item)) return;
    const why = this.#maxsize === 0 ? 'no getter took the item' : 'the queue stayed full';
    throw new Full(`Queue.put timed out after ${timeout} s: ${why}`);
  }

  /**
   * `put(item, { block: false })`: puts the item if it can go somewhere now (room, or a waiting getter), else
   * throws {@link Full}.
   */
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
    const passOn = () => this.#giveBack(waiter);
    if (awaitGrant(this.#getters, waiter, 'Queue.get', timeout, passOn)) return this.#claim(waiter);
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

  // Places an item if the queue has room: to the first waiting getter, else into the store. While getters wait
  // the store is empty, so handing over first keeps the order.
  #place(item: T): boolean {
    if (this.#store.size >= this.#maxsize) return false;
    if (!this.#handOver(item, null)) this.#store.add(item);
    this.itemAccepted();
    return true;
  }

  // Hands an item to the first waiting getter: the queue's item (`from` null), or the item of a putter that waits
  // until the getter claims it. False if no getter waits. Counting the item is the caller's business.
  #handOver(item: T, from: PutWaiter<T> | null): boolean {
    const getter = grantFirst(this.#getters);
    if (getter === undefined) return false;
    getter.item = item;
    getter.from = from;
    if (from !== null) from.holder = getter;
    return true;
  }

  // A getter that was handed an item has run and takes it: a putter waiting for that learns its item is
  // delivered, and the item enters the queue's count now (it did not when handed over: it could have come back).
  #claim(getter: GetWaiter<T>): T {
    const from = getter.from;
    if (from !== null) {
      getter.from = null;
      from.holder = null;
      from.granted = true;
      wake(from.greenlet);
      this.itemAccepted();
    }
    return getter.item as T;
  }

  // Waits until the putter's item is delivered (taken by a getter, or let into the queue): true. False when it
  // comes back instead: the timeout passed with the putter in line, or (for a non-blocking put, or after the
  // timeout) the getter holding it was killed before claiming it. A timeout that passes while a getter holds the
  // item does not end the wait: that getter claims the item when it runs, or gives it back. (The getter was woken
  // before the putter's timer can fire, so while the hub resumes green threads in the order they were woken it
  // has claimed the item by then; the second wait is for a hub that does not.)
  #awaitDelivery(waiter: PutWaiter<T>, timeout: number | null): boolean {
    const returned = () => waiter.wakeOnReturn && waiter.holder === null;
    try {
      if (parkUntil('Queue.put', Deadline.after(timeout), () => waiter.granted || returned())) return waiter.granted;
      if (waiter.holder === null) return false;
      waiter.wakeOnReturn = true;
      parkUntil('Queue.put', null, () => waiter.granted || returned());
      return waiter.granted;
    } finally {
      this.#putters.remove(waiter);
      // Killed while a getter holds the item (rare: that getter was woken first, so it normally claims the item
      // before the kill reaches this putter): the item stays with the getter, now the queue's, as an item that a
      // killed putter got into the queue stays there.
      const getter = waiter.holder;
      if (getter !== null) {
        waiter.holder = null;
        getter.from = null;
        this.itemAccepted();
      }
    }
  }

  #fullError(): Full {
    const size = this.#maxsize === 0 ? 'maxsize 0: an item only goes to a waiting getter' : `maxsize ${this.#maxsize}`;
    return new Full(`Queue.put: the queue is full (${size})`);
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

  // An item handed to a getter that was killed before it could return it: to the next getter; else back to the
  // putter still waiting with it (first in line again, or woken to fail if it no longer waits in line); else back
  // at the head of the queue (even if that puts the queue one over maxsize for a while: it was in it first).
  #giveBack(getter: GetWaiter<T>): void {
    const item = getter.item as T;
    const from = getter.from;
    getter.item = undefined;
    getter.from = null;
    if (this.#handOver(item, from)) return;
    if (from === null) {
      this.#store.restore(item);
      return;
    }
    from.holder = null;
    if (from.block) this.#putters.unshift(from);
    if (from.wakeOnReturn) wake(from.greenlet);
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
