/**
 * lib/fs: green file operations. The common `fs.*Sync` operations with the same arguments, results and errors,
 * run on the libuv threadpool so that only the calling green thread waits: swap `fs.readFileSync(p, 'utf8')` for
 * `fs.readFile(p, 'utf8')` from here. Errors are Node's own (ErrnoException with code, errno, syscall, path; its
 * validation errors for bad arguments). On the main stack, every operation throws a HubBlockingError.
 *
 * A Timeout (or kill) ends the wait, not the operation: the threadpool finishes it and its result is dropped
 * (an fd from a late `open` is closed). See docs/fs-tpool-patcher.md.
 *
 * @packageDocumentation
 */
export { readFile, writeFile, appendFile, copyFile, truncate } from './whole-files';
export { open, close, read, write, readv, writev, fstat, fsync, fdatasync, ftruncate } from './descriptors';
export {
  stat,
  lstat,
  readdir,
  mkdir,
  mkdtemp,
  rmdir,
  rm,
  unlink,
  rename,
  access,
  exists,
  realpath,
  readlink,
  symlink,
  link,
  chmod,
  utimes,
} from './paths';
/** Node's fs constants (open flags, access modes, COPYFILE_*), for convenience. */
export { constants } from 'node:fs';
