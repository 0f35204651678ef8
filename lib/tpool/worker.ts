/**
 * The script each tpool worker thread runs: load the task's module (once per worker), call the export with the
 * structured-cloned arguments, await a returned Promise, and reply with the result or what was thrown.
 *
 * @internal Started by ./pool.ts; not part of the public API.
 */
import { parentPort } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import type { Reply, Request } from './protocol';
import { isError, serializeError } from './remote-error';

// A real dynamic import: TypeScript compiles `import()` to `require()` under module: commonjs, which cannot load
// ES modules.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<any>;
const modules = new Map<string, Promise<any>>();

function load(file: string): Promise<any> {
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

function exportOf(module: any, request: Request): (...args: unknown[]) => unknown {
  const fn = request.name === 'default' && typeof module === 'function' ? module : module?.[request.name];
  if (typeof fn === 'function') return fn;
  const names = module !== null && typeof module === 'object' ? Object.keys(module).filter((k) => k !== 'default') : [];
  throw new TypeError(
    `${request.file} has no exported function "${request.name}"` +
      (fn === undefined ? '' : ` (it is ${fn === null ? 'null' : typeof fn})`) +
      (names.length > 0 ? `; it exports: ${names.join(', ')}` : ''),
  );
}

async function run(request: Request): Promise<Reply> {
  try {
    const fn = exportOf(await load(request.file), request);
    return { kind: 'returned', value: await fn(...request.args) };
  } catch (thrown) {
    if (isError(thrown)) return { kind: 'threw-error', error: serializeError(thrown, __filename) };
    return { kind: 'threw-value', value: thrown };
  }
}

function send(reply: Reply, request: Request): void {
  try {
    parentPort!.postMessage(reply);
  } catch (error) {
    const what = reply.kind === 'returned' ? 'value returned' : 'value thrown';
    const unsendable = new TypeError(
      `the ${what} by ${request.name} from ${request.file} cannot be sent back to the calling thread: ` +
        `${(error as Error).message} (results must be structured-cloneable)`,
    );
    parentPort!.postMessage({ kind: 'threw-error', error: serializeError(unsendable, __filename) } satisfies Reply);
  }
}

parentPort!.on('message', (request: Request) => {
  run(request).then((reply) => send(reply, request));
});
