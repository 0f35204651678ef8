/**
 * `Function.prototype.future`, node-fibers' way of making any function run in a fiber of its own and return a
 * future. `verdant/fibers/future` never defines it by itself, since it changes a built-in prototype: code asks
 * with {@link installFunctionFuture}, or loads `fibers/future` through the drop-in alias (`verdant/fibers/register`,
 * the compat/fibers shim), which defines it as node-fibers' future.js did on load unless opted out
 * (`alias-policy.ts`).
 */
import { TaskFuture } from './future';

declare global {
  interface Function {
    /**
     * (verdant/fibers/future, after `installFunctionFuture()` or once `fibers/future` was loaded through the
     * drop-in alias.) A function that calls this one in a fiber of its own, from the next tick (or in the fiber
     * that waits for it first), and returns a future of its result. With `detach`, the future is detached: an error
     * becomes an uncaught exception.
     */
    future?(detach?: boolean): (...args: any[]) => TaskFuture;
  }
}

/** Defines `Function.prototype.future` (non-enumerable), as node-fibers' future.js did when loaded. Idempotent. */
export function installFunctionFuture(): void {
  Object.defineProperty(Function.prototype, 'future', {
    value: function future(this: (...args: any[]) => any, detach?: boolean) {
      const fn = this;
      const call = function (this: unknown, ...args: unknown[]) {
        const task = new TaskFuture(fn, this, args);
        if (detach) task.detach();
        return task;
      };
      call.toString = () => `<<Future ${fn}.future()>>`;
      return call;
    },
    writable: true,
    configurable: true,
    enumerable: false,
  });
}
