/**
 * Pool sizes: how many green threads may run at once.
 * @internal
 */

/** Throws a TypeError or RangeError naming `what` unless `size` is an integer >= 0. */
export function checkPoolSize(size: unknown, what: string): asserts size is number {
  if (typeof size !== 'number') {
    throw new TypeError(`${what} takes a pool size that is a number, not ${size === null ? 'null' : typeof size}`);
  }
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new RangeError(`${what} takes a pool size that is an integer >= 0, not ${size}`);
  }
}
