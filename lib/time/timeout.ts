/**
 * Timeout: a deadline for whatever blocking code runs while it is armed, as eventlet's Timeout.
 *
 * ```ts
 * const t = new Timeout(2);          // armed for the current green thread
 * try {
 *   const line = conn.readline();    // any blocking calls
 * } catch (e) {
 *   if (e !== t) throw e;            // this deadline passed
 * } finally {
 *   t.cancel();
 * }
 * ```
 * With `using t = new Timeout(2)` the cancel is automatic. When the deadline passes, the Timeout (or the error given
 * to it) raises in the green thread that armed it, at the blocking call where it waits. Whichever came first
 * wins, as in eventlet: a result handed to the thread before the deadline is returned and the Timeout raises at
 * its next blocking call; a result offered after the deadline passed (even in the same hub turn, as with
 * `Timeout(0)`) is refused and stays with its giver. Either way a value handed over (a queue item, a lock) is
 * never lost to a timeout.
 */
import { Greenlet } from '../runtime/greenlet';
import { cancelAlarm, requireGreen, startAlarm } from '../runtime/hub';
import { checkTimeout } from '../runtime/seconds';
import { TimeoutAlreadyPendingError } from './errors';

let makeExpired: (seconds: number, message: string) => Timeout;

export class Timeout extends Error {
  /** The delay it was armed with; null for a Timeout that never fires. */
  readonly seconds: number | null;
  /**
   * What raises when it fires instead of the Timeout itself, if given: an error (or any value) raises as it is;
   * an error class is instantiated when it fires (eventlet raises a class given to it); `true` or `false` mean
   * the Timeout itself, as in eventlet (whose `False` only silences a `with` block, which JS has no way to do:
   * use {@link withTimeout} with a `timeoutValue` instead).
   */
  readonly exception: unknown;
  /** Always true: what {@link isTimeout} looks for. */
  get isTimeout(): true {
    return true;
  }
  #alarm = 0;
  #owner: Greenlet | null = null;
  #expired = false;

  /**
   * Arms a deadline `seconds` from now for the current green thread (`null` or absent: never fires, a no-op
   * guard). When it passes, `exception` (default: this Timeout) raises in that green thread.
   */
  constructor(seconds?: number | null, exception?: unknown) {
    super(seconds === null || seconds === undefined ? 'timed out' : `timed out after ${seconds} s`);
    checkTimeout(seconds, 'Timeout');
    this.name = 'Timeout';
    this.seconds = seconds ?? null;
    this.exception = exception;
    if (this.seconds !== null) this.start();
  }

  /** Arms it (again) for the current green thread. Throws a {@link TimeoutAlreadyPendingError} if it is already pending. */
  start(): this {
    if (this.#alarm !== 0) throw new TimeoutAlreadyPendingError(this.seconds);
    if (this.seconds === null) return this;
    this.#owner = requireGreen('Timeout');
    this.#expired = false;
    this.#alarm = startAlarm(this.#owner, this.seconds, { fire: () => this.#fire() });
    return this;
  }

  /** True while armed and not yet fired. */
  get pending(): boolean {
    return this.#alarm !== 0;
  }

  /** True once it has raised. */
  get expired(): boolean {
    return this.#expired;
  }

  /** Disarms it; nothing raises afterwards. Safe to call more than once. */
  cancel(): void {
    if (this.#alarm === 0) return;
    cancelAlarm(this.#alarm);
    this.#alarm = 0;
  }

  [Symbol.dispose](): void {
    this.cancel();
  }

  #fire(): unknown {
    if (this.#alarm === 0) return null;
    this.#alarm = 0;
    this.#expired = true;
    const exception = this.exception;
    if (exception === undefined || exception === null || typeof exception === 'boolean') return this;
    if (isErrorClass(exception)) return new exception(this.message);
    return exception;
  }

  static {
    makeExpired = (seconds, message) => {
      const t = new Timeout(null);
      (t as { seconds: number | null }).seconds = seconds;
      t.message = message;
      t.#expired = true;
      return t;
    };
  }
}

/**
 * True for what says it is a timeout, as eventlet's `is_timeout`: a {@link Timeout}, an error whose `isTimeout`
 * is true (verdant's `SocketTimeoutError`, anything marked by {@link wrapIsTimeout}), and an error named
 * `TimeoutError` (what `AbortSignal.timeout()` aborts with).
 */
export function isTimeout(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  return (value as { isTimeout?: unknown }).isTimeout === true || (value as { name?: unknown }).name === 'TimeoutError';
}

/**
 * Marks errors as timeouts for {@link isTimeout}, as eventlet's `wrap_is_timeout`: given an error class, adds an
 * `isTimeout` getter (true) to its prototype and returns the class; given a function that makes errors, returns
 * a function that calls it and marks what it returns.
 */
export function wrapIsTimeout<C extends abstract new (...args: any[]) => object>(base: C): C;
export function wrapIsTimeout<A extends unknown[], E extends object>(base: (...args: A) => E): (...args: A) => E & { isTimeout: true };
export function wrapIsTimeout(base: (...args: any[]) => object): unknown {
  if (typeof base !== 'function') throw new TypeError('wrapIsTimeout takes a class or a function');
  if (isClass(base)) {
    Object.defineProperty(base.prototype, 'isTimeout', { get: () => true, configurable: true });
    return base;
  }
  const marked = function (this: unknown, ...args: unknown[]) {
    const made = base.apply(this, args) as { isTimeout?: boolean };
    made.isTimeout = true;
    return made;
  };
  Object.defineProperty(marked, 'name', { value: base.name });
  return marked;
}

function isErrorClass(value: unknown): value is new (message?: string) => unknown {
  return typeof value === 'function' && (value === Error || value.prototype instanceof Error);
}

function isClass(fn: Function): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn)) || fn.prototype instanceof Error || fn === Error;
}

/** @internal A Timeout that already expired, for waits with their own `timeout` option. */
export function expiredTimeout(seconds: number, message: string): Timeout {
  return makeExpired(seconds, message);
}

export interface WithTimeoutOptions<V> {
  /** Returned instead of raising when the deadline passes. */
  timeoutValue: V;
}

/**
 * Runs `fn()` with a deadline of `seconds`: returns its result, or when the deadline passes first raises the
 * {@link Timeout} (or returns `options.timeoutValue` when given).
 */
export function withTimeout<T>(seconds: number, fn: () => T): T;
export function withTimeout<T, V>(seconds: number, fn: () => T, options: WithTimeoutOptions<V>): T | V;
export function withTimeout<T, V>(seconds: number, fn: () => T, options?: WithTimeoutOptions<V>): T | V {
  if (typeof fn !== 'function') throw new TypeError('withTimeout takes a function');
  const t = new Timeout(seconds);
  try {
    return fn();
  } catch (error) {
    if (error === t && options !== undefined && 'timeoutValue' in options) return options.timeoutValue;
    throw error;
  } finally {
    t.cancel();
  }
}
