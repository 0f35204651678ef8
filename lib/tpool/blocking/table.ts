/**
 * The table of Node's blocking functions that verdant can run without blocking the process: for each `*Sync`
 * function of fs, zlib, crypto and child_process, its {@link Counterpart}. lib/fs is made of these, tpool.execute
 * runs them when handed the sync function, and the patcher installs them in place of the originals.
 *
 * @internal
 */
import { childProcessCounterparts } from './child-process';
import type { Counterpart, ModuleName } from './counterpart';
import { cryptoCounterparts } from './crypto';
import { fsCounterparts } from './fs';
import { zlibCounterparts } from './zlib';

const byName = new Map<string, Counterpart>();
const byFunction = new Map<Function, Counterpart>();

for (const entry of [...fsCounterparts, ...zlibCounterparts, ...cryptoCounterparts, ...childProcessCounterparts]) {
  byName.set(`${entry.module}.${entry.property}`, entry);
  byFunction.set(entry.original, entry);
}

/** The counterpart of `module.property` (e.g. `fs`, `readFileSync`); throws if the table has none. */
export function counterpart(module: ModuleName, property: string): Counterpart {
  const entry = byName.get(`${module}.${property}`);
  // cannot happen for lib's own callers (fixed names from the table); patcher.original turns it into a TypeError.
  if (entry === undefined) throw new Error(`verdant: no cooperative counterpart for ${module}.${property}`);
  return entry;
}

/** The counterpart of a blocking function (the original, or a cooperative version of it), if it has one. */
export function counterpartOf(fn: Function): Counterpart | undefined {
  return byFunction.get(fn);
}

/** Every counterpart of `module`'s functions. */
export function counterpartsOf(module: ModuleName): Counterpart[] {
  return [...byName.values()].filter((entry) => entry.module === module);
}

/**
 * Records that `fn` is a cooperative version of `entry.original` (a lib/fs function, a patched module property),
 * so that tpool.execute(fn) knows it too.
 */
export function registerCooperative(fn: Function, entry: Counterpart): void {
  byFunction.set(fn, entry);
}
