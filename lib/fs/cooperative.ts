/**
 * How the functions of lib/fs are made: each is Node's `fs.*Sync` function run through its callback twin on the
 * libuv threadpool (the table in lib/tpool/blocking), with the sync function's exact signature.
 *
 * @internal
 */
import type * as nodeFs from 'node:fs';
import { callCooperatively } from '../tpool/blocking/counterpart';
import { counterpart, registerCooperative } from '../tpool/blocking/table';

type SyncFs = typeof nodeFs;
type SyncName = keyof SyncFs & `${string}Sync`;

/**
 * The green version of `fs[property]`: same arguments, same result, same errors, but only the calling green thread
 * waits. On the main stack it throws a HubBlockingError.
 */
export function cooperative<K extends SyncName>(property: K): SyncFs[K] {
  const entry = counterpart('fs', property);
  const name = property.replace(/Sync$/, '');
  const operation = `fs.${name}`;
  const green = (...args: unknown[]) => callCooperatively(entry, args, operation);
  Object.defineProperty(green, 'name', { value: name });
  registerCooperative(green, entry);
  return green as SyncFs[K];
}
