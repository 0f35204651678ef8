/**
 * `Future.wrap`: node-style callback functions (last argument `(err, value)`) turned into functions that return
 * futures; an object (a module such as `fs`) gains a `<name>Future` method for each of its functions.
 */
import { Future } from './future';

type AnyFunction = (...args: any[]) => any;

/**
 * Wraps `fnOrObject`:
 * - a function: returns a function taking the same arguments minus the callback and returning a future of the
 *   callback's value (with `multi`, of the array of all the callback's values after the error). Functions hanging
 *   off the wrapped function (as in `request.get`) are reachable on it, wrapped with the suffix, through its
 *   prototype;
 * - an object: returns an object inheriting from it with, for every enumerable function it has (own or
 *   inherited), a `<name><suffix>` method wrapped as above.
 *
 * A TypeError for anything else.
 */
export function wrap(fnOrObject: AnyFunction | object, multi = false, suffix = 'Future'): any {
  if (typeof suffix !== 'string') throw new TypeError(`wrap(): suffix must be a string, not ${typeof suffix}`);
  if (typeof fnOrObject === 'function') return wrapFunction(fnOrObject as AnyFunction, multi, suffix, true);
  if (typeof fnOrObject === 'object' && fnOrObject !== null) return wrapObject(fnOrObject, multi, suffix);
  throw new TypeError(`wrap() takes a function or an object, not ${fnOrObject === null ? 'null' : typeof fnOrObject}`);
}

function wrapFunction(fn: AnyFunction, multi: boolean, suffix: string, withMembers: boolean): AnyFunction {
  const wrapped = function (this: unknown, ...args: unknown[]) {
    const future = new Future();
    const resolve = future.resolver();
    args.push(multi ? (error: unknown, ...values: unknown[]) => resolve(error, values) : resolve);
    fn.apply(this, args);
    return future;
  };
  if (withMembers) {
    // Functions with functions as members: wrapped.get → fn.get, wrapped.getFuture → wrapped fn.get.
    const members = wrapObject(Object.create(fn), multi, suffix, false);
    Object.setPrototypeOf(wrapped, members);
  }
  return wrapped;
}

function wrapObject(target: object, multi: boolean, suffix: string, withMembers = true): object {
  const wrapped = Object.create(target);
  for (const name in target) {
    const fn = dataProperty(target, name);
    if (typeof fn === 'function') wrapped[name + suffix] = wrapFunction(fn as AnyFunction, multi, suffix, withMembers);
  }
  return wrapped;
}

// The property's value, as node-fibers read it (getters included: module namespaces and lazy exports are
// accessors); a getter that throws just means there is nothing to wrap.
function dataProperty(target: object, name: string): unknown {
  try {
    return (target as Record<string, unknown>)[name];
  } catch {
    return undefined;
  }
}
