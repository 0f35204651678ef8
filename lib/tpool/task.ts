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
