/**
 * `api.named(name)`: an object found by its dotted name, as eventlet's `api.named('pkg.module.attr')`.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { NamedNotFoundError } from './errors';

export interface NamedOptions {
  /** The directory module specifiers are resolved from (relative ones too); default `process.cwd()`. */
  from?: string;
}

/**
 * Resolves `name`, a module specifier followed by a property path, all joined with dots:
 * `named('node:path.join')`, `named('verdant.net.listen')`, `named('./lib/app.js.handlers.index')`.
 *
 * Module specifiers may contain dots themselves, so the longest prefix that resolves to a module wins (eventlet
 * likewise imports the longest importable prefix), and the rest is walked as properties. Specifiers resolve from
 * `options.from` (default: the current directory), as a file there would require them; resolving is tried before
 * loading, so an error a module throws while it loads comes out as it is rather than as "not found".
 *
 * Errors: {@link NamedNotFoundError} when no prefix is a module or a property is missing; TypeError for a name
 * that is not a non-empty string.
 *
 * Switch point: never (requiring a module is synchronous, as it always is in Node).
 */
export function named(name: string, options: NamedOptions = {}): unknown {
  if (typeof name !== 'string' || name === '') throw new TypeError('api.named takes a non-empty dotted name');
  const base = options.from ?? process.cwd();
  if (typeof base !== 'string') throw new TypeError('api.named: from must be a directory path');
  const requireFrom = createRequire(path.join(path.resolve(base), 'named-lookup.js'));
  const parts = name.split('.');
  for (let cut = parts.length; cut > 0; cut--) {
    const specifier = parts.slice(0, cut).join('.');
    if (specifier === '' || !resolvable(requireFrom, specifier)) continue;
    let value: unknown = requireFrom(specifier);
    for (const [i, property] of parts.slice(cut).entries()) {
      if (value === null || value === undefined || !(property in Object(value))) {
        const owner = [specifier, ...parts.slice(cut, cut + i)].join('.');
        throw new NamedNotFoundError(name, `${owner} has no property ${JSON.stringify(property)}`);
      }
      value = (value as Record<string, unknown>)[property];
    }
    return value;
  }
  throw new NamedNotFoundError(name, `no prefix of it is a module that can be required from ${base}`);
}

function resolvable(requireFrom: NodeJS.Require, specifier: string): boolean {
  try {
    requireFrom.resolve(specifier);
    return true;
  } catch {
    return false;
  }
}
