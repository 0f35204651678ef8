/**
 * Operations on paths: stat, directories, links, renames, removal, permissions.
 */
import { cooperative } from './cooperative';

/**
 * The fs.Stats of a path, following symlinks; with `{ throwIfNoEntry: false }`, undefined for a missing path.
 * As `fs.statSync`.
 *
 * Switch point: always.
 */
export const stat = cooperative('statSync');

/** The fs.Stats of a path itself (a symlink is not followed). As `fs.lstatSync`. Switch point: always. */
export const lstat = cooperative('lstatSync');

/**
 * The entries of a directory: names, or fs.Dirent objects with `{ withFileTypes: true }`. As `fs.readdirSync`.
 *
 * Switch point: always.
 */
export const readdir = cooperative('readdirSync');

/**
 * Creates a directory; with `{ recursive: true }`, its missing parents too, returning the first directory
 * created (or undefined if none was). As `fs.mkdirSync`.
 *
 * Switch point: always.
 */
export const mkdir = cooperative('mkdirSync');

/** Creates a unique directory named `prefix` plus six random characters, and returns its path. As `fs.mkdtempSync`. */
export const mkdtemp = cooperative('mkdtempSync');

/** Removes an empty directory. As `fs.rmdirSync`. Switch point: always. */
export const rmdir = cooperative('rmdirSync');

/** Removes a file or (with `{ recursive: true }`) a directory tree. As `fs.rmSync`. Switch point: always. */
export const rm = cooperative('rmSync');

/** Removes a file or symlink. As `fs.unlinkSync`. Switch point: always. */
export const unlink = cooperative('unlinkSync');

/** Renames (moves) a file or directory. As `fs.renameSync`. Switch point: always. */
export const rename = cooperative('renameSync');

/**
 * Checks that the path is accessible with `mode` (`fs.constants.F_OK`, `R_OK`, ...): returns, or throws the
 * errno error. As `fs.accessSync`.
 *
 * Switch point: always.
 */
export const access = cooperative('accessSync');

/** True if the path exists; never throws (a bad path is false). As `fs.existsSync`. Switch point: always. */
export const exists = cooperative('existsSync');

/** The canonical absolute path, with symlinks resolved. As `fs.realpathSync`. Switch point: always. */
export const realpath = cooperative('realpathSync');

/** The target of a symlink. As `fs.readlinkSync`. Switch point: always. */
export const readlink = cooperative('readlinkSync');

/** Creates a symlink at `path` pointing to `target`. As `fs.symlinkSync`. Switch point: always. */
export const symlink = cooperative('symlinkSync');

/** Creates a hard link. As `fs.linkSync`. Switch point: always. */
export const link = cooperative('linkSync');

/** Changes a path's permission bits. As `fs.chmodSync`. Switch point: always. */
export const chmod = cooperative('chmodSync');

/** Changes a path's access and modification times. As `fs.utimesSync`. Switch point: always. */
export const utimes = cooperative('utimesSync');
