/**
 * Durations in verdant are seconds (numbers, fractions allowed), as in eventlet.
 * @internal
 */
import { describeValue } from './describe';

/**
 * Throws naming `what` unless `seconds` is a finite number >= 0: a TypeError for what is not a number, a
 * RangeError for a number out of range.
 */
export function checkSeconds(seconds: unknown, what: string): asserts seconds is number {
  if (typeof seconds !== 'number') throw new TypeError(`${what} takes a number of seconds, not ${describeValue(seconds)}`);
  if (!(seconds >= 0) || seconds === Infinity) {
    throw new RangeError(`${what} takes a finite number of seconds >= 0, not ${String(seconds)}`);
  }
}

/** Like {@link checkSeconds}, but null and undefined (no limit) pass too. */
export function checkTimeout(timeout: unknown, what: string): asserts timeout is number | null | undefined {
  if (timeout !== null && timeout !== undefined) checkSeconds(timeout, what);
}
