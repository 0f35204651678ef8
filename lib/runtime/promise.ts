/**
 * wait(promise): Promises, seen from blocking-style code.
 */
import { park, requireGreen, wake } from './hub';

/**
 * Blocks the current green thread (only it) until `value` settles: returns what it fulfils with, or throws what
 * it rejects with. A value that is not a thenable is returned as is. This makes every Promise API callable from
 * green threads: `const res = wait(fetch(url))`.
 *
 * Switch point: when given a thenable.
 */
export function wait<T>(value: T): Awaited<T> {
  if (!isThenable(value)) return value as Awaited<T>;
  const self = requireGreen('wait(promise)');
  let state = 0; // 0 pending, 1 fulfilled, 2 rejected
  let result: unknown;
  let waiting = true;
  const settle = (s: number, r: unknown) => {
    state = s;
    result = r;
    if (waiting) wake(self);
  };
  Promise.resolve(value).then(
    (v) => settle(1, v),
    (e) => settle(2, e),
  );
  try {
    while (state === 0) park('promise');
  } finally {
    waiting = false;
  }
  if (state === 2) throw result;
  return result as Awaited<T>;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
