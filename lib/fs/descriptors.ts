/**
 * Operations on open file descriptors: open, read, write, stat, sync, close.
 */
import { cooperative } from './cooperative';

/**
 * Opens a file and returns its fd. As `fs.openSync`. If the calling green thread stops waiting (a Timeout around
 * an open that blocks, as on a FIFO without a writer), the fd that the open yields later is closed, not leaked.
 *
 * Switch point: always.
 */
export const open = cooperative('openSync');

/** Closes an fd. As `fs.closeSync`. Switch point: always. */
export const close = cooperative('closeSync');

/**
 * Reads from an fd into `buffer` — `(fd, buffer, offset, length, position)` or `(fd, buffer, { offset, length,
 * position })` — and returns the number of bytes read. As `fs.readSync`.
 *
 * Switch point: always.
 */
export const read = cooperative('readSync');

/**
 * Writes a buffer (`fd, buffer, offset?, length?, position?`) or a string (`fd, string, position?, encoding?`) to
 * an fd and returns the number of bytes written. As `fs.writeSync`.
 *
 * Switch point: always.
 */
export const write = cooperative('writeSync');

/** Reads into several buffers in turn. As `fs.readvSync`. Switch point: always. */
export const readv = cooperative('readvSync');

/** Writes several buffers in turn. As `fs.writevSync`. Switch point: always. */
export const writev = cooperative('writevSync');

/** The fs.Stats of an open fd. As `fs.fstatSync`. Switch point: always. */
export const fstat = cooperative('fstatSync');

/** Flushes an fd's data and metadata to storage. As `fs.fsyncSync`. Switch point: always. */
export const fsync = cooperative('fsyncSync');

/** Flushes an fd's data to storage. As `fs.fdatasyncSync`. Switch point: always. */
export const fdatasync = cooperative('fdatasyncSync');

/** Truncates an open file. As `fs.ftruncateSync`. Switch point: always. */
export const ftruncate = cooperative('ftruncateSync');
