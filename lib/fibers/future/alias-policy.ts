/**
 * @internal Whether loading `fibers/future` through the drop-in alias defines `Function.prototype.future`. A module
 * of its own, with no imports, so that `verdant/fibers/register` can set it without loading the Future library (and
 * the addon) before anything asks for fibers.
 */

/** The environment variable that turns the alias's `Function.prototype.future` off (`0`). */
export const FUNCTION_FUTURE_ENV = 'VERDANT_FIBERS_FUNCTION_FUTURE';

// registerFibers({ functionFuture }) decides for the whole process once called; until then the environment does.
// Module state rather than an environment write, so that the choice does not leak into child processes.
let choice: boolean | undefined;

/**
 * Yes, as node-fibers did, unless `VERDANT_FIBERS_FUNCTION_FUTURE=0` is in the environment or
 * `registerFibers({ functionFuture: false })` was called.
 */
export function aliasDefinesFunctionFuture(): boolean {
  return choice ?? process.env[FUNCTION_FUTURE_ENV] !== '0';
}

/** For `registerFibers({ functionFuture })`: overrides the environment's choice for this process. */
export function setAliasDefinesFunctionFuture(on: boolean): void {
  choice = on;
}
