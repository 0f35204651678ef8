/**
 * A count of permits handed to waiters in FIFO order: the engine of Semaphore, BoundedSemaphore, Lock and RLock.
 *
 * A release gives each permit straight to the first waiter (it is never free for a newcomer to take first), and a
 * waiter that is killed after it was given one passes it on (lib/sync/waiters.ts).
 *
 * @internal
 */
import { requireGreen } from '../runtime/hub';
import { GrantWaiter, WaiterList, awaitGrant, grantFirst } from './waiters';

/** A count of free permits and the FIFO line of green threads waiting for one. */
export class Permits {
  #free: number;
  // Permits handed to waiters that have not resumed yet: nobody holds them so far, but nobody else can take them.
  #inFlight = 0;
  readonly #waiters = new WaiterList<GrantWaiter>();

  constructor(free: number) {
    this.#free = free;
  }

  /** Permits free now. While any is free, no green thread waits (a release hands permits to waiters first). */
  get free(): number {
    return this.#free;
  }

  /** Permits not held by anyone: free, or on their way to a waiter (what a release may not push over a bound). */
  get unheld(): number {
    return this.#free + this.#inFlight;
  }

  /** Green threads waiting for a permit. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * Takes a permit: true; false when `block` is false and none is free, or when `timeout` passes first. Waits
   * parked as `reason` ('Semaphore.acquire', ...), which also names the call in a HubBlockingError.
   *
   * Switch point: when no permit is free and `block` is true.
   */
  take(reason: string, block: boolean, timeout: number | null): boolean {
    if (this.#takeFree()) return true;
    if (!block) return false;
    const waiter = new GrantWaiter(requireGreen(`${reason}()`));
    this.#waiters.push(waiter);
    const passOn = () => {
      this.#inFlight--;
      this.give(1);
    };
    if (awaitGrant(this.#waiters, waiter, reason, timeout, passOn)) {
      this.#inFlight--;
      return true;
    }
    // As Python's Semaphore re-checks after its wait: a permit freed by the time the timed-out waiter runs
    // (released after the hub saw the deadline, with nobody else waiting) is still taken.
    return this.#takeFree();
  }

  #takeFree(): boolean {
    if (this.#free <= 0) return false;
    this.#free--;
    return true;
  }

  /** Returns `count` permits: each goes to the first waiter that can take it; the rest become free. */
  give(count: number): void {
    this.#free += count;
    while (this.#free > 0 && grantFirst(this.#waiters) !== undefined) {
      this.#free--;
      this.#inFlight++;
    }
  }
}
