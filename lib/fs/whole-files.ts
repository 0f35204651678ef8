/**
 * Whole-file operations: read, write, append, copy, truncate.
 */
import { cooperative } from './cooperative';

/**
 * Reads a whole file: `readFile(path, 'utf8')` returns a string, `readFile(path)` a Buffer. As `fs.readFileSync`.
 *
 * Switch point: always (unless the arguments are invalid).
 */
export const readFile = cooperative('readFileSync');

/** Writes a whole file, replacing it. As `fs.writeFileSync`. Switch point: always. */
export const writeFile = cooperative('writeFileSync');

/** Appends to a file, creating it if needed. As `fs.appendFileSync`. Switch point: always. */
export const appendFile = cooperative('appendFileSync');

/** Copies a file (`mode`: `fs.constants.COPYFILE_*`). As `fs.copyFileSync`. Switch point: always. */
export const copyFile = cooperative('copyFileSync');

/** Truncates (or extends with zeros) a file to `len` bytes. As `fs.truncateSync`. Switch point: always. */
export const truncate = cooperative('truncateSync');
