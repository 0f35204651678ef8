/**
 * The rows of the blocking-function table for `fs`: each `*Sync` function and its callback twin, which runs on
 * the libuv threadpool.
 *
 * @internal Part of ./table.ts.
 */
import * as fs from 'node:fs';
import { callbackCounterpart, type Counterpart, type Done } from './counterpart';

/** Sync functions whose callback twin takes the same arguments, with how many come before the callback. */
const sameArguments: Record<string, number> = {
  readFileSync: 2,
  writeFileSync: 3,
  appendFileSync: 3,
  closeSync: 1,
  writeSync: 5,
  fstatSync: 2,
  readdirSync: 2,
  mkdirSync: 2,
  rmdirSync: 2,
  rmSync: 2,
  unlinkSync: 1,
  renameSync: 2,
  accessSync: 2,
  realpathSync: 2,
  copyFileSync: 3,
  truncateSync: 2,
  ftruncateSync: 2,
  fsyncSync: 1,
  fdatasyncSync: 1,
  mkdtempSync: 2,
  readlinkSync: 2,
  symlinkSync: 3,
  linkSync: 2,
  chmodSync: 2,
  fchmodSync: 2,
  chownSync: 3,
  fchownSync: 3,
  lchownSync: 3,
  utimesSync: 3,
  futimesSync: 3,
  lutimesSync: 3,
  readvSync: 3,
  writevSync: 3,
};

function row(property: string, start: Counterpart['start']): Counterpart {
  const original = (fs as unknown as Record<string, (...args: any[]) => unknown>)[property];
  return { module: 'fs', property, name: `fs.${property}`, original, start };
}

// openSync: an fd that arrives after its waiter left (a Timeout around a blocked open) is closed, not leaked.
const open = row('openSync', (args, done) => {
  let abandoned = false;
  fs.open(...(args.slice(0, 3) as [fs.PathLike]), (error, fd) => {
    if (!abandoned) done(error, fd);
    else if (error === null) fs.close(fd, () => {});
  });
  return () => {
    abandoned = true;
  };
});

// readSync(fd, buffer[, options]) and readSync(fd, buffer, offset, length, position): fs.read tells the two forms
// apart by its argument count, so each form is passed on whole.
const read = row('readSync', (args, done) => {
  const [fd, buffer, offsetOrOptions, length, position] = args as [number, NodeJS.ArrayBufferView, any, any, any];
  if (args.length <= 3 || typeof offsetOrOptions === 'object') fs.read(fd, buffer, offsetOrOptions ?? null, done);
  else fs.read(fd, buffer, offsetOrOptions, length, position, done);
});

// statSync and lstatSync take `throwIfNoEntry: false` (a missing file gives undefined); the callback twins don't.
function statRow(property: 'statSync' | 'lstatSync', stat: typeof fs.stat): Counterpart {
  return row(property, (args, done) => {
    const [path, options] = args as [fs.PathLike, (fs.StatOptions & { throwIfNoEntry?: boolean }) | undefined];
    const quiet = options?.throwIfNoEntry === false;
    const finish: Done = (error, stats) => {
      if (quiet && (error as NodeJS.ErrnoException | null)?.code === 'ENOENT') done(null, undefined);
      else done(error, stats);
    };
    if (options === undefined) stat(path, finish);
    else stat(path, options as fs.StatOptions, finish as never);
  });
}

// existsSync never throws: a bad path or a failed check is false.
const exists = row('existsSync', (args, done) => {
  try {
    fs.access(args[0] as fs.PathLike, (error) => done(null, error === null));
  } catch {
    done(null, false);
  }
});

/** The fs rows. */
export const fsCounterparts: Counterpart[] = [
  ...Object.entries(sameArguments).map(([property, arity]) => callbackCounterpart('fs', fs, property, arity)),
  open,
  read,
  statRow('statSync', fs.stat),
  statRow('lstatSync', fs.lstat),
  exists,
];
