/**
 * GreenPipe: one end of an OS pipe whose blocking calls block only the calling green thread. Reads and writes
 * go straight to non-blocking read(2)/write(2) in the addon (native/io); on EAGAIN the green thread parks on
 * the fd in the hub and retries, as {@link GreenSocket} does. No Node stream is involved.
 *
 * It also opens a path (eventlet's `GreenPipe(path, mode)`): a FIFO or a device then behaves as a pipe, and a
 * regular file, always ready, is read and written with plain syscalls, with `seek`, `tell` and `truncate`.
 */
import { constants as FS, fstatSync, ftruncateSync } from 'node:fs';
import { native } from '../io/native';
import { EBADF, GreenFd } from '../io/green-fd';
import { ioError } from '../io/errors';
import { checkReadSize } from '../io/fresh-read';
import { open as openCooperatively } from '../fs/descriptors';
import { GreenFile, checkSeek, checkTruncate, type FileMode, type GreenFileOptions, type SeekWhence } from '../net/file';

const ioRead = native.io_read;
const ioWrite = native.io_write;

/** Bytes to write: a Buffer or any typed array / DataView, or a string (written as UTF-8). */
export type PipeData = string | ArrayBufferView;

/**
 * How {@link GreenPipe.open} opens a path, as Python's `open`: 'r' reads; 'w' writes, creating or emptying the
 * file; 'a' appends, creating it; 'x' creates a new file (EEXIST if there is one); '+' adds the other direction.
 * 'b' may follow the letter (or the '+'), and changes nothing: text is a file's `encoding` option.
 */
export type OpenMode = `${'r' | 'w' | 'a' | 'x'}${'' | '+' | 'b' | '+b' | 'b+'}`;

const adopt: unique symbol = Symbol('adopt');

// Open flags of each mode letter, writing ones without their direction (O_WRONLY, or O_RDWR with '+').
const MODE_FLAGS: Record<string, number> = {
  r: 0,
  w: FS.O_CREAT | FS.O_TRUNC,
  a: FS.O_CREAT | FS.O_APPEND,
  x: FS.O_CREAT | FS.O_EXCL,
};

function parseOpenMode(mode: string): { flags: number; fileMode: FileMode } {
  const match = typeof mode === 'string' ? /^([rwax])(?:\+?b?|b\+)$/.exec(mode) : null;
  if (match === null) {
    throw new TypeError(`not an open mode: ${JSON.stringify(mode)} (use 'r', 'w', 'a' or 'x', with '+' to do both, and 'b' if you like)`);
  }
  const letter = match[1];
  const both = mode.includes('+');
  const direction = both ? FS.O_RDWR : letter === 'r' ? FS.O_RDONLY : FS.O_WRONLY;
  return { flags: MODE_FLAGS[letter] | direction, fileMode: both ? 'rw' : letter === 'r' ? 'r' : 'w' };
}

/**
 * @internal A new pipe as raw fds `[read, write]`, both close-on-exec and still blocking: the caller makes
 * the ends it keeps non-blocking (O_NONBLOCK belongs to the open file, so an end handed to a child must stay
 * blocking, or the child's plain reads would fail with EAGAIN).
 */
export function openPipeFds(): [readFd: number, writeFd: number] {
  const fds = native.io_pipe();
  if (typeof fds === 'number') throw ioError(fds, 'pipe');
  return fds;
}

/** @internal Makes `fd` non-blocking; closes it and throws if that fails. */
export function makeNonBlocking(fd: number): void {
  const r = native.io_set_blocking(fd, false);
  if (r < 0) {
    native.io_close(fd);
    throw ioError(r, 'fcntl');
  }
}

export class GreenPipe extends GreenFd {
  // A regular file (or block device): always ready, with an offset to seek.
  readonly #seekable: boolean;
  // What makefile() makes by default: what open() opened it for; a pipe end's reader.
  readonly #fileMode: FileMode;
  readonly #path: string | undefined;

  /** @internal Use {@link GreenPipe.create}, {@link GreenPipe.fromFd} or {@link GreenPipe.open}. */
  constructor(fd: number, token: typeof adopt, seekable = false, fileMode: FileMode = 'r', path?: string) {
    if (token !== adopt) throw new TypeError('use GreenPipe.create(), GreenPipe.fromFd(fd) or GreenPipe.open(path)');
    // A short read of a regular file says nothing about the next one (it never waits anyway).
    super(fd, !seekable, ioRead, ioWrite);
    this.#seekable = seekable;
    this.#fileMode = fileMode;
    this.#path = path;
  }

  /**
   * A new pipe, as Python's `os.pipe()`: `[reader, writer]`, both non-blocking and close-on-exec (children do
   * not inherit them unless handed over explicitly).
   */
  static create(): [reader: GreenPipe, writer: GreenPipe] {
    const [r, w] = openPipeFds();
    try {
      makeNonBlocking(r);
    } catch (error) {
      native.io_close(w);
      throw error;
    }
    makeNonBlocking(w);
    return [new GreenPipe(r, adopt), new GreenPipe(w, adopt)];
  }

  /**
   * Adopts an open pipe (or FIFO, or terminal) fd: makes it non-blocking. The GreenPipe owns the fd from then
   * on and closes it on {@link GreenFd.close}. O_NONBLOCK belongs to the open file, so another process sharing
   * it (a parent's inherited stdin, say) sees it non-blocking too.
   */
  static fromFd(fd: number): GreenPipe {
    if (!Number.isInteger(fd) || fd < 0) throw new TypeError(`not a file descriptor: ${fd}`);
    const r = native.io_set_blocking(fd, false);
    if (r < 0) throw ioError(r, 'fcntl');
    return new GreenPipe(fd, adopt, isSeekable(fd));
  }

  /**
   * Opens `path` (eventlet's `GreenPipe(path, mode)`; see {@link OpenMode} for the modes) with `permissions` for a
   * file it creates (default 0o666, less the umask). The open runs on the libuv threadpool, so a FIFO with no
   * writer yet blocks only the calling green thread. A FIFO or a device then reads and writes as a pipe does; a
   * regular file is always ready, so its reads and writes are plain syscalls, and it has {@link GreenPipe.seek},
   * {@link GreenPipe.tell} and {@link GreenPipe.truncate}. The fd is close-on-exec.
   *
   * Errors: TypeError for a bad mode; the open's failure as an IOError (ENOENT, EEXIST for 'x', EACCES...).
   *
   * Switch point: always.
   */
  static open(path: string, mode: OpenMode = 'r', permissions = 0o666): GreenPipe {
    if (typeof path !== 'string' || path === '') throw new TypeError(`GreenPipe.open takes a path, not ${JSON.stringify(path)}`);
    const { flags, fileMode } = parseOpenMode(mode);
    let fd: number;
    try {
      fd = openCooperatively(path, flags, permissions);
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).errno;
      if (typeof errno !== 'number') throw error;
      throw ioError(errno, 'open', { address: path, cause: error });
    }
    let seekable: boolean;
    try {
      seekable = isSeekable(fd);
    } catch (error) {
      native.io_close(fd);
      throw error;
    }
    makeNonBlocking(fd); // for FIFOs and devices; closes fd if it fails
    return new GreenPipe(fd, adopt, seekable, fileMode, path);
  }

  /**
   * {@link GreenPipe.open} and {@link GreenPipe.makefile} in one, as eventlet's `GreenPipe(path, mode, buffering)`:
   * a buffered file that owns the fd (closing it closes the fd). Over a regular file it has `seek`, `tell` and
   * `truncate`. Its mode follows `mode` ('r': 'r'; 'w', 'a', 'x': 'w'; with '+': 'rw').
   *
   * Switch point: always.
   */
  static openFile(path: string, mode: OpenMode = 'r', options: GreenFileOptions = {}): GreenFile {
    const pipe = GreenPipe.open(path, mode);
    try {
      return pipe.makefile(undefined, options);
    } finally {
      pipe.close(); // the file keeps the fd; it closes with the file
    }
  }

  /**
   * Reads up to `size` bytes; an empty Buffer means end of stream (every writer closed its end).
   *
   * Switch point: when nothing is in the pipe yet.
   */
  read(size: number): Buffer {
    checkReadSize(size, 'read');
    this.openFd('read');
    return this.readFresh(size, 0, 'read');
  }

  /**
   * Reads into `buffer` (at most `nbytes`, default its length) and returns the byte count; 0 at end of
   * stream. The allocation-free way to read.
   *
   * Switch point: when nothing is in the pipe yet.
   */
  readInto(buffer: ArrayBufferView, nbytes = buffer.byteLength): number {
    if (!ArrayBuffer.isView(buffer)) throw new TypeError('readInto takes a Buffer, a typed array or a DataView');
    if (!Number.isInteger(nbytes) || nbytes < 0 || nbytes > buffer.byteLength) {
      throw new RangeError(`readInto: ${nbytes} bytes do not fit in a ${buffer.byteLength}-byte buffer`);
    }
    this.openFd('read');
    return this.readSome(buffer, 0, nbytes, 0, 'read');
  }

  /**
   * Writes what the pipe takes now (at least one byte, waiting until it can) and returns how many bytes went.
   * Throws {@link BrokenPipeError} when every reader has closed its end.
   *
   * Switch point: when the pipe is full.
   */
  write(data: PipeData): number {
    const bytes = toBytes(data);
    this.openFd('write');
    return this.writeSome(bytes, 0, bytes.byteLength, 0, 'write');
  }

  /**
   * Writes all of `data`, waiting as often as needed; the pipe's timeout bounds the whole call. On an error,
   * `error.bytesWritten` says how much went out.
   *
   * Switch point: when the pipe is full.
   */
  // Public here, with the data-only signature: it stands in for GreenFd's protected (view, offset, length,
  // flags, syscall) form, which it calls through super.
  override writeAll(data: PipeData): void {
    const bytes = toBytes(data);
    this.openFd('write');
    super.writeAll(bytes, 0, bytes.byteLength, 0, 'write');
  }

  /**
   * Moves the offset of a regular file from {@link GreenPipe.open} (lseek): to `offset` from the start (`whence`
   * 0), from the current offset (1) or from the end (2); returns the new offset. On a pipe, an IOError ESPIPE.
   */
  seek(offset: number, whence: SeekWhence = 0): number {
    checkSeek(offset, whence);
    this.openFd('seek');
    return this.#lseek(offset, whence);
  }

  /** The offset of a regular file (where the next read or write goes). On a pipe, an IOError ESPIPE. */
  tell(): number {
    return this.seek(0, 1);
  }

  /**
   * Cuts (or extends with zeros) a regular file to `size` bytes, default the current offset, and moves the offset
   * there, as eventlet's GreenPipe does (Python's own files leave it). Returns the size.
   */
  truncate(size: number | null = null): number {
    checkTruncate(size);
    const at = size ?? this.tell();
    this.openFd('truncate');
    this.#ftruncate(at);
    this.#lseek(at, 0);
    return at;
  }

  /**
   * A buffered file over this pipe end: `read(n)`, `readline()`, iteration over lines for a reader; `write`,
   * `writelines`, `flush` for a writer; over a regular file, `seek`, `tell` and `truncate` too. The default mode
   * is 'r' for a pipe end, and what it was opened for for a path. Closing the file flushes it but leaves the pipe
   * open; closing the pipe leaves the file working, and the fd closes with the last of them (as a socket's).
   */
  makefile(mode: FileMode = this.#fileMode, options: GreenFileOptions = {}): GreenFile {
    return new GreenFile(
      {
        read: (view, offset, length) => this.readSome(view, offset, length, 0, 'read'),
        write: (view, offset, length) => super.writeAll(view, offset, length, 0, 'write'),
        ...this.fileHooks(),
        ...(this.#seekable
          ? { seek: (offset: number, whence: SeekWhence) => this.#lseek(offset, whence), truncate: (size: number) => this.#ftruncate(size) }
          : {}),
      },
      mode,
      options,
    );
  }

  override toString(): string {
    return this.closed ? 'GreenPipe(closed)' : `GreenPipe(fd ${this.fd}${this.#path === undefined ? '' : `, ${this.#path}`})`;
  }

  protected override describe(): string | undefined {
    if (this.fd < 0) return this.#path; // closed: the path still says which file it was
    return this.#path === undefined ? `pipe fd ${this.fd}` : `${this.#path} (fd ${this.fd})`;
  }

  // On the fd as it is, for the pipe's own calls (checked open first) and for its files (which may outlive it).
  #lseek(offset: number, whence: SeekWhence): number {
    const r = native.io_lseek(this.fd, offset, whence);
    if (r < 0) throw this.fail(r, 'lseek');
    return r;
  }

  #ftruncate(size: number): void {
    if (this.fd < 0) throw this.fail(EBADF, 'ftruncate'); // closed under a file: a ClosedError
    try {
      ftruncateSync(this.fd, size);
    } catch (error) {
      const errno = (error as NodeJS.ErrnoException).errno;
      if (typeof errno !== 'number') throw error;
      throw this.fail(errno, 'ftruncate');
    }
  }
}

// Regular files and block devices have an offset and are always ready; pipes, FIFOs, sockets and ttys are not.
function isSeekable(fd: number): boolean {
  const stat = fstatSync(fd);
  return stat.isFile() || stat.isBlockDevice();
}

function toBytes(data: PipeData): ArrayBufferView {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return data;
  throw new TypeError(`can only write a string, a Buffer, a typed array or a DataView, not ${data === null ? 'null' : typeof data}`);
}
