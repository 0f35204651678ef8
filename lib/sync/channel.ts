/**
 * Channel: a zero-size rendezvous between green threads (gevent's `Channel`, eventlet's old `coros.Channel`).
 *
 * A send completes only when a receiver has really taken the value. A sender that finds a receiver waiting hands
 * it the value and stays parked until that receiver runs and claims it; if the receiver is killed first, the
 * value moves on to the next receiver (or the sender waits again, first in line), and if the sender gives up
 * first (timeout, kill), the receiver finds the offer withdrawn and goes on waiting. So `send` returns exactly
 * when the value was received, and throws exactly when it was not (short of a kill that lands in the sender
 * after the receiver took the value, which no protocol can report).
 */
import { Greenlet } from '../runtime/greenlet';
import { requireGreen, wake } from '../runtime/hub';
import { checkTimeout } from '../runtime/seconds';
import { Empty, Full } from './errors';
import { Deadline, GrantWaiter, WaiterList, grantFirst, parkUntil } from './waiters';

// A sender's value; `granted` means a receiver has taken it.
class Offer<T> extends GrantWaiter {
  // The sender gave up while a receiver was on its way to claim the value.
  withdrawn = false;

  constructor(
    greenlet: Greenlet,
    readonly value: T,
  ) {
    super(greenlet);
  }
}

// A receiver; `granted` means it was handed `offer`, which it still has to claim when it runs.
class Receiver<T> extends GrantWaiter {
  offer: Offer<T> | null = null;
}

/**
 * A rendezvous point with no buffer: {@link Channel.send} blocks until a receiver takes the value,
 * {@link Channel.receive} until a sender gives one. Senders and receivers are served in FIFO order.
 *
 * A timeout that passes first makes `send` throw {@link Full} and `receive` throw {@link Empty} (as gevent's
 * Channel). `receive` when a sender waits does not block and works on the main stack; `send` always waits for
 * its receiver to run, so it needs a green thread.
 *
 * @typeParam T - the type of the values.
 */
export class Channel<T = unknown> {
  readonly #senders = new WaiterList<Offer<T>>();
  readonly #receivers = new WaiterList<Receiver<T>>();

  /** Senders waiting minus receivers waiting: positive when values wait, negative when receivers do. */
  get balance(): number {
    return this.#senders.size - this.#receivers.size;
  }

  /**
   * Gives `value` to a receiver: returns once a receiver has taken it. When `timeout` (seconds) passes first,
   * throws {@link Full} and no receiver got the value.
   *
   * Switch point: always. On the main stack it throws a HubBlockingError.
   */
  send(value: T, timeout?: number | null): void {
    checkTimeout(timeout, 'Channel.send');
    const offer = new Offer(requireGreen('Channel.send()'), value);
    this.#place(offer, false);
    let received = false;
    try {
      received = parkUntil('Channel.send', Deadline.after(timeout), () => offer.granted);
    } finally {
      if (!received) this.#withdraw(offer);
    }
    if (!received) throw new Full(`Channel.send timed out after ${timeout} s: no receiver took the value`);
  }

  /**
   * Takes a value from a sender, waiting for one if none waits. When `timeout` (seconds) passes first, throws
   * {@link Empty}.
   *
   * Switch point: when no sender waits.
   */
  receive(timeout?: number | null): T {
    checkTimeout(timeout, 'Channel.receive');
    const waiting = grantFirst(this.#senders);
    if (waiting !== undefined) return waiting.value;
    const receiver = new Receiver<T>(requireGreen('Channel.receive() with no sender waiting'));
    const deadline = Deadline.after(timeout);
    this.#receivers.push(receiver);
    try {
      for (;;) {
        if (!parkUntil('Channel.receive', deadline, () => receiver.granted)) {
          // A sender that came after the hub saw the deadline (and found this receiver leaving) still counts.
          const late = grantFirst(this.#senders);
          if (late !== undefined) return late.value;
          throw new Empty(`Channel.receive timed out after ${timeout} s: no sender came`);
        }
        const offer = receiver.offer!;
        receiver.offer = null;
        receiver.granted = false;
        if (!offer.withdrawn) {
          offer.granted = true;
          wake(offer.greenlet);
          return offer.value;
        }
        // The sender gave up before this receiver ran (not possible while the hub resumes green threads in the
        // order they were woken, but not ruled out by its contract): take another waiting sender, or wait
        // again, first in line.
        const next = grantFirst(this.#senders);
        if (next !== undefined) return next.value;
        this.#receivers.unshift(receiver);
      }
    } finally {
      this.#receivers.remove(receiver);
      // Killed while holding an unclaimed value (a Timeout cannot fire then: the receiver is already woken):
      // the value goes on to the next receiver, or back to the head of the senders' line.
      const offer = receiver.offer;
      receiver.offer = null;
      if (offer !== null && !offer.withdrawn) this.#place(offer, true);
    }
  }

  // Hands the offer to the first receiver that can still take it, else queues it with the waiting senders
  // (`first`: at the head, for an offer that already was first in line).
  #place(offer: Offer<T>, first: boolean): void {
    const receiver = grantFirst(this.#receivers);
    if (receiver !== undefined) {
      receiver.offer = offer;
    } else if (first) {
      this.#senders.unshift(offer);
    } else {
      this.#senders.push(offer);
    }
  }

  #withdraw(offer: Offer<T>): void {
    if (offer.granted) return;
    this.#senders.remove(offer);
    offer.withdrawn = true;
  }
}
