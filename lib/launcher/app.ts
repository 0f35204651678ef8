/**
 * Loading the application module in a worker and finding its handler. What an app may export:
 *
 * - a function: `module.exports = (req, info) => new Response('hi')` (CommonJS) or `export default (req) => ...`;
 * - an object with a `fetch` method, as a Hono app or a `{ fetch }` object: `module.exports = app`,
 *   `export default app`, or a named `export function fetch(req) {...}`.
 *
 * The handler is called as http.serve calls one: `(request, info)` in the connection's green thread, so it may
 * block, and may return a Response, a Promise of one, or a `{ status, headers, body }` object.
 */
import { pathToFileURL } from 'node:url';
import type { Handler } from '../http/server';
import { wait } from '../runtime/promise';
import { AppLoadError } from './errors';

// A real dynamic import: TypeScript compiles `import()` to `require()` under module: commonjs.
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

interface FetchObject {
  fetch(request: Request, info: unknown): ReturnType<Handler>;
}

function hasFetch(value: unknown): value is FetchObject {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return false;
  return typeof (value as { fetch?: unknown }).fetch === 'function';
}

/** The handler `exported` offers, or null. */
export function handlerOf(exported: unknown): Handler | null {
  // The module itself (CommonJS module.exports), then its default export (an ES module's namespace, or
  // CommonJS transpiled from one), then the namespace's named `fetch`.
  const candidates = [exported, (exported as { default?: unknown } | null)?.default];
  for (const candidate of candidates) {
    if (typeof candidate === 'function') return candidate as Handler;
  }
  for (const candidate of [candidates[1], candidates[0]]) {
    if (hasFetch(candidate)) return (request, info) => candidate.fetch(request, info);
  }
  return null;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const keys = Object.keys(value);
  return keys.length === 0 ? 'an empty object' : `an object with ${keys.slice(0, 8).join(', ')}`;
}

/** The error's stack without the module loader's frames and the launcher's own: what the app's author needs. */
function appStack(error: Error): string {
  const lines = (error.stack ?? `${error.name}: ${error.message}`).split('\n');
  const ours = (line: string) => /^\s+at /.test(line) && (line.includes('node:internal/modules/') || line.includes(__dirname));
  return lines.filter((line) => !ours(line)).join('\n');
}

function requireOrImport(file: string): unknown {
  try {
    return require(file);
  } catch (error) {
    // An ES module that require() cannot load (Node 20; or one with top-level await): import() it. Its top
    // level then runs from the microtask queue, not in this green thread, so it may not block.
    const code = (error as { code?: unknown }).code;
    if (code !== 'ERR_REQUIRE_ESM' && code !== 'ERR_REQUIRE_ASYNC_MODULE') throw error;
  }
  return wait(importModule(pathToFileURL(file).href));
}

/**
 * Loads `file` (CommonJS with require, in the calling green thread so its top level may block; an ES module with
 * require where Node allows it, import() otherwise) and returns its handler.
 *
 * # Errors
 * {@link AppLoadError} when loading throws (the error is its `cause`, its stack in the message) or the module
 * exports no handler.
 */
export function loadApp(file: string): Handler {
  let exported: unknown;
  try {
    exported = requireOrImport(file);
  } catch (error) {
    const detail = error instanceof Error ? appStack(error) : String(error);
    throw new AppLoadError(file, `${file} threw while loading: ${detail}`, { cause: error });
  }
  const handler = handlerOf(exported);
  if (handler === null) {
    throw new AppLoadError(
      file,
      `${file} exports no handler: expected a function (module.exports = (req, info) => Response, or export ` +
        `default), or an object with a fetch method; it exports ${describe(exported)}`,
    );
  }
  return handler;
}
