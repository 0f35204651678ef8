/**
 * Condition variables, as Python's threading.Condition (what gevent and a monkey-patched eventlet use).
 */
import { requireGreen } from '../runtime/hub';
import { checkTimeout } from '../runtime/seconds';
import { NotOwnerError } from './errors';
import { runHolding } from './holding';
import { Lock, RLock } from './lock';
import { checkFunction, checkInteger } from './options';
import { AcquireOptions } from './semaphore';
import { Deadline, GrantWaiter, WaiterList, awaitGrant, grantFirst } from './waiters';

/** The locks a {@link Condition} can be built on: they know which green thread holds them. */
export type ConditionLock = Lock | RLock;

/**
 * A condition variable: green threads holding its lock `wait()` until another, holding the lock too,
 * `notify()`s them. `wait` releases the lock while waiting and takes it back before returning, so the usual
 * pattern is a loop (or {@link Condition.waitFor}):
 *
 * ```ts
 * cond.using(() => {
 *   while (!ready()) cond.wait();
 *   consume();
 * });
 * ```
 *
 * Waiters are notified in FIFO order. A notified waiter killed before it runs passes its notification on to the
 * next waiter, so a notify is not lost.
 */
export class Condition {
  readonly #lock: ConditionLock;
  readonly #waiters = new WaiterList<GrantWaiter>();

  /** @param lock - the lock it uses (default: a new {@link RLock}). */
  constructor(lock: ConditionLock = new RLock()) {
    if (!(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError('new Condition takes a Lock or an RLock (they know who holds them)');
    }
    this.#lock = lock;
  }

  /** Acquires the underlying lock: as its `acquire`. */
  acquire(options?: AcquireOptions): boolean {
    return this.#lock.acquire(options);
  }

  /** Releases the underlying lock: as its `release`. */
  release(): void {
    this.#lock.release();
  }

  /** Runs `fn` holding the underlying lock; returns what `fn` returns. */
  using<R>(fn: () => R): R {
    return runHolding(this, fn, 'Condition.using');
  }

  /**
   * Releases the lock (every level of an RLock), waits until notified or until `timeout` (seconds) passes, and
   * takes the lock back (to the same depth) before returning, however the wait ends: true if notified, false
   * on timeout. A kill or a Timeout that ends the wait raises only once the lock is held again. Throws
   * {@link NotOwnerError} if the current green thread does not hold the lock.
   *
   * Switch point: always. On the main stack it throws a HubBlockingError.
   */
  wait(timeout?: number | null): boolean {
    checkTimeout(timeout, 'Condition.wait');
    this.#checkOwner('wait');
    const waiter = new GrantWaiter(requireGreen('Condition.wait()'));
    this.#waiters.push(waiter);
    const depth = releaseFully(this.#lock);
    let notified = false;
    let failure: { error: unknown } | null = null;
    try {
      notified = awaitGrant(this.#waiters, waiter, 'Condition.wait', timeout, () => this.#notifyWaiters(1));
    } catch (error) {
      failure = { error };
    }
    const late = reacquire(this.#lock, depth);
    if (failure !== null) throw failure.error;
    if (late !== null) throw late.error;
    return notified;
  }

  /**
   * Waits until `predicate()` returns a truthy value, calling it with the lock held first and after each
   * wakeup; returns its last result (falsy if `timeout` seconds passed first). The lock must be held.
   *
   * Switch point: unless the predicate holds at once.
   */
  waitFor<R>(predicate: () => R, timeout?: number | null): R {
    checkFunction(predicate, 'Condition.waitFor');
    checkTimeout(timeout, 'Condition.waitFor');
    const deadline = Deadline.after(timeout);
    let result = predicate();
    let waited = false;
    while (!result) {
      const left = deadline === null ? null : deadline.remaining();
      // As Python's wait_for: a timeout that has run out still gets one wait (of 0 s) before giving up.
      if (left === 0 && waited) break;
      this.wait(left);
      waited = true;
      result = predicate();
    }
    return result;
  }

  /** Wakes up to `n` waiting green threads (default 1), longest waiting first. The lock must be held. */
  notify(n = 1): void {
    checkInteger(n, 0, 'Condition.notify');
    this.#checkOwner('notify');
    this.#notifyWaiters(n);
  }

  /** Wakes every waiting green thread. The lock must be held. */
  notifyAll(): void {
    this.#checkOwner('notifyAll');
    this.#notifyWaiters(this.#waiters.size);
  }

  #notifyWaiters(n: number): void {
    for (let i = 0; i < n && grantFirst(this.#waiters) !== undefined; i++);
  }

  #checkOwner(operation: string): void {
    if (!this.#lock.ownedByCurrent()) {
      throw new NotOwnerError(`Condition.${operation}() needs the condition's lock, and the caller does not hold it`);
    }
  }
}

/** Releases every level of `lock` the current green thread holds; returns how many there were. */
function releaseFully(lock: ConditionLock): number {
  let depth = 0;
  while (lock.ownedByCurrent()) {
    lock.release();
    depth++;
  }
  return depth;
}

/**
 * Takes `lock` back to `depth` levels, waiting as long as it takes: an exception raised into the wait (a kill,
 * a Timeout) does not stop it, since the caller's code expects to hold the lock; the first such exception is
 * returned, for the caller to raise once the lock is held.
 */
function reacquire(lock: ConditionLock, depth: number): { error: unknown } | null {
  let interrupted: { error: unknown } | null = null;
  for (;;) {
    try {
      lock.acquire();
      break;
    } catch (error) {
      interrupted ??= { error };
    }
  }
  // Further levels of an RLock its owner takes at once.
  for (let level = 1; level < depth; level++) lock.acquire();
  return interrupted;
}
