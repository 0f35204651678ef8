/**
 * wait(promise): Promises, seen from blocking-style code.
 */
import { waitFor } from './completion';

/**
 * Blocks the current green thread (only it) until `value` settles: returns what it fulfils with, or throws what
 * it rejects with. A value that is not a thenable is returned as is. This makes every Promise API callable from
 * green threads: `const res = wait(fetch(url))`.
 *
 * Switch point: when given a thenable.
 */
export function wait<T>(value: T): Awaited<T> {
  if (!isThenable(value)) return value as Awaited<T>;
  return waitFor<Awaited<T>>('promise', (resolve, reject) => {
    Promise.resolve(value).then(resolve as (v: unknown) => void, reject);
  });
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
