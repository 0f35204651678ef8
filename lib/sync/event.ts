/**
 * Event: a one-shot outcome (a value or an exception) that any number of green threads wait for, as eventlet's
 * `eventlet.event.Event`.
 */
import { requireGreen } from '../runtime/hub';
import { checkTimeout } from '../runtime/seconds';
import { EventAlreadySentError, EventNotSentError } from './errors';
import { Deadline, Waiter, WaiterList, parkUntil, wakeAll } from './waiters';

type Outcome<T> = { failed: false; value: T } | { failed: true; error: unknown };

class EventWaiter<T> extends Waiter {
  // Set by send: the waiter returns this outcome even if the event is reset before it runs.
  outcome: Outcome<T> | null = null;
}

/**
 * An outcome that green threads can wait for: `send(value)` (or `sendException(error)`) once, and every
 * waiter, present and future, gets it; `reset()` makes the event fresh again.
 *
 * ```ts
 * const done = new Event<number>();
 * spawn(() => done.send(compute()));
 * const result = done.wait();        // blocks this green thread until the send
 * ```
 *
 * `send`, `ready`, `poll` and a `wait` on a sent event never block and work on the main stack too.
 *
 * @typeParam T - the type of the value sent.
 */
export class Event<T = unknown> {
  #outcome: Outcome<T> | null = null;
  readonly #waiters = new WaiterList<EventWaiter<T>>();

  /**
   * Sets the outcome to `value` and wakes every waiter (they resume at the hub's next dispatch; the caller does
   * not block). Throws {@link EventAlreadySentError} if the event was sent and not reset since.
   */
  send(...args: undefined extends T ? [value?: T] : [value: T]): void {
    this.#settle({ failed: false, value: args[0] as T });
  }

  /**
   * Like {@link Event.send}, but the outcome is an exception: `wait` and `poll` throw `error` in every waiter.
   */
  sendException(error: unknown): void {
    this.#settle({ failed: true, error });
  }

  /**
   * Returns the value sent, or throws the exception sent, blocking until the event is sent if it is not yet.
   * With `timeout` (seconds), returns undefined when it passes first (eventlet returns None), so a `T` that
   * can be undefined cannot tell a timeout from a value: check {@link Event.ready} then.
   *
   * Switch point: when the event is not sent yet. On the main stack that throws a HubBlockingError.
   */
  wait(): T;
  wait(timeout: number | null | undefined): T | undefined;
  wait(timeout?: number | null): T | undefined {
    checkTimeout(timeout, 'Event.wait');
    if (this.#outcome !== null) return unwrap(this.#outcome);
    const waiter = new EventWaiter<T>(requireGreen('Event.wait()'));
    this.#waiters.push(waiter);
    try {
      if (!parkUntil('Event.wait', Deadline.after(timeout), () => waiter.outcome !== null)) return undefined;
    } finally {
      this.#waiters.remove(waiter);
    }
    return unwrap(waiter.outcome!);
  }

  /** True once the event was sent (with a value or an exception), until `reset()`. */
  ready(): boolean {
    return this.#outcome !== null;
  }

  /** True if the event was sent with a value (not an exception). */
  hasResult(): boolean {
    return this.#outcome !== null && !this.#outcome.failed;
  }

  /** True if the event was sent with an exception. */
  hasException(): boolean {
    return this.#outcome !== null && this.#outcome.failed;
  }

  /**
   * Never blocks: the value if the event was sent (throws the exception if one was sent), otherwise `notReady`
   * (default undefined).
   */
  poll(): T | undefined;
  poll<D>(notReady: D): T | D;
  poll<D>(notReady?: D): T | D | undefined {
    return this.#outcome === null ? notReady : unwrap(this.#outcome);
  }

  /**
   * Makes a sent event fresh again, so it can be sent anew; waiters already woken by the send still get its
   * outcome. Throws {@link EventNotSentError} on an event that is not sent (as eventlet's assertion).
   */
  reset(): void {
    if (this.#outcome === null) throw new EventNotSentError();
    this.#outcome = null;
  }

  #settle(outcome: Outcome<T>): void {
    if (this.#outcome !== null) throw new EventAlreadySentError();
    this.#outcome = outcome;
    wakeAll(this.#waiters, (w) => (w.outcome = outcome));
  }
}

function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.failed) throw outcome.error;
  return outcome.value;
}
