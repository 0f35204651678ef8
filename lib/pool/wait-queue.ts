/**
 * The waiter list every blocking operation of lib/pool keeps: the rules of lib/runtime/hub.ts in one place.
 *
 * A green thread parks at the back of the queue until a condition of the queue's owner holds, and leaves the
 * queue however its wait ends (a result, a kill, a Timeout). The owner wakes the first `n` waiters when the
 * condition may have changed for them; a woken waiter checks its condition again and parks again if it does not
 * hold, so a wake is a hint, never a hand-over of ownership.
 *
 * @internal
 */
import { Greenlet } from '../runtime/greenlet';
import { park, wake } from '../runtime/hub';

export class WaitQueue {
  readonly #parked: Greenlet[] = [];
  readonly #reason: string;
  readonly #ref: boolean;

  /**
   * @param reason - what the waiters wait on, for dumps and the stuck-at-exit report (`'GreenPool.spawn'`).
   * @param ref - false: these waits alone do not keep the process alive.
   */
  constructor(reason: string, ref = true) {
    this.#reason = reason;
    this.#ref = ref;
  }

  /** How many green threads wait in the queue. */
  get length(): number {
    return this.#parked.length;
  }

  /** The place of `g` in the queue (0: first), or -1 if it does not wait here. */
  indexOf(g: Greenlet): number {
    return this.#parked.indexOf(g);
  }

  /**
   * Parks `self`, the current green thread, at the back of the queue until `ready()` holds; `ready` is checked
   * first and again after every wake. Throws what ends the wait early (a kill, a Timeout); `self` has left the
   * queue either way. A caller whose waiters compete for something scarce must then wake whoever the thrown-out
   * waiter may have held it up for.
   *
   * Switch point: when `ready()` does not hold at once.
   */
  waitUntil(self: Greenlet, ready: () => boolean): void {
    this.#parked.push(self);
    try {
      while (!ready()) park(this.#reason, null, this.#ref);
    } finally {
      this.#parked.splice(this.#parked.indexOf(self), 1);
    }
  }

  /**
   * Wakes the first `count` waiters (all by default), in queue order. Waking a waiter that is already woken does
   * nothing.
   */
  wake(count = this.#parked.length): void {
    const n = Math.min(count, this.#parked.length);
    for (let i = 0; i < n; i++) wake(this.#parked[i]);
  }
}
