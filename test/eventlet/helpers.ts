/**
 * Helpers of the ports of eventlet's test files (test/eventlet/*.test.ts), standing in for the pieces of
 * eventlet's test kit, and the Python names, that verdant spells differently.
 */
import { strict as assert } from 'node:assert';
import { Pool, getCurrent } from 'verdant';

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

/** Python's RuntimeError, which JavaScript has no class for. */
export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/**
 * eventlet's IntPool: a Pool whose create() counts up from 1. The counter is declared, not initialized: a field
 * initializer would run after Pool's constructor, which already calls create() for minSize items.
 */
export class IntPool extends Pool<number> {
  declare currentInteger?: number;

  override create(): number {
    this.currentInteger = (this.currentInteger ?? 0) + 1;
    return this.currentInteger;
  }
}

/**
 * A validator for assert.throws: the error is a `type`, its message matches `message`, and it has the properties
 * in `props`. eventlet's tests check an error's class; the ports check too that verdant's message names what is
 * wrong.
 */
export function errorOf(
  type: abstract new (...args: never[]) => Error,
  message: RegExp,
  props: Record<string, unknown> = {},
): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof type, `${String(error)} is not a ${type.name}`);
    assert.match(error.message, message);
    const fields = error as unknown as Record<string, unknown>;
    for (const [name, value] of Object.entries(props)) assert.deepEqual(fields[name], value, name);
    return true;
  };
}
