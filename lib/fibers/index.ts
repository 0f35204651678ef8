/**
 * `verdant/fibers`: a drop-in for node-fibers' `require('fibers')` on Node 20 to 26. The module's value is the
 * `Fiber` function itself, as in node-fibers; docs/fibers.md is the migration guide.
 *
 * Organization: `fiber.ts` (the Fiber API on greenlets), `errors.ts` (its errors), `future/` (`verdant/fibers/future`,
 * the Future library), `register.ts` (`verdant/fibers/register`: makes `require('fibers')` and
 * `require('fibers/future')` load these).
 *
 * @example
 * ```js
 * const Fiber = require('verdant/fibers');
 * Fiber(() => {
 *   const fiber = Fiber.current;
 *   setTimeout(() => fiber.run('later'), 10);
 *   console.log(Fiber.yield());   // 'later', 10 ms on; the event loop ran meanwhile
 * }).run();
 * ```
 * @packageDocumentation
 */
import { Fiber } from './fiber';

export = Fiber;
