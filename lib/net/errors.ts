/**
 * The error classes of lib/net that are not I/O errors of an fd (those are in lib/io/errors.ts, re-exported from
 * here by ./index.ts; TLS has its own in ./tls/errors.ts).
 */

/**
 * A read from a {@link GreenFile} opened write-only (mode `'w'`), or a write to one opened read-only (`'r'`), as
 * Python's `io.UnsupportedOperation`. `operation` is the call (`read`, `readline`, `write`, ...), `mode` the
 * file's mode.
 *
 * Permanent for that file: retrying cannot help; make a file with the mode the call needs (`makefile('rw')`).
 */
export class FileModeError extends Error {
  /** The call that was refused. */
  readonly operation: string;
  /** The mode the file was opened with. */
  readonly mode: string;

  constructor(operation: string, mode: string, need: 'r' | 'w') {
    const can = need === 'r' ? 'reading' : 'writing';
    super(`${operation} refused: this GreenFile was opened with mode '${mode}', which does not allow ${can}`);
    this.name = new.target.name;
    this.operation = operation;
    this.mode = mode;
  }
}
