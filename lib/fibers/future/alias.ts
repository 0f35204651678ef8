/**
 * `verdant/fibers/future/alias`: what `require('fibers/future')` loads through the drop-in alias
 * (`verdant/fibers/register`'s hook and the compat/fibers shim's `future.js`). It is `verdant/fibers/future` itself
 * (the same object), with one difference that belongs to node-fibers' module name rather than to verdant's:
 * loading it defines `Function.prototype.future`, as node-fibers' future.js did on load, since code written for
 * node-fibers calls `function () {...}.future()` without asking for it. `VERDANT_FIBERS_FUNCTION_FUTURE=0` in the
 * environment, or `registerFibers({ functionFuture: false })` before the first load, leaves the prototype alone.
 * `require('verdant/fibers/future')` never touches it.
 *
 * @packageDocumentation
 */
import Future = require('./index');
import { aliasDefinesFunctionFuture } from './alias-policy';

if (aliasDefinesFunctionFuture()) Future.installFunctionFuture();

export = Future;
