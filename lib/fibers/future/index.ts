/**
 * `verdant/fibers/future`: a drop-in for node-fibers' `require('fibers/future')`. The module's value is the
 * `Future` class, with node-fibers' statics (`wait`, `wrap`, `task`, `fromPromise`) and
 * `installFunctionFuture()`, which defines `Function.prototype.future`. node-fibers defined it on load; this module
 * never does, but `require('fibers/future')` through the drop-in alias (`verdant/fibers/future/alias`) does, so
 * that unmodified node-fibers code finds it. docs/fibers.md describes every method.
 *
 * Organization: `future.ts` (the class, waiting in fibers and green threads), `wrap.ts` (`Future.wrap`),
 * `function-future.ts` (`Function.prototype.future`), `alias.ts` and `alias-policy.ts` (what the alias loads, and
 * whether it defines `Function.prototype.future`).
 *
 * @example
 * ```js
 * const Fiber = require('verdant/fibers');
 * const Future = require('verdant/fibers/future');
 * const fs = Future.wrap(require('fs'));
 * Fiber(() => {
 *   console.log(fs.readFileFuture('package.json', 'utf8').wait().length);
 * }).run();
 * ```
 * @packageDocumentation
 */
import { Future as FutureClass, FutureNotReadyError, FutureResolvedError, PromiseRejectedError } from './future';
import { installFunctionFuture } from './function-future';
import { wrap } from './wrap';

/** The Future class with node-fibers' statics. */
const Future = FutureClass as typeof FutureClass & {
  wrap: typeof wrap;
  installFunctionFuture: typeof installFunctionFuture;
  FutureResolvedError: typeof FutureResolvedError;
  FutureNotReadyError: typeof FutureNotReadyError;
  PromiseRejectedError: typeof PromiseRejectedError;
};
Object.assign(Future, { wrap, installFunctionFuture, FutureResolvedError, FutureNotReadyError, PromiseRejectedError });
/** A future of a `T`. */
type Future<T = any> = FutureClass<T>;

export = Future;
