/**
 * A counterpart: how to run one of Node's blocking `*Sync` functions without blocking the process, through its
 * callback-style twin (which runs on the libuv threadpool, or in a child process), and wait for it from a green
 * thread. lib/fs, tpool.execute and the patcher all go through {@link callCooperatively}.
 *
 * @internal The table itself is ./table.ts.
 */
import { waitFor, nodeCallback } from '../../runtime/completion';
import { requireGreen } from '../../runtime/hub';

/** The Node modules whose blocking functions verdant knows, by the names `monkeyPatch` takes. */
export type ModuleName = 'fs' | 'childProcess' | 'zlib' | 'crypto';

/** Node's own name of each module, for messages (`child_process.execSync`). */
export const nodeModuleNames: Readonly<Record<ModuleName, string>> = {
  fs: 'fs',
  childProcess: 'child_process',
  zlib: 'zlib',
  crypto: 'crypto',
};

/** How a counterpart reports its end: Node's `(error, value)` convention. */
export type Done = (error: unknown, value?: unknown) => void;

/** A blocking function and the non-blocking way to get the same result. */
export interface Counterpart {
  readonly module: ModuleName;
  /** The property of the module object, e.g. `readFileSync`. */
  readonly property: string;
  /** For messages and wait reasons, e.g. `fs.readFileSync`. */
  readonly name: string;
  /** The blocking function as Node defines it (captured when verdant loaded, before any patching). */
  readonly original: (...args: any[]) => unknown;
  /**
   * Starts the non-blocking equivalent of `original(...args)` and reports its result through `done`. Bad
   * arguments throw here, synchronously, as they do in `original`. Returns how to release what the operation
   * holds if its waiter leaves early (a Timeout, a kill), when there is something to release.
   */
  start(args: unknown[], done: Done): (() => void) | void;
  /** False for arguments only the blocking original can handle: those calls run the original instead. */
  handles?(args: unknown[]): boolean;
}

type AsyncFunction = (...args: any[]) => unknown;

/**
 * The common case: `module[asyncName](...args, callback)`, where the callback's value is the sync function's
 * result. Arguments past `arity` are dropped and trailing undefined ones omitted, because the callback APIs find
 * their callback by position (`fs.readFile(path, callback)`), while the sync ones simply default what is missing.
 */
export function callbackCounterpart(
  module: ModuleName,
  moduleObject: object,
  property: string,
  arity: number,
): Counterpart {
  const original = (moduleObject as Record<string, AsyncFunction>)[property];
  const asyncFn = (moduleObject as Record<string, AsyncFunction>)[property.replace(/Sync$/, '')];
  if (typeof original !== 'function' || typeof asyncFn !== 'function') {
    // cannot happen: the table lists only calls every supported Node (package.json engines) has in both styles.
    throw new Error(`verdant: ${nodeModuleNames[module]}.${property} has no callback-style twin on this Node version`);
  }
  return {
    module,
    property,
    name: `${nodeModuleNames[module]}.${property}`,
    original,
    start(args, done) {
      asyncFn.call(moduleObject, ...leadingArguments(args, arity), done);
    },
  };
}

/** `args` cut to `arity`, without trailing undefined values. */
export function leadingArguments(args: unknown[], arity: number): unknown[] {
  let n = Math.min(args.length, arity);
  while (n > 0 && args[n - 1] === undefined) n--;
  return args.length === n ? args : args.slice(0, n);
}

/**
 * Runs `entry` for `args` from the current green thread: blocks only it until the counterpart reports, then
 * returns the value or throws the error (Node's own, unchanged). On the main stack: a HubBlockingError naming
 * `operation` (default: the sync function). Calls with arguments the counterpart does not handle run the blocking
 * original.
 *
 * Switch point: unless the counterpart fails synchronously (bad arguments).
 */
export function callCooperatively(entry: Counterpart, args: unknown[], operation = entry.name): unknown {
  requireGreen(operation);
  if (entry.handles !== undefined && !entry.handles(args)) return entry.original(...args);
  let release: (() => void) | void;
  return waitFor(
    operation,
    (resolve, reject) => {
      release = entry.start(args, nodeCallback(resolve, reject));
    },
    () => release?.(),
  );
}
