/**
 * waitFor: blocking-style code waiting on one callback-style completion (a Node callback API, a Promise, a worker's
 * reply). The operation runs elsewhere (the libuv threadpool, another thread, the event loop); only the calling
 * green thread waits.
 */
import { park, requireGreen, wake } from './hub';

/** How an operation started by {@link waitFor} reports its end; only the first call of either counts. */
export type Settle<T> = (resolve: (value: T) => void, reject: (error: unknown) => void) => void;

/**
 * Starts an operation with `start` and blocks the current green thread (only it) until the operation calls
 * `resolve` (returned) or `reject` (thrown). `reason` names the wait in dumps and in the error on the main stack.
 *
 * If the wait ends early (a kill, or a {@link Timeout} around it), a later settle is ignored: the operation
 * itself is not cancelled, so give it a way to stop (`abort`, below) when it holds something.
 *
 * Switch point: unless `start` settles synchronously.
 */
export function waitFor<T>(reason: string, start: Settle<T>, abort?: () => void): T {
  const self = requireGreen(reason);
  let state = 0; // 0 pending, 1 resolved, 2 rejected
  let result: unknown;
  let waiting = false;
  start(
    (value) => {
      if (state !== 0) return;
      state = 1;
      result = value;
      if (waiting) wake(self);
    },
    (error) => {
      if (state !== 0) return;
      state = 2;
      result = error;
      if (waiting) wake(self);
    },
  );
  waiting = true;
  try {
    while (state === 0) park(reason);
  } catch (error) {
    if (state === 0 && abort !== undefined) abort();
    throw error;
  } finally {
    waiting = false;
  }
  if (state === 2) throw result;
  return result as T;
}

/**
 * A Node-style callback `(error, value) => void` that settles a {@link waitFor}: `error` (anything but null or
 * undefined) rejects, otherwise `value` resolves.
 */
export function nodeCallback<T>(resolve: (value: T) => void, reject: (error: unknown) => void) {
  return (error: unknown, value?: T): void => {
    if (error !== null && error !== undefined) reject(error);
    else resolve(value as T);
  };
}
