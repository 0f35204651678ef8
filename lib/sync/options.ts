/**
 * Argument checks shared by the primitives: counts and sizes, and the `{ block, timeout }` options of blocking
 * calls. Each error names the call and the bad value: a TypeError when the argument has the wrong type, a
 * RangeError when it has the right type but a value out of range (JavaScript's pair for Python's TypeError and
 * ValueError).
 *
 * @internal
 */
import { checkTimeout } from '../runtime/seconds';

/**
 * Throws unless `value` is an integer >= `min`: a TypeError naming `what` if it is not a number at all (as
 * eventlet's `Semaphore('foo')`), a RangeError if it is a number out of range (-1, 1.5, NaN, Infinity).
 */
export function checkInteger(value: unknown, min: number, what: string): asserts value is number {
  if (typeof value !== 'number') {
    throw new TypeError(`${what} takes an integer >= ${min}, not ${describeType(value)}`);
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${what} takes an integer >= ${min}, not ${value}`);
  }
}

/** The type of a wrong-type argument, for messages: 'a string', 'an array', 'null', 'undefined'... */
function describeType(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Whether and how long a call may block, read from its options. */
export interface BlockingChoice {
  readonly block: boolean;
  readonly timeout: number | null;
}

// The choice when no options are given, shared: the common call allocates nothing.
const BLOCK_WITHOUT_LIMIT: BlockingChoice = Object.freeze({ block: true, timeout: null });

/**
 * Reads `{ [flag]: boolean, timeout: seconds | null }` options of the call `what` (`flag` is `block` for
 * queues and `blocking` for locks, as in eventlet). A timeout with a non-blocking call would be silently
 * meaningless: it is a TypeError, as JavaScript's built-ins make options that exclude each other (eventlet raises
 * a ValueError).
 */
export function readBlocking(options: unknown, flag: 'block' | 'blocking', what: string): BlockingChoice {
  if (options === undefined) return BLOCK_WITHOUT_LIMIT;
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${what} takes an options object ({ ${flag}, timeout }), not ${String(options)}`);
  }
  const block = (options as Record<string, unknown>)[flag];
  const timeout = (options as Record<string, unknown>).timeout;
  if (block !== undefined && typeof block !== 'boolean') {
    throw new TypeError(`${what}: ${flag} must be a boolean, not ${String(block)}`);
  }
  checkTimeout(timeout, what);
  if (block === false && timeout !== undefined && timeout !== null) {
    throw new TypeError(`${what}: a timeout cannot be given with ${flag}: false (a non-blocking call never waits)`);
  }
  return { block: block !== false, timeout: timeout ?? null };
}

/** Throws a TypeError naming `what` unless `fn` is a function. */
export function checkFunction(fn: unknown, what: string): asserts fn is (...args: never[]) => unknown {
  if (typeof fn !== 'function') throw new TypeError(`${what} takes a function, not ${typeof fn}`);
}
