/**
 * monkeyPatch: makes the blocking `*Sync` functions of fs, child_process, zlib and crypto cooperative in green
 * threads, by replacing them on the module objects. A replaced function called inside a green thread runs its
 * counterpart from the table in lib/tpool/blocking and blocks only that green thread; on the main stack (and
 * while the green thread is inside require()) it calls the function it replaced, unchanged.
 */
import { syncBuiltinESMExports } from 'node:module';
import { Greenlet, getCurrent } from '../runtime/greenlet';
import { callCooperatively, type Counterpart } from '../tpool/blocking/counterpart';
import { counterpart, counterpartsOf, registerCooperative } from '../tpool/blocking/table';
import { warnAboutCaptures } from './captures';
import { guardModuleLoading, loadingModule, unguardModuleLoading } from './module-loading';
import {
  checkModuleName,
  moduleObjects,
  selectedModules,
  type ModuleName,
  type PatchSelection,
} from './modules';

interface Patch {
  readonly entry: Counterpart;
  /** What the property held before patching (normally Node's original). */
  readonly previous: (...args: unknown[]) => unknown;
  readonly replacement: (...args: unknown[]) => unknown;
}

const main = Greenlet.getMain();
const active = new Map<ModuleName, Patch[]>();

/**
 * Replaces the blocking functions of the selected modules (default: all four — `fs`, `childProcess`, `zlib`,
 * `crypto`) with cooperative versions, and returns a function that undoes exactly this call's patches. Modules
 * already patched are left as they are. The ESM namespaces (`import { readFileSync } from 'node:fs'`) are updated
 * too.
 *
 * Emits one `VerdantPatchWarning` naming loaded modules that export a captured original (they will keep
 * blocking); references kept privately cannot be seen, so patch early, before loading other modules.
 */
export function monkeyPatch(selection?: PatchSelection): () => void {
  const names = selectedModules(selection, 'monkeyPatch').filter((name) => !active.has(name));
  for (const name of names) active.set(name, counterpartsOf(name).map((entry) => install(entry)));
  if (names.includes('fs')) guardModuleLoading();
  if (names.length > 0) syncBuiltinESMExports();
  if (names.length > 0) {
    warnAboutCaptures(
      names.flatMap((name) =>
        active.get(name)!.flatMap(({ entry, previous }) => [
          { fn: previous, name: entry.name },
          { fn: entry.original, name: entry.name },
        ]),
      ),
    );
  }
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    restore(names);
  };
}

/**
 * Puts the original functions back on the selected modules (default: every patched module). A property that
 * was replaced again by someone else since patching is left alone.
 */
export function unpatch(selection?: PatchSelection): void {
  restore(selectedModules(selection, 'unpatch'));
}

/** True while `name` (`'fs'`, `'childProcess'`, `'zlib'`, `'crypto'`) is patched. */
export function isPatched(name: ModuleName): boolean {
  checkModuleName(name, 'isPatched');
  return active.has(name);
}

/**
 * Node's original blocking functions, whether patched or not: `original('fs')` gives an object of the functions
 * the patcher replaces in fs (`{ readFileSync, statSync, ... }`), `original('fs.readFileSync')` one of them.
 */
export function original(name: ModuleName): Readonly<Record<string, (...args: any[]) => unknown>>;
export function original(name: `${ModuleName}.${string}`): (...args: any[]) => unknown;
export function original(name: string): unknown {
  const dot = name.indexOf('.');
  const module = dot < 0 ? name : name.slice(0, dot);
  checkModuleName(module, 'original');
  if (dot < 0) return Object.freeze(Object.fromEntries(counterpartsOf(module).map((e) => [e.property, e.original])));
  const property = name.slice(dot + 1);
  try {
    return counterpart(module, property).original;
  } catch {
    throw new TypeError(`original: the patcher does not replace ${name}`);
  }
}

function install(entry: Counterpart): Patch {
  const object = moduleObjects[entry.module];
  const previous = object[entry.property] as Patch['previous'];
  const replacement = cooperativeVersion(entry, previous);
  object[entry.property] = replacement;
  return { entry, previous, replacement };
}

function restore(names: ModuleName[]): void {
  const restored = names.filter((name) => active.has(name));
  for (const name of restored) {
    const object = moduleObjects[name];
    for (const { entry, previous, replacement } of active.get(name)!) {
      if (object[entry.property] === replacement) object[entry.property] = previous;
    }
    active.delete(name);
  }
  if (restored.includes('fs')) unguardModuleLoading();
  if (restored.length > 0) syncBuiltinESMExports();
}

/** `previous` on the main stack and inside require(); the counterpart in a green thread. */
function cooperativeVersion(entry: Counterpart, previous: Patch['previous']): Patch['replacement'] {
  const replacement = function (this: unknown, ...args: unknown[]): unknown {
    if (getCurrent() === main || loadingModule()) return previous.apply(this, args);
    return callCooperatively(entry, args);
  };
  // Look like the original: its name and arity, and its own properties (fs.realpathSync.native).
  for (const key of Reflect.ownKeys(previous)) {
    if (key === 'prototype') continue;
    const descriptor = Reflect.getOwnPropertyDescriptor(previous, key)!;
    Object.defineProperty(replacement, key, descriptor);
  }
  registerCooperative(replacement, entry);
  return replacement;
}
