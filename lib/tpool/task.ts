/**
 * Task references: which function a worker thread should run, given as `{ module, name }` or `'module#name'`,
 * resolved in the calling thread to a file the worker can load.
 *
 * @internal
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A function for a worker thread to run: the module that exports it and the export's name. `module` is an
 * absolute path, a `file:` URL, or a specifier resolved (with require's rules) from the current directory:
 * `'./tasks.js'`, `'some-package/hash'`.
 */
export interface TaskRef {
  module: string;
  name: string;
}

/**
 * What a proxy stands for (`tpool.proxy`): the module `module` itself, or its export `name`. As a string:
 * `'module'` or `'module#name'`.
 */
export interface ModuleRef {
  module: string;
  name?: string;
}

/** A task ready to send to a worker: the absolute file to load, and the export. */
export interface ResolvedTask {
  file: string;
  name: string;
}

const resolved = new Map<string, string>();

/** True for `{ module, name }` objects and `'module#name'` strings. */
export function isTaskRef(value: unknown): value is TaskRef | string {
  if (typeof value === 'string') return true;
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as TaskRef).module === 'string' &&
    typeof (value as TaskRef).name === 'string'
  );
}

/** Checks and resolves a task reference. Throws a TypeError for a malformed one, Node's error for a missing module. */
export function resolveTask(task: TaskRef | string): ResolvedTask {
  const { module, name } = typeof task === 'string' ? splitTaskString(task) : task;
  if (module === '') throw new TypeError('tpool task: the module is an empty string');
  if (name === '') throw new TypeError(`tpool task: the export name for ${module} is an empty string`);
  return { file: resolveModule(module), name };
}

/** Checks and resolves what a proxy stands for: the file to load, and the export (null: the module itself). */
export function resolveModuleRef(target: ModuleRef | string): { file: string; name: string | null } {
  let module: unknown;
  let name: unknown;
  if (typeof target === 'string') {
    const hash = target.lastIndexOf('#');
    [module, name] = hash < 0 ? [target, undefined] : [target.slice(0, hash), target.slice(hash + 1)];
  } else if (target !== null && typeof target === 'object') {
    ({ module, name } = target);
  }
  if (typeof module !== 'string' || (name !== undefined && typeof name !== 'string')) {
    throw new TypeError(
      "tpool.proxy takes what to proxy as { module, name? }, 'module#name' or 'module' (the module itself)",
    );
  }
  if (module === '') throw new TypeError('tpool.proxy: the module is an empty string');
  if (name === '') throw new TypeError(`tpool.proxy: the export name for ${module} is an empty string`);
  return { file: resolveModule(module), name: name ?? null };
}

function splitTaskString(task: string): TaskRef {
  const hash = task.lastIndexOf('#');
  if (hash < 0) {
    throw new TypeError(
      `tpool task "${task}" names no export: write it as "module#exportName" (e.g. "/abs/tasks.js#hash") ` +
        'or pass { module, name }',
    );
  }
  return { module: task.slice(0, hash), name: task.slice(hash + 1) };
}

function resolveModule(module: string): string {
  if (module.startsWith('file:')) return fileURLToPath(module);
  if (path.isAbsolute(module)) return module;
  const cwd = process.cwd();
  const key = `${cwd}\0${module}`;
  let file = resolved.get(key);
  if (file === undefined) {
    file = createRequire(path.join(cwd, '[tpool]')).resolve(module);
    resolved.set(key, file);
  }
  return file;
}

/** How a task is named in messages. */
export function describeTask(task: ResolvedTask): string {
  return `"${task.name}" from ${task.file}`;
}
