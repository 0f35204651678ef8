/**
 * Pool: reusable resources handed out to green threads, as eventlet's `eventlet.pools.Pool`.
 *
 * A pool holds at most `maxSize` items. `get` hands out a free item, creates one (in the calling green thread)
 * while fewer than `maxSize` exist, and otherwise waits until one is `put` back. Waiters are served first come,
 * first served: an item put back goes straight to the first waiter, never to a green thread that asks later.
 */
import { requireGreen } from '../runtime/hub';
import { checkPoolSize } from '../pool/size';
import { OverReleaseError } from '../sync/errors';
import { checkFunction } from '../sync/options';
import { GrantWaiter, WaiterList, awaitGrant, grantFirst } from '../sync/waiters';
import { checkTimeout } from '../runtime/seconds';
import { PoolClosedError, PoolTimeoutError } from './errors';

/** Options of {@link Pool}. */
export interface PoolOptions<T> {
  /**
   * Makes a new item; called by `get` in the green thread that needs the item, so it may block (connect, ...).
   * Instead of passing it, a subclass may override {@link Pool.create}.
   */
  create?: () => T;
  /** Items made when the pool is constructed (eventlet's `min_size`); default 0. */
  minSize?: number;
  /** The most items that may exist at once, free and checked out (eventlet's `max_size`); default 4. */
  maxSize?: number;
  /**
   * Which free item `get` hands out: false (default) the one free the longest, so items take turns
   * (round-robin); true the one put back last (a stack), so a few warm items do the work and the rest stay idle.
   */
  orderAsStack?: boolean;
  /**
   * Called when the pool drops an item for good: {@link Pool.discard}, an item put back while the pool holds
   * more than `maxSize`, {@link Pool.resize}, {@link Pool.clear}, {@link Pool.close}, and an item `validate`
   * refuses. Closes what the item holds. It should not block; an error it throws is printed, not raised.
   */
  dispose?: (item: T) => void;
  /**
   * Called before an existing item is handed out by `get`: false means the item is no longer good (a dead
   * connection). The pool then disposes of it and hands out another free item or a new one in its place.
   */
  validate?: (item: T) => boolean;
}

/** Options of {@link Pool.get}. */
export interface PoolGetOptions {
  /**
   * Seconds to wait at most for an item when none is free and the pool is at `maxSize` (absent or null: no
   * limit); then `get` throws {@link PoolTimeoutError}. Creating an item is not bounded by it.
   */
  timeout?: number | null;
}

/** What {@link Pool.statistics} reports. */
export interface PoolStatistics {
  maxSize: number;
  /** Items that exist: free, checked out, or being created. */
  size: number;
  /** Items free in the pool. */
  free: number;
  /** Items checked out (got and not yet put back or discarded). */
  inUse: number;
  /** Green threads waiting in `get`. */
  waiting: number;
  /** Items made since the pool was constructed. */
  created: number;
  /** Items the pool dropped for good (see {@link PoolOptions.dispose}). */
  disposed: number;
}

// What a waiter was handed.
const enum Grant {
  None,
  /** An item put back. */
  Item,
  /** A slot: the waiter creates an item for itself. */
  Create,
  /** The pool was closed. */
  Closed,
}

class PoolWaiter<T> extends GrantWaiter {
  kind = Grant.None;
  item: T | undefined = undefined;
}

/**
 * A pool of reusable items (connections, parsers, buffers, tokens), eventlet's `pools.Pool`.
 *
 * ```ts
 * const pool = new Pool({ create: () => connect(address), maxSize: 8 });
 * const answer = pool.item((conn) => conn.request('ping'));   // get, use, put back even on throw
 * ```
 *
 * Rules, as in eventlet:
 * - `create` runs in `get`, in the green thread that needs the item (and in the constructor for `minSize`
 *   items). A `create` that throws frees the slot it was to fill; the error propagates from `get`.
 * - A waiter is served first come, first served: `put` hands the item straight to the first waiting green thread;
 *   a slot that frees up ({@link Pool.discard}, a failed `create`, a growing {@link Pool.resize}) lets the first
 *   waiter create an item. A waiter killed (or timed out) right after it was handed something passes it on.
 * - `get` on the main stack works when it need not wait (a free item, or room to create one with a `create`
 *   that does not block); a `get` that would wait throws `HubBlockingError` there.
 *
 * The pool does not know which items it handed out: put back only what `get` returned, once. More `put`s than
 * `get`s throw `OverReleaseError`.
 *
 * @typeParam T - the items.
 */
export class Pool<T> {
  #maxSize: number;
  readonly #minSize: number;
  readonly #orderAsStack: boolean;
  readonly #createItem: (() => T) | undefined;
  readonly #disposeItem: ((item: T) => void) | undefined;
  readonly #validateItem: ((item: T) => boolean) | undefined;
  // Free items; the next to hand out is the first (round-robin) or the last (stack).
  readonly #free: T[] = [];
  readonly #waiters = new WaiterList<PoolWaiter<T>>();
  // Items that exist, free or checked out, plus slots taken for an item being created.
  #size = 0;
  #inUse = 0;
  #created = 0;
  #disposed = 0;
  #closed = false;
  // Names in errors and dumps: 'Pool.get', 'TokenPool.get', ...
  readonly #name: string;

  constructor(options: PoolOptions<T> = {}) {
    this.#name = new.target.name;
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`new ${this.#name} takes an options object, not ${String(options)}`);
    }
    const { create, minSize = 0, maxSize = 4, orderAsStack = false, dispose, validate } = options;
    checkPoolSize(minSize, `${this.#name} minSize`);
    checkPoolSize(maxSize, `${this.#name} maxSize`);
    if (minSize > maxSize) {
      throw new RangeError(`${this.#name}: minSize (${minSize}) is larger than maxSize (${maxSize})`);
    }
    for (const [what, fn] of [['create', create], ['dispose', dispose], ['validate', validate]] as const) {
      if (fn !== undefined) checkFunction(fn, `${this.#name} ${what}`);
    }
    this.#minSize = minSize;
    this.#maxSize = maxSize;
    this.#orderAsStack = orderAsStack === true;
    this.#createItem = create;
    this.#disposeItem = dispose;
    this.#validateItem = validate;
    // As in eventlet, minSize items are made now. (A subclass's own fields are not set yet while this runs.)
    for (let i = 0; i < minSize; i++) {
      this.#size++;
      let item: T;
      try {
        item = this.create();
      } catch (error) {
        // The items made so far are not leaked: the pool that was to hold them is never returned.
        this.#size--;
        this.clear();
        throw error;
      }
      this.#created++;
      this.#free.push(item);
    }
  }

  /**
   * Makes a new item: calls the `create` option. A subclass may override this instead of passing `create`
   * (eventlet's way). Called by `get` in the green thread that needs the item: it may block.
   */
  create(): T {
    if (this.#createItem === undefined) {
      throw new TypeError(`${this.#name} cannot make items: pass { create } or override create() in a subclass`);
    }
    return this.#createItem();
  }

  /** The most items that may exist at once. */
  get maxSize(): number {
    return this.#maxSize;
  }

  /** How many items the pool made when it was constructed. */
  get minSize(): number {
    return this.#minSize;
  }

  /** True once {@link Pool.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * How many `get` calls would succeed without waiting: free items plus the items the pool may still create
   * (eventlet's `free()`); 0 while a shrunk pool still has more items out than its new `maxSize`.
   */
  free(): number {
    return Math.max(0, this.#free.length + this.#maxSize - this.#size);
  }

  /** How many green threads wait in `get`. */
  waiting(): number {
    return this.#waiters.size;
  }

  /** Counters: see {@link PoolStatistics}. */
  statistics(): PoolStatistics {
    return {
      maxSize: this.#maxSize,
      size: this.#size,
      free: this.#free.length,
      inUse: this.#inUse,
      waiting: this.#waiters.size,
      created: this.#created,
      disposed: this.#disposed,
    };
  }

  /**
   * Returns an item: a free one if there is one; else a new one, made by `create` in this green thread, while
   * the pool has fewer than `maxSize`; else waits, behind the green threads already waiting, until one is put back
   * (or a slot frees up, and then makes one). Throws {@link PoolTimeoutError} when `timeout` passes first,
   * {@link PoolClosedError} if the pool is or gets closed, and what `create` throws.
   *
   * Switch point: when it has to wait, and when `create` switches.
   */
  get(options?: PoolGetOptions): T {
    const what = `${this.#name}.get`;
    const timeout = readTimeout(options, what);
    if (this.#closed) throw new PoolClosedError(what);
    // Nobody waits while an item is free or the pool has room (both go to waiters first), so a newcomer that
    // finds either takes it without jumping the line.
    if (this.#waiters.size === 0) {
      if (this.#free.length > 0) return this.#handOut(this.#takeFree());
      if (this.#size < this.#maxSize) {
        this.#size++;
        return this.#createInSlot();
      }
    }
    const waiter = new PoolWaiter<T>(requireGreen(`${what}()`));
    this.#waiters.push(waiter);
    if (!awaitGrant(this.#waiters, waiter, what, timeout, () => this.#passOn(waiter))) {
      // As Semaphore does after a timeout: one last look, in case something freed up as the time ran out.
      if (this.#waiters.size === 0 && this.#free.length > 0) return this.#handOut(this.#takeFree());
      throw new PoolTimeoutError(what, timeout ?? 0);
    }
    switch (waiter.kind) {
      case Grant.Item:
        return this.#handOut(waiter.item as T);
      case Grant.Create:
        return this.#createInSlot();
      default:
        throw new PoolClosedError(what);
    }
  }

  /**
   * Gives back an item that `get` returned: to the first waiting green thread, else into the free items. An
   * item put back to a closed pool, or to one that holds more than `maxSize` items since a `resize`, is disposed
   * of. Throws `OverReleaseError` if no item is checked out.
   *
   * Switch point: never.
   */
  put(item: T): void {
    this.#checkIn('put');
    this.#accept(item);
  }

  /**
   * Gives back an item that is no good any more (a broken connection): the pool disposes of it, and its slot
   * lets the first waiting green thread (or a later `get`) create a new one. Throws `OverReleaseError` if no item
   * is checked out.
   *
   * Switch point: never.
   */
  discard(item: T): void {
    this.#checkIn('discard');
    this.#size--;
    this.#dispose(item);
    this.#settle();
  }

  /**
   * Runs `fn(item)` with an item from {@link Pool.get} (given `options`), and puts the item back however `fn`
   * ends; returns what `fn` returns.
   *
   * Switch point: as `get`, and whatever `fn` does.
   */
  item<R>(fn: (item: T) => R, options?: PoolGetOptions): R {
    checkFunction(fn, `${this.#name}.item`);
    const item = this.get(options);
    try {
      return fn(item);
    } finally {
      this.put(item);
    }
  }

  /**
   * Changes `maxSize`. Growing lets waiting green threads create items at once. Shrinking disposes of free
   * items above the new size; items checked out are left alone, and are disposed of as they are put back until
   * the pool is within its size.
   *
   * Switch point: never.
   */
  resize(maxSize: number): void {
    checkPoolSize(maxSize, `${this.#name}.resize`);
    this.#maxSize = maxSize;
    while (this.#size > this.#maxSize && this.#free.length > 0) {
      this.#size--;
      // The item put back longest ago goes first.
      this.#dispose(this.#free.shift() as T);
    }
    this.#settle();
  }

  /**
   * Disposes of the free items for which `predicate(item)` holds (all free items without one), freeing their
   * slots; returns how many. Items checked out are left alone. (eventlet's `BaseConnectionPool.clear`; lib/db
   * expires idle connections with it.)
   *
   * Switch point: never.
   */
  clear(predicate?: (item: T) => boolean): number {
    if (predicate !== undefined) checkFunction(predicate, `${this.#name}.clear`);
    const dropped: T[] = [];
    for (let i = 0; i < this.#free.length; ) {
      if (predicate === undefined || predicate(this.#free[i])) {
        dropped.push(this.#free.splice(i, 1)[0]);
      } else {
        i++;
      }
    }
    this.#size -= dropped.length;
    for (const item of dropped) this.#dispose(item);
    this.#settle();
    return dropped.length;
  }

  /**
   * Closes the pool: disposes of the free items, and makes every waiting and later `get` throw
   * {@link PoolClosedError}. Items checked out are disposed of as they are put back. Safe to call more than once.
   *
   * Switch point: never.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.clear();
    for (let w = grantFirst(this.#waiters); w !== undefined; w = grantFirst(this.#waiters)) w.kind = Grant.Closed;
  }

  #checkIn(operation: string): void {
    if (this.#inUse === 0) {
      throw new OverReleaseError(`${this.#name}.${operation}: no item is checked out (more put backs than gets)`);
    }
    this.#inUse--;
  }

  #takeFree(): T {
    return (this.#orderAsStack ? this.#free.pop() : this.#free.shift()) as T;
  }

  // An item leaves the pool: checked against `validate` first. One that fails it is disposed of, and replaced by
  // another free item or, with none left, by a new one made in its slot.
  #handOut(item: T): T {
    while (this.#validateItem !== undefined && !this.#check(item)) {
      this.#dispose(item);
      if (this.#free.length === 0) return this.#createInSlot();
      this.#size--;
      item = this.#takeFree();
    }
    this.#inUse++;
    return item;
  }

  #check(item: T): boolean {
    try {
      return this.#validateItem!(item) !== false;
    } catch (error) {
      // The item's slot goes back, so the pool does not shrink for good.
      this.#size--;
      this.#dispose(item);
      this.#settle();
      throw error;
    }
  }

  // Makes an item for a slot already counted in #size. A create that throws gives the slot back.
  #createInSlot(): T {
    let item: T;
    try {
      item = this.create();
    } catch (error) {
      this.#size--;
      this.#settle();
      throw error;
    }
    this.#created++;
    if (this.#closed) {
      this.#size--;
      this.#dispose(item);
      throw new PoolClosedError(`${this.#name}.get`);
    }
    this.#inUse++;
    return item;
  }

  // An item nobody holds any more: to the first waiter, else free, or disposed of when the pool is closed or
  // above its size.
  #accept(item: T): void {
    if (this.#closed || this.#size > this.#maxSize) {
      this.#size--;
      this.#dispose(item);
      return;
    }
    const waiter = grantFirst(this.#waiters);
    if (waiter !== undefined) {
      waiter.kind = Grant.Item;
      waiter.item = item;
      return;
    }
    this.#free.push(item);
  }

  // Free items and slots changed: hand free items, then free slots, to the waiters, in line order.
  #settle(): void {
    if (this.#closed) return;
    while (this.#free.length > 0 && this.#waiters.size > 0) {
      const waiter = grantFirst(this.#waiters);
      if (waiter === undefined) break;
      waiter.kind = Grant.Item;
      waiter.item = this.#takeFree();
    }
    while (this.#size < this.#maxSize) {
      const waiter = grantFirst(this.#waiters);
      if (waiter === undefined) break;
      waiter.kind = Grant.Create;
      this.#size++;
    }
  }

  // A waiter left (killed, Timeout) after it was handed something: pass it on.
  #passOn(waiter: PoolWaiter<T>): void {
    if (waiter.kind === Grant.Item) {
      const item = waiter.item as T;
      waiter.item = undefined;
      this.#accept(item);
    } else if (waiter.kind === Grant.Create) {
      this.#size--;
      this.#settle();
    }
  }

  #dispose(item: T): void {
    this.#disposed++;
    if (this.#disposeItem === undefined) return;
    try {
      this.#disposeItem(item);
    } catch (error) {
      console.error(`verdant: the dispose function of a ${this.#name} threw:`, error);
    }
  }
}

function readTimeout(options: unknown, what: string): number | null {
  if (options === undefined) return null;
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${what} takes an options object ({ timeout }), not ${String(options)}`);
  }
  const timeout = (options as PoolGetOptions).timeout;
  checkTimeout(timeout, what);
  return timeout ?? null;
}
