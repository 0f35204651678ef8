/**
 * `api.callAfter` and `api.excAfter`: eventlet's timers, on the modern spawnAfter and Timeout.
 */
import { type GreenThread, spawnAfter } from '../runtime/greenthread';
import { checkSeconds } from '../runtime/seconds';
import { Timeout } from '../time/timeout';

/** A call scheduled by {@link callAfter}; `cancel()` before it fires and it never runs. */
export class Timer {
  /** The delay it was scheduled with, in seconds. */
  readonly seconds: number;
  readonly #thread: GreenThread<unknown>;
  #cancelled = false;

  /** @internal Use {@link callAfter}. */
  constructor(seconds: number, thread: GreenThread<unknown>) {
    this.seconds = seconds;
    this.#thread = thread;
  }

  /** True once the function has started. */
  get called(): boolean {
    return this.#thread.started;
  }

  /** True while it waits to fire: neither called nor cancelled. */
  get pending(): boolean {
    return !this.#cancelled && !this.called;
  }

  /** Stops the call if it has not started; does nothing afterwards. Safe to call more than once. */
  cancel(): void {
    if (this.#cancelled || this.called) return;
    this.#cancelled = this.#thread.cancel();
  }
}

/**
 * Calls `fn(...args)` after `seconds`, and returns a {@link Timer} whose `cancel()` prevents it. eventlet ran the
 * call in the hub, where it must not block; here it runs in a green thread of its own (spawnAfter), so it may.
 * An error it throws is reported on stderr, as eventlet's hub printed it, and goes no further.
 *
 * Switch point: never. Callable from the main stack.
 */
export function callAfter<A extends unknown[]>(seconds: number, fn: (...args: A) => unknown, ...args: A): Timer {
  checkSeconds(seconds, 'api.callAfter');
  if (typeof fn !== 'function') throw new TypeError(`api.callAfter takes a function, not ${typeof fn}`);
  return new Timer(seconds, spawnAfter(seconds, fn, ...args));
}

/**
 * Arms a deadline for the current green thread: if it is still busy after `seconds`, `error` raises where it
 * waits (the returned Timeout itself when no error is given). Returns the {@link Timeout}: `cancel()` it when
 * the guarded work is done, as eventlet's example does:
 *
 * ```js
 * const timer = api.excAfter(30, new api.TimeoutError());
 * try { fetch(url); } catch (e) { if (e instanceof api.TimeoutError) console.log('Timed out!'); else throw e; }
 * finally { timer.cancel(); }
 * ```
 *
 * It raises only at a blocking call, as every verdant timeout does: code that never yields cannot be interrupted.
 * Errors: HubBlockingError on the main stack, which cannot be interrupted.
 *
 * Switch point: never.
 */
export function excAfter(seconds: number, error?: unknown): Timeout {
  checkSeconds(seconds, 'api.excAfter');
  return new Timeout(seconds, error);
}
