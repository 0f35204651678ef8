/**
 * verdant's own error classes across the thread boundary. A class cannot cross threads, so a task's error
 * travels as data (./remote-error.ts); for the classes verdant defines, the data also names the class, and the
 * calling thread rebuilds an instance of it: a `Timeout` raised in a task is caught as a `Timeout`.
 *
 * Classes are named by their module, relative to lib/, and their export. Neither thread loads a module for this
 * alone: the worker looks only at modules already loaded there (an error of a class whose module is not loaded
 * cannot exist), and the calling thread requires the module only when an error of one of its classes arrives.
 * The modules listed are the error modules of layers that do not depend on lib/tpool.
 *
 * @internal
 */
import * as path from 'node:path';

const MODULES = [
  'runtime/errors',
  'time/timeout',
  'sync/errors',
  'pool/errors',
  'resource/errors',
  'io/errors',
  'tpool/errors',
] as const;

type ErrorClass = new (...args: never[]) => Error;

const libDir = path.join(__dirname, '..');

function fileOf(module: string): string {
  return path.join(libDir, `${module}.js`);
}

/**
 * The name (`module#Export`) of the verdant class of `error`, the most derived one, if the class belongs to a
 * module this thread has loaded.
 */
export function verdantClassOf(error: Error): string | undefined {
  const names = new Map<unknown, string>();
  for (const module of MODULES) {
    const exports = require.cache[fileOf(module)]?.exports as Record<string, unknown> | undefined;
    if (exports === undefined) continue;
    for (const [name, value] of Object.entries(exports)) {
      if (typeof value === 'function') names.set(value, `${module}#${name}`);
    }
  }
  if (names.size === 0) return undefined;
  for (let proto = Object.getPrototypeOf(error); proto !== null && proto !== Error.prototype; ) {
    const name = names.get(Object.getOwnPropertyDescriptor(proto, 'constructor')?.value);
    if (name !== undefined) return name;
    proto = Object.getPrototypeOf(proto);
  }
  return undefined;
}

/**
 * A blank instance of the verdant class `name` (from {@link verdantClassOf}) with `message`, or undefined for a
 * name that is not one of them. The constructor is not run with made-up arguments: the instance is made as an
 * Error whose prototype is the class's; the caller copies the error's own properties onto it. Timeout is the
 * exception, because its methods need the private state only its constructor sets up: it is constructed disarmed.
 */
export function blankVerdantError(name: string, message: string): Error | undefined {
  const hash = name.indexOf('#');
  const module = name.slice(0, hash);
  if (hash < 0 || !(MODULES as readonly string[]).includes(module)) return undefined;
  const exported = (require(fileOf(module)) as Record<string, unknown>)[name.slice(hash + 1)];
  if (typeof exported !== 'function' || !(exported.prototype instanceof Error)) return undefined;
  if (module === 'time/timeout') {
    const timeout = new (exported as new (seconds: null) => Error)(null);
    timeout.message = message;
    return timeout;
  }
  return Reflect.construct(Error, [message], exported as ErrorClass) as Error;
}
