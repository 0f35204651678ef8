/**
 * The Node modules the patcher works on, by the names monkeyPatch takes, and how a selection of them is read.
 *
 * @internal
 */
import childProcess = require('node:child_process');
import crypto = require('node:crypto');
import fs = require('node:fs');
import zlib = require('node:zlib');
import type { ModuleName } from '../tpool/blocking/counterpart';

export type { ModuleName };

/**
 * Which modules to patch (or unpatch), as eventlet's `monkey_patch(os=True, ...)`: no selection means all of
 * them; with some set to true, only those; with only some set to false, all but those.
 */
export type PatchSelection = Partial<Record<ModuleName, boolean>>;

/** The module objects themselves (`require('fs')`, which is `require('node:fs')`): what patching changes. */
export const moduleObjects: Readonly<Record<ModuleName, Record<string, unknown>>> = {
  fs: fs as unknown as Record<string, unknown>,
  childProcess: childProcess as unknown as Record<string, unknown>,
  zlib: zlib as unknown as Record<string, unknown>,
  crypto: crypto as unknown as Record<string, unknown>,
};

/** Every module the patcher knows, in the order messages list them. */
export const moduleNames = Object.keys(moduleObjects) as ModuleName[];

/** Throws a TypeError naming the valid names unless `name` is one of them. */
export function checkModuleName(name: unknown, what: string): asserts name is ModuleName {
  if (!moduleNames.includes(name as ModuleName)) {
    throw new TypeError(`${what} takes one of ${moduleNames.map((n) => `'${n}'`).join(', ')}, not ${String(name)}`);
  }
}

/** The modules a selection names. */
export function selectedModules(selection: PatchSelection | undefined, what: string): ModuleName[] {
  if (selection === undefined) return moduleNames;
  if (selection === null || typeof selection !== 'object') {
    throw new TypeError(`${what} takes an object such as { fs: true, zlib: true }, not ${String(selection)}`);
  }
  for (const key of Object.keys(selection)) checkModuleName(key, `${what}: a selection key`);
  const on = moduleNames.filter((name) => selection[name] === true);
  return on.length > 0 ? on : moduleNames.filter((name) => selection[name] !== false);
}
