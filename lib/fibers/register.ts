/**
 * `verdant/fibers/register`: makes `require('fibers')` and `require('fibers/future')` (and node-fibers'
 * `fibers/fibers`) load verdant's drop-ins, from any module of the process, whatever `node_modules` holds. One
 * line at the top of the program (`require('verdant/fibers/register')`), or `node -r verdant/fibers/register`.
 *
 * It hooks CommonJS resolution (`Module._resolveFilename`), which is what fibers-era code uses. ES module
 * `import 'fibers'` is not covered: use the shim package for that (docs/fibers.md, "Pointing old code at
 * verdant"). With `VERDANT_FIBERS_FUNCTION_FUTURE=1` in the environment it also installs
 * `Function.prototype.future`, which node-fibers' future.js defined on load.
 */
import Module = require('node:module');

export interface RegisterOptions {
  /** Also define `Function.prototype.future` (see verdant/fibers/future's `installFunctionFuture`). */
  functionFuture?: boolean;
}

type ResolveFilename = (request: string, parent: unknown, isMain: boolean, options?: unknown) => string;
const moduleInternals = Module as unknown as { _resolveFilename: ResolveFilename };

const targets: Record<string, string> = {
  fibers: require.resolve('./index'),
  'fibers/fibers': require.resolve('./index'),
  'fibers/future': require.resolve('./future/index'),
};
const hooked = Symbol.for('verdant.fibers.register');

/**
 * Installs the resolution hook (once per process; later calls only add what `options` asks for). Returns the
 * module paths `fibers` and `fibers/future` now resolve to.
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
  if (options.functionFuture) {
    (require('./future/index') as { installFunctionFuture(): void }).installFunctionFuture();
  }
  return { fibers: targets.fibers, future: targets['fibers/future'] };
}

registerFibers({ functionFuture: process.env.VERDANT_FIBERS_FUNCTION_FUTURE === '1' });
