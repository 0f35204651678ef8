/**
 * Where a queue keeps its items, one class per discipline: FIFO (LightQueue, Queue), LIFO (LifoQueue) and
 * lowest-first (PriorityQueue). The queue does the waiting; a store only orders items.
 *
 * @internal
 */

/** The items of a queue, in the order they are to be got. */
export interface ItemStore<T> {
  readonly size: number;
  /** Throws a TypeError if `item` cannot be stored (before any state changes). */
  check(item: T): void;
  /** Adds a new item. */
  add(item: T): void;
  /** Removes and returns the next item to get; only called when size > 0. */
  take(): T;
  /**
   * Puts back an item that was taken out before every item now in the store (it was handed to a getter that
   * was killed before it could return it), where it would be had it never left.
   */
  restore(item: T): void;
}

/** First in, first out: an array used as a deque, compacted as its head advances. */
export class FifoStore<T> implements ItemStore<T> {
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  check(): void {}

  add(item: T): void {
    this.#items.push(item);
  }

  take(): T {
    const item = this.#items[this.#head];
    this.#items[this.#head++] = undefined as T; // let the item be collected
    if (this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  restore(item: T): void {
    if (this.#head > 0) this.#items[--this.#head] = item;
    else this.#items.unshift(item);
  }
}

/** Last in, first out. */
export class LifoStore<T> implements ItemStore<T> {
  #items: T[] = [];

  get size(): number {
    return this.#items.length;
  }

  check(): void {}

  add(item: T): void {
    this.#items.push(item);
  }

  take(): T {
    return this.#items.pop()!;
  }

  restore(item: T): void {
    // Older than everything stored: it goes under them.
    this.#items.unshift(item);
  }
}

/** Orders two items: negative if `a` comes out first, positive if `b` does, 0 if either may. */
export type PriorityCompare<T> = (a: T, b: T) => number;

interface Entry<T> {
  item: T;
  // Breaks ties, so items of equal priority come out in the order they were put.
  seq: number;
}

/** Lowest first (a binary min-heap), items of equal priority in FIFO order. */
export class HeapStore<T> implements ItemStore<T> {
  readonly #heap: Array<Entry<T>> = [];
  readonly #compare: PriorityCompare<T>;
  readonly #checkItem: (item: T) => void;
  #nextSeq = 0;
  // Restored items were put before every item stored now: they get sequence numbers below all others.
  #restoredSeq = 0;

  constructor(compare: PriorityCompare<T>, checkItem: (item: T) => void) {
    this.#compare = compare;
    this.#checkItem = checkItem;
  }

  get size(): number {
    return this.#heap.length;
  }

  check(item: T): void {
    this.#checkItem(item);
  }

  add(item: T): void {
    this.#insert({ item, seq: this.#nextSeq++ });
  }

  restore(item: T): void {
    this.#insert({ item, seq: --this.#restoredSeq });
  }

  take(): T {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && this.#before(heap[right], heap[left]) ? right : left;
        if (!this.#before(heap[child], last)) break;
        heap[i] = heap[child];
        i = child;
      }
      heap[i] = last;
    }
    return top.item;
  }

  #insert(entry: Entry<T>): void {
    const heap = this.#heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#before(entry, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = entry;
  }

  #before(a: Entry<T>, b: Entry<T>): boolean {
    const order = this.#compare(a.item, b.item);
    return order < 0 || (order === 0 && a.seq < b.seq);
  }
}

type Key = number | bigint | string;

/** The priority of an item under the default order: the item itself, or the first element of an array. */
function keyOf(item: unknown): unknown {
  return Array.isArray(item) ? item[0] : item;
}

/**
 * The default PriorityQueue order: numbers and bigints by value, strings by code units, numbers before strings;
 * an array item (`[priority, value]`) is ordered by its first element only.
 */
export function defaultCompare(a: unknown, b: unknown): number {
  const ka = keyOf(a) as Key;
  const kb = keyOf(b) as Key;
  const sa = typeof ka === 'string';
  const sb = typeof kb === 'string';
  if (sa !== sb) return sa ? 1 : -1;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Throws a TypeError unless `item` has a priority the default order can compare. */
export function checkDefaultKey(item: unknown): void {
  const key = keyOf(item);
  const ok =
    (typeof key === 'number' && !Number.isNaN(key)) || typeof key === 'bigint' || typeof key === 'string';
  if (!ok) {
    const shown = typeof key === 'number' ? 'NaN' : typeof key;
    throw new TypeError(
      `PriorityQueue: ${Array.isArray(item) ? 'the first element of ' : ''}an item must be a number, bigint or ` +
        `string priority to be ordered by default, not ${shown}; pass { compare } to order other items`,
    );
  }
}
