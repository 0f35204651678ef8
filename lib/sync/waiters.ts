/**
 * How the primitives in lib/sync wait: FIFO lists of parked green threads, and the one loop that parks until a
 * waiter's condition holds or its deadline passes.
 *
 * Every primitive keeps its state (items, permits, outcomes) in waiter records, never in values passed through
 * `wake()`: a woken green thread reads its own record. That keeps the two races of lib/runtime/hub.ts easy to
 * handle. A waiter that timed out or was killed but has not run yet is still parked in name only: `wake()`
 * refuses it, so {@link grantFirst} skips it and gives the grant to the next one. A waiter that was granted and
 * is then killed before it runs sees the grant in its record on the way out and passes it on.
 *
 * @internal
 */
import { Greenlet } from '../runtime/greenlet';
import { TIMED_OUT, park, wake } from '../runtime/hub';

/** A green thread waiting in a {@link WaiterList}. Subclasses add what is handed over to it. */
export class Waiter {
  /** @internal The list links; a waiter is in at most one list at a time. */
  prev: Waiter | null = null;
  /** @internal */
  next: Waiter | null = null;
  /** @internal */
  list: WaiterList<Waiter> | null = null;

  constructor(readonly greenlet: Greenlet) {}
}

/** A waiter that is handed a grant (a permit, an item, a notification): `granted` tells it so. */
export class GrantWaiter extends Waiter {
  granted = false;
}

/**
 * A FIFO of waiters with removal from anywhere in O(1): a waiter that leaves early (timeout, kill) takes itself
 * out in a `finally`, wherever it stands.
 */
export class WaiterList<W extends Waiter> {
  #head: W | null = null;
  #tail: W | null = null;
  #size = 0;

  /** How many waiters are in the list. */
  get size(): number {
    return this.#size;
  }

  /** Adds a waiter at the end of the line. */
  push(w: W): void {
    this.#checkFree(w);
    w.list = this as WaiterList<Waiter>;
    w.prev = this.#tail;
    if (this.#tail === null) this.#head = w;
    else this.#tail.next = w;
    this.#tail = w;
    this.#size++;
  }

  /** Adds a waiter at the head of the line (one that was first already and has to wait again). */
  unshift(w: W): void {
    this.#checkFree(w);
    w.list = this as WaiterList<Waiter>;
    w.next = this.#head;
    if (this.#head === null) this.#tail = w;
    else this.#head.prev = w;
    this.#head = w;
    this.#size++;
  }

  /** Takes the first waiter out of the list. */
  shift(): W | undefined {
    const w = this.#head;
    if (w === null) return undefined;
    this.remove(w);
    return w;
  }

  /** Takes `w` out of the list; false if it is not in this list. */
  remove(w: W): boolean {
    if (w.list !== (this as WaiterList<Waiter>)) return false;
    if (w.prev === null) this.#head = w.next as W | null;
    else w.prev.next = w.next;
    if (w.next === null) this.#tail = w.prev as W | null;
    else w.next.prev = w.prev;
    w.prev = w.next = null;
    w.list = null;
    this.#size--;
    return true;
  }

  #checkFree(w: W): void {
    // cannot happen: every primitive queues a waiter once per wait; a plain Error marks a bug in lib/sync.
    if (w.list !== null) throw new Error('verdant: a waiter was queued twice (a bug in lib/sync)');
  }
}

/**
 * Hands a grant to the first waiter of `list` that is still parked, and takes it out of the list. Waiters that
 * are already leaving (their timeout passed, they were killed, an alarm fired) are dropped on the way: they
 * take nothing, and clean up after themselves. Returns the granted waiter, or undefined if there was none.
 */
export function grantFirst<W extends GrantWaiter>(list: WaiterList<W>): W | undefined {
  for (let w = list.shift(); w !== undefined; w = list.shift()) {
    if (wake(w.greenlet)) {
      w.granted = true;
      return w;
    }
  }
  return undefined;
}

/** Wakes every waiter of `list` and empties it, after `mark` has recorded on each why it was woken. */
export function wakeAll<W extends Waiter>(list: WaiterList<W>, mark: (w: W) => void): void {
  for (let w = list.shift(); w !== undefined; w = list.shift()) {
    mark(w);
    wake(w.greenlet);
  }
}

/** A point in time a wait must end by (monotonic clock). */
export class Deadline {
  readonly #at: number;

  private constructor(at: number) {
    this.#at = at;
  }

  /** The deadline `timeout` seconds from now; null for no limit (timeout null or undefined). */
  static after(timeout: number | null | undefined): Deadline | null {
    return timeout === null || timeout === undefined ? null : new Deadline(performance.now() + timeout * 1000);
  }

  /** Seconds left, 0 once passed. */
  remaining(): number {
    return Math.max(0, (this.#at - performance.now()) / 1000);
  }
}

/**
 * Parks the current green thread (as `reason`, for dumps) until `done()` holds — true — or `deadline` passes
 * first — false. `done` is checked before the first park and after every wake, so a grant that arrives in the
 * same hub turn as the timeout still counts. Exceptions raised into the wait (kill, Timeout) propagate.
 *
 * Switch point: unless `done()` already holds.
 */
export function parkUntil(reason: string, deadline: Deadline | null, done: () => boolean): boolean {
  while (!done()) {
    if (deadline === null) {
      park(reason);
      continue;
    }
    // With no time left this still parks once (park(0) is a yield), so that what is ready now can hand the
    // waiter something, as eventlet's Timeout(0) does.
    const result = park(reason, deadline.remaining());
    if (done()) return true;
    if (result === TIMED_OUT || deadline.remaining() === 0) return false;
  }
  return true;
}

/**
 * Waits until `waiter`, already queued in `list`, is granted: true, or false if the timeout passes first. The
 * waiter leaves `list` however the wait ends. If an exception ends it after the grant was handed over (a kill
 * racing the hand-off), `passOn()` gives the grant to someone else, so nothing is lost and nobody stays blocked.
 *
 * Switch point: always (unless already granted).
 */
export function awaitGrant<W extends GrantWaiter>(
  list: WaiterList<W>,
  waiter: W,
  reason: string,
  timeout: number | null | undefined,
  passOn: () => void,
): boolean {
  let finished = false;
  try {
    const granted = parkUntil(reason, Deadline.after(timeout), () => waiter.granted);
    finished = true;
    return granted;
  } finally {
    list.remove(waiter);
    if (!finished && waiter.granted) passOn();
  }
}
