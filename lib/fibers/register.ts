/**
 * `verdant/fibers/register`: makes `require('fibers')` and `require('fibers/future')` (and node-fibers'
 * `fibers/fibers`) load verdant's drop-ins, from any module of the process, whatever `node_modules` holds. One
 * line at the top of the program (`require('verdant/fibers/register')`), or `node -r verdant/fibers/register`.
 *
 * It hooks CommonJS resolution (`Module._resolveFilename`), which is what fibers-era code uses. ES module
 * `import 'fibers'` is not covered: use the shim package for that (docs/fibers.md, "Pointing old code at
 * verdant"). `fibers/future` resolves to `verdant/fibers/future/alias`, which defines `Function.prototype.future`
 * when loaded, as node-fibers' future.js did (`VERDANT_FIBERS_FUNCTION_FUTURE=0` or
 * `registerFibers({ functionFuture: false })` opts out; `VERDANT_FIBERS_FUNCTION_FUTURE=1` defines it as soon as
 * this module loads, as before that became the default).
 */
import Module = require('node:module');
import { FUNCTION_FUTURE_ENV, setAliasDefinesFunctionFuture } from './future/alias-policy';

export interface RegisterOptions {
  /**
   * Whether `Function.prototype.future` is defined when `fibers/future` is loaded through the alias (default: yes,
   * unless `VERDANT_FIBERS_FUNCTION_FUTURE=0`). `false` must come before the first `require('fibers/future')`:
   * a prototype method that code may already hold is not taken back. `true` also defines it at once.
   */
  functionFuture?: boolean;
}

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
const moduleInternals = Module as unknown as { _resolveFilename: ResolveFilename };

const targets: Record<string, string> = {
  fibers: require.resolve('./index'),
  'fibers/fibers': require.resolve('./index'),
  'fibers/future': require.resolve('./future/alias'),
};
const hooked = Symbol.for('verdant.fibers.register');

/**
 * Installs the resolution hook (once per process; later calls only apply `options`). Returns the module paths
 * `fibers` and `fibers/future` now resolve to.
 */
export function registerFibers(options: RegisterOptions = {}): { fibers: string; future: string } {
  if (typeof options !== 'object' || options === null) throw new TypeError('registerFibers() takes an options object');
  const holder = moduleInternals as unknown as Record<symbol, boolean>;
  if (!holder[hooked]) {
    const original = moduleInternals._resolveFilename;
    moduleInternals._resolveFilename = function (this: unknown, request, parent, isMain, resolveOptions) {
      return Object.prototype.hasOwnProperty.call(targets, request)
        ? targets[request]
        : original.call(this, request, parent, isMain, resolveOptions);
    };
    holder[hooked] = true;
  }
  if (options.functionFuture !== undefined) {
    setAliasDefinesFunctionFuture(options.functionFuture);
    if (options.functionFuture) {
      (require('./future/index') as { installFunctionFuture(): void }).installFunctionFuture();
    }
  }
  return { fibers: targets.fibers, future: targets['fibers/future'] };
}

// `=1` was the opt-in before the alias defined Function.prototype.future by default; it still defines it right away.
registerFibers(process.env[FUNCTION_FUTURE_ENV] === '1' ? { functionFuture: true } : {});
