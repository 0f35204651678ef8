/**
 * Locks: Lock (eventlet's `eventlet.lock.Lock`, a Semaphore(1)) and RLock (re-entrant, as gevent's RLock).
 */
import { Greenlet, getCurrent } from '../runtime/greenlet';
import { describeGreenlet } from '../runtime/hub';
import { NotOwnerError, OverReleaseError } from './errors';
import { runHolding } from './holding';
import { readBlocking } from './options';
import { Permits } from './permits';
import { AcquireOptions, Semaphore } from './semaphore';

/**
 * A mutual-exclusion lock: a {@link Semaphore} of one permit whose `release` of an unlocked lock throws
 * {@link OverReleaseError} (eventlet's Lock). As in eventlet (and Python's threading.Lock), any green thread may
 * release it, not only the one that acquired it; {@link Lock.ownedByCurrent} tells whether the current green
 * thread acquired it.
 */
export class Lock extends Semaphore {
  #holder: Greenlet | null = null;

  constructor() {
    super(1);
  }

  /**
   * Takes the lock, waiting while another holds it (FIFO). Returns true once it has it; false if `blocking` is
   * false and the lock is held, or if `timeout` (seconds) passes first. Not re-entrant: a green thread that
   * acquires a lock it holds waits for itself (use {@link RLock} for that).
   *
   * Switch point: when it has to wait.
   */
  override acquire(options?: AcquireOptions): boolean {
    if (!super.acquire(options)) return false;
    this.#holder = getCurrent();
    return true;
  }

  /**
   * Unlocks it (never blocks), handing it to the first waiter if any. Throws {@link OverReleaseError} if it is
   * not held, which includes a lock just released to a waiter that has not resumed yet (a double release).
   */
  override release(): void {
    if (this.#holder === null) throw new OverReleaseError('Lock.release(): the lock is not locked');
    this.#holder = null;
    super.release(1);
  }

  /** True if the current green thread (or the main stack) acquired the lock and has not released it. */
  ownedByCurrent(): boolean {
    return this.#holder !== null && this.#holder === getCurrent();
  }
}

/**
 * A re-entrant lock: the green thread that holds it may acquire it again, and must release it as many times;
 * the last release unlocks it. Only the owner may release: another green thread gets {@link NotOwnerError}.
 * Waiters are served in FIFO order.
 */
export class RLock {
  readonly #permits = new Permits(1);
  #owner: Greenlet | null = null;
  #depth = 0;

  /**
   * Takes the lock, or one more level of it if the current green thread already owns it (never waits then).
   * Returns true once it has it; false if `blocking` is false and another green thread owns it, or if
   * `timeout` (seconds) passes first.
   *
   * Switch point: when another green thread owns it.
   */
  acquire(options?: AcquireOptions): boolean {
    const { block, timeout } = readBlocking(options, 'blocking', 'RLock.acquire');
    const me = getCurrent();
    if (this.#owner === me) {
      this.#depth++;
      return true;
    }
    if (!this.#permits.take('RLock.acquire', block, timeout)) return false;
    this.#owner = me;
    this.#depth = 1;
    return true;
  }

  /**
   * Releases one level; the last one unlocks it for the next waiter. Throws {@link NotOwnerError} if the
   * current green thread does not own it.
   */
  release(): void {
    const me = getCurrent();
    if (this.#owner !== me) {
      const owner = this.#owner === null ? 'nobody' : describeGreenlet(this.#owner);
      throw new NotOwnerError(
        `RLock.release(): ${describeGreenlet(me)} does not own this lock (it is owned by ${owner})`,
      );
    }
    if (--this.#depth === 0) {
      this.#owner = null;
      this.#permits.give(1);
    }
  }

  /** True if the current green thread (or the main stack) owns the lock (Python's `_is_owned`). */
  ownedByCurrent(): boolean {
    return this.#owner !== null && this.#owner === getCurrent();
  }

  /** True if some green thread owns the lock (or it is being handed to the next waiter). */
  locked(): boolean {
    return this.#permits.free === 0;
  }

  /** Runs `fn` holding the lock (re-entering it if already owned); returns what `fn` returns. */
  using<R>(fn: () => R): R {
    return runHolding(this, fn, 'RLock.using');
  }
}
