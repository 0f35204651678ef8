/**
 * Module loading stays atomic while fs is patched. Node's CommonJS loader reads module files with
 * `fs.readFileSync` (and resolves them with `fs.realpathSync`), looked up on the fs module at each call, after it
 * has put the new module in `require.cache`. Were those calls cooperative, a green thread requiring a module would
 * switch out halfway, and another green thread requiring the same module would get its empty, half-made exports.
 * So while a green thread is inside `require()`, the patched functions run the originals for it.
 *
 * @internal
 */
import Module = require('node:module');
import { Greenlet, getCurrent } from '../runtime/greenlet';

type RequireFunction = (this: NodeModule, id: string) => unknown;

const prototype = Module.prototype as unknown as { require: RequireFunction };
// How deep in require() each green thread is. Per green thread, since one may block (and others run) while a
// module's top level runs.
const depth = new Map<Greenlet, number>();
let original: RequireFunction | null = null;

function guardedRequire(this: NodeModule, id: string): unknown {
  const self = getCurrent();
  depth.set(self, (depth.get(self) ?? 0) + 1);
  try {
    return original!.call(this, id);
  } finally {
    const left = depth.get(self)! - 1;
    if (left === 0) depth.delete(self);
    else depth.set(self, left);
  }
}

/** True while the current green thread is inside require(). */
export function loadingModule(): boolean {
  return depth.size !== 0 && depth.has(getCurrent());
}

/** Wraps `Module.prototype.require` to count require() depth (once). */
export function guardModuleLoading(): void {
  if (original !== null) return;
  original = prototype.require;
  prototype.require = guardedRequire;
}

/** Puts back the `Module.prototype.require` that was there, unless something replaced the wrapper since. */
export function unguardModuleLoading(): void {
  if (original === null) return;
  if (prototype.require === guardedRequire) prototype.require = original;
  original = null;
}
