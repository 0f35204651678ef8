/**
 * Loading modules inside a tpool worker thread: once per worker, CommonJS with `require`, ES modules with
 * `import()`. Used for tasks (./worker.ts) and for proxied objects (./proxy-worker.ts).
 *
 * @internal Runs in worker threads only.
 */
import { pathToFileURL } from 'node:url';

// A real dynamic import: TypeScript compiles `import()` to `require()` under module: commonjs, which cannot load
// ES modules.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<any>;
const modules = new Map<string, Promise<any>>();

/** The module `file` (an absolute path, or a builtin such as `node:util`), loaded once per worker. */
export function load(file: string): Promise<any> {
  let module = modules.get(file);
  if (module === undefined) {
    module = loadUncached(file);
    modules.set(file, module);
    module.catch(() => modules.delete(file)); // a module that failed to load is tried again next time
  }
  return module;
}

async function loadUncached(file: string): Promise<any> {
  try {
    return require(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_REQUIRE_ESM') throw error;
    return importModule(pathToFileURL(file).href);
  }
}

/**
 * The export `name` of a loaded module. `default` of a CommonJS module that exports a single function is that
 * function. Throws a TypeError listing what the module does export when it has no such export.
 */
export function exportNamed(module: any, file: string, name: string): unknown {
  const value = name === 'default' && typeof module === 'function' ? module : module?.[name];
  if (value === undefined) throw missingExport(module, file, name, 'export');
  return value;
}

/** The export `name` of a loaded module, which must be a function. */
export function exportedFunction(module: any, file: string, name: string): (...args: unknown[]) => unknown {
  const value = name === 'default' && typeof module === 'function' ? module : module?.[name];
  if (typeof value === 'function') return value;
  throw missingExport(module, file, name, 'exported function', value);
}

function missingExport(module: any, file: string, name: string, what: string, found?: unknown): TypeError {
  const names = module !== null && typeof module === 'object' ? Object.keys(module).filter((k) => k !== 'default') : [];
  return new TypeError(
    `${file} has no ${what} "${name}"` +
      (found === undefined ? '' : ` (it is ${found === null ? 'null' : typeof found})`) +
      (names.length > 0 ? `; it exports: ${names.join(', ')}` : ''),
  );
}
