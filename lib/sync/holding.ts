/**
 * The scoped form shared by every lock-like type: `x.using(fn)` runs `fn` between acquire and release.
 *
 * @internal
 */
import { checkFunction } from './options';

/** Something with a blocking `acquire()` and a `release()`. */
export interface Acquirable {
  acquire(): boolean;
  release(): unknown;
}

/**
 * Acquires `lock` (blocking), runs `fn`, and releases the lock however `fn` ends; returns what `fn` returns.
 * `what` names the call in the TypeError for a non-function.
 */
export function runHolding<R>(lock: Acquirable, fn: () => R, what: string): R {
  checkFunction(fn, what);
  lock.acquire();
  try {
    return fn();
  } finally {
    lock.release();
  }
}
