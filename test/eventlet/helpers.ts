/**
 * Helpers of the ports of eventlet's test files (test/eventlet/*.test.ts), standing in for the pieces of
 * eventlet's test kit that verdant spells differently.
 */
import { strict as assert } from 'node:assert';
import { getCurrent } from 'verdant';

/**
 * eventlet's `hub.schedule_call_global(0, fn)`: runs `fn` from the hub rather than from a green thread. verdant's
 * hub is Node's event loop on the main stack, so this runs `fn` there, in a later turn of the loop.
 */
export function onMainStack(fn: () => void): void {
  setImmediate(() => {
    assert.equal(getCurrent().isMain, true, 'setImmediate callbacks run on the main stack');
    fn();
  });
}

/** eventlet's `store_result`: appends what `fn()` returns, or the error it throws. */
export function storeResult(results: unknown[], fn: () => unknown): void {
  try {
    results.push(fn());
  } catch (error) {
    results.push(error);
  }
}
