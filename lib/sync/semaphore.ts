/**
 * Semaphores, as eventlet's `eventlet.semaphore`: Semaphore, BoundedSemaphore and CappedSemaphore.
 *
 * Waiters are served in FIFO order: a release hands its permit straight to the first waiter, so a green thread
 * that arrives later cannot take it first, and a waiter killed right after it was handed a permit passes it on.
 */
import { requireGreen } from '../runtime/hub';
import { OverReleaseError } from './errors';
import { runHolding } from './holding';
import { checkInteger, readBlocking } from './options';
import { Permits } from './permits';
import { GrantWaiter, WaiterList, awaitGrant, grantFirst } from './waiters';

/** Options of `acquire` (and of `CappedSemaphore.release`). */
export interface AcquireOptions {
  /** false: do not wait; return false at once if it would have to. Default true. */
  blocking?: boolean;
  /** Seconds to wait at most (absent or null: no limit); then the call returns false. */
  timeout?: number | null;
}

// For BoundedSemaphore: the permits nobody holds, including those on their way to a waiter.
let unheldPermits: (sem: Semaphore) => number;

/**
 * A counter of permits (eventlet's `Semaphore`): `acquire` takes one, waiting while there is none; `release`
 * gives permits back. It does not track who acquired: any green thread (or the main stack) may release.
 *
 * `release`, and an `acquire` that can take a permit at once, work on the main stack; an `acquire` that would
 * wait throws a HubBlockingError there.
 */
export class Semaphore {
  readonly #permits: Permits;
  // The park reason and call names: 'Semaphore.acquire', 'Lock.acquire', ...
  readonly #acquireName: string;
  readonly #releaseName: string;

  /**
   * @param value - the permits available at first, an integer >= 0 (default 1). Not a number: TypeError (as
   * eventlet's `Semaphore('foo')`); a negative or fractional number: RangeError.
   */
  constructor(value = 1) {
    checkInteger(value, 0, `new ${new.target.name}`);
    this.#permits = new Permits(value);
    this.#acquireName = `${new.target.name}.acquire`;
    this.#releaseName = `${new.target.name}.release`;
  }

  /**
   * Permits free now. A permit released while green threads wait goes straight to the first of them, so it
   * is not counted here even before that green thread resumes.
   */
  get counter(): number {
    return this.#permits.free;
  }

  /**
   * Permits available minus green threads waiting for one: positive when permits are free, negative when
   * green threads wait, 0 when neither.
   */
  get balance(): number {
    return this.#permits.free - this.#permits.waiting;
  }

  /** True if an `acquire` would have to wait (no permit is free). */
  locked(): boolean {
    return this.#permits.free <= 0;
  }

  /** Whether a `release` would block: never for this class (see {@link CappedSemaphore}); eventlet's API. */
  bounded(): boolean {
    return false;
  }

  /**
   * Takes a permit, waiting for one if none is free (behind the green threads already waiting). Returns true
   * once it has it; false if `blocking` is false and none is free, or if `timeout` (seconds) passes first.
   *
   * Switch point: when it has to wait.
   */
  acquire(options?: AcquireOptions): boolean {
    const { block, timeout } = readBlocking(options, 'blocking', this.#acquireName);
    return this.#permits.take(this.#acquireName, block, timeout);
  }

  /** Gives back `count` permits (default 1), to the waiting green threads first. Never blocks. */
  release(count = 1): void {
    checkInteger(count, 1, this.#releaseName);
    this.#permits.give(count);
  }

  /** Runs `fn` holding a permit: acquires (blocking), calls `fn`, releases however it ends; returns its result. */
  using<R>(fn: () => R): R {
    return runHolding(this, fn, `${this.constructor.name}.using`);
  }

  static {
    unheldPermits = (sem) => sem.#permits.unheld;
  }
}


/**
 * A {@link Semaphore} that may not be released above its initial value (eventlet's `BoundedSemaphore`): such a
 * release throws {@link OverReleaseError}, which catches releases without a matching acquire.
 */
export class BoundedSemaphore extends Semaphore {
  readonly #initial: number;

  /**
   * @param value - the permits available at first and the most it may ever hold (default 1); checked as for
   * {@link Semaphore}.
   */
  constructor(value = 1) {
    super(value);
    this.#initial = value;
  }

  /**
   * Gives back `count` permits (default 1). Throws {@link OverReleaseError}, releasing nothing, if that would
   * raise the counter above the initial value.
   */
  override release(count = 1): void {
    checkInteger(count, 1, 'BoundedSemaphore.release');
    // A permit already released to a waiter that has not resumed yet counts as released (as in eventlet,
    // where it stays in the counter until the waiter takes it).
    const unheld = unheldPermits(this);
    if (unheld + count > this.#initial) {
      throw new OverReleaseError(
        `BoundedSemaphore released too many times: releasing ${count} would make ${unheld + count} permits ` +
          `available, above its initial value ${this.#initial}`,
      );
    }
    super.release(count);
  }
}

/**
 * A semaphore bounded by blocking (eventlet's `CappedSemaphore`): `acquire` waits while the counter is 0, and
 * `release` waits while it is at `limit`, until an `acquire` makes room. A release that finds an acquire
 * waiting hands its unit straight over (and the other way round), so even with limit 0 an acquire and a release
 * meet. Unlike {@link BoundedSemaphore}, an extra release waits instead of throwing.
 *
 * Non-blocking calls (and calls that can proceed at once) work on the main stack.
 */
export class CappedSemaphore {
  #counter: number;
  readonly #limit: number;
  readonly #acquirers = new WaiterList<GrantWaiter>();
  readonly #releasers = new WaiterList<GrantWaiter>();

  /**
   * @param count - the units available at first, an integer >= 0.
   * @param limit - the most units it holds, an integer >= count.
   *
   * Either one not a number: TypeError; out of range (negative, fractional, Infinity, limit below count):
   * RangeError.
   */
  constructor(count: number, limit: number) {
    checkInteger(count, 0, 'new CappedSemaphore (count)');
    checkInteger(limit, count, 'new CappedSemaphore (limit, at least count)');
    this.#counter = count;
    this.#limit = limit;
  }

  /** Units available now (between 0 and `limit`). */
  get counter(): number {
    return this.#counter;
  }

  /** The most units it holds. */
  get limit(): number {
    return this.#limit;
  }

  /**
   * eventlet's `CappedSemaphore.balance`, which is built of two semaphores: the balance of the lower bound (units
   * available minus green threads waiting to acquire) minus the balance of the upper bound (room left below
   * `limit` minus green threads waiting to release). So it is `limit` when the counter is at the limit and
   * nobody waits, `-limit` when the counter is 0 and nobody waits; each waiting acquirer lowers it by one and each
   * waiting releaser raises it by one.
   */
  get balance(): number {
    const lower = this.#counter - this.#acquirers.size;
    const upper = this.#limit - this.#counter - this.#releasers.size;
    return lower - upper;
  }

  /** True if an `acquire` would have to wait. */
  locked(): boolean {
    return this.#counter <= 0 && this.#releasers.size === 0;
  }

  /** True if a `release` would have to wait. */
  bounded(): boolean {
    return this.#counter >= this.#limit && this.#acquirers.size === 0;
  }

  /**
   * Takes a unit, waiting while there is none. Returns true once it has one; false if `blocking` is false and
   * it would wait, or if `timeout` (seconds) passes first.
   *
   * Switch point: when it has to wait.
   */
  acquire(options?: AcquireOptions): boolean {
    const { block, timeout } = readBlocking(options, 'blocking', 'CappedSemaphore.acquire');
    if (this.#tryAcquire()) return true;
    if (!block) return false;
    const waiter = new GrantWaiter(requireGreen('CappedSemaphore.acquire()'));
    this.#acquirers.push(waiter);
    const passOn = () => this.#giveBack();
    // After a timeout, one last try, as Semaphore.acquire.
    return awaitGrant(this.#acquirers, waiter, 'CappedSemaphore.acquire', timeout, passOn) || this.#tryAcquire();
  }

  /**
   * Gives a unit back, waiting while the counter is at `limit` and no acquire waits. Returns true once done;
   * false if `blocking` is false and it would wait, or if `timeout` (seconds) passes first.
   *
   * Switch point: when it has to wait.
   */
  release(options?: AcquireOptions): boolean {
    const { block, timeout } = readBlocking(options, 'blocking', 'CappedSemaphore.release');
    if (this.#tryRelease()) return true;
    if (!block) return false;
    const waiter = new GrantWaiter(requireGreen('CappedSemaphore.release()'));
    this.#releasers.push(waiter);
    // Once granted, the unit is released; a kill landing right after that does not undo it.
    const passOn = () => {};
    return awaitGrant(this.#releasers, waiter, 'CappedSemaphore.release', timeout, passOn) || this.#tryRelease();
  }

  /** Runs `fn` holding a unit: acquires, calls `fn`, releases however it ends; returns its result. */
  using<R>(fn: () => R): R {
    return runHolding(this, fn, 'CappedSemaphore.using');
  }

  // Takes a unit without waiting: a waiting releaser's unit comes straight here (the counter stays as it is),
  // else one from the counter.
  #tryAcquire(): boolean {
    if (grantFirst(this.#releasers) !== undefined) return true;
    if (this.#counter <= 0) return false;
    this.#counter--;
    return true;
  }

  // Gives a unit without waiting: straight to a waiting acquirer, else to the counter if below limit.
  #tryRelease(): boolean {
    if (grantFirst(this.#acquirers) !== undefined) return true;
    if (this.#counter >= this.#limit) return false;
    this.#counter++;
    return true;
  }

  // A unit granted to an acquirer that was killed before it could use it: to the next acquirer, else back to
  // the counter (even above limit, for a moment: it was taken from the counter or from a releaser already gone).
  #giveBack(): void {
    if (grantFirst(this.#acquirers) === undefined) this.#counter++;
  }
}
