/**
 * GreenFile: a buffered reader and writer over a green socket or pipe (Python's `socket.makefile()`):
 * `read(n)`, `readline()`, iteration over lines, `write`, `flush`; over a regular file (`GreenPipe.open`), `seek`,
 * `tell` and `truncate` too. Reads block only the calling green thread.
 */
import { native } from '../io/native';
import { ClosedError, IOError } from '../io/errors';
import { FileModeError } from './errors';

const ESPIPE = -native.io_constants.ESPIPE;

/** The calls a GreenFile makes on what it wraps: `read` and `write` always, the others when it has them. */
export interface ByteChannel {
  /** Reads at most `length` bytes into `view` at `offset`, waiting for some; 0 at end of stream. */
  read(view: Uint8Array, offset: number, length: number): number;
  /** Writes all the bytes, waiting as needed. */
  write(view: Uint8Array, offset: number, length: number): void;
  /**
   * The file is done with the channel: called once, when the file closes, or when it is garbage-collected without
   * having been closed. A socket's channel lets go of the fd here (the fd closes with the socket's last user).
   */
  close?(): void;
  /** The fd under the channel (for {@link GreenFile.fileno}, and so for `select`). */
  fileno?(): number;
  /** Present when the channel is a seekable file: lseek(2) (`whence` 0, 1 or 2); returns the new offset. */
  seek?(offset: number, whence: SeekWhence): number;
  /** With `seek`: ftruncate(2) to `size` bytes (the offset stays where it is). */
  truncate?(size: number): void;
}

/** Where {@link GreenFile.seek} counts from: 0 the start (SEEK_SET), 1 the current offset (SEEK_CUR), 2 the end (SEEK_END). */
export type SeekWhence = 0 | 1 | 2;

// A channel's close() for files collected unclosed: what CPython does at once when the last reference goes.
const dropped = new FinalizationRegistry<ByteChannel>((channel) => channel.close!());

/** 'r' reads, 'w' writes, 'rw' both ('rb', 'wb', 'rwb' mean the same: GreenFiles are binary unless given an encoding). */
export type FileMode = 'r' | 'w' | 'rw' | 'rb' | 'wb' | 'rwb';

export interface GreenFileOptions {
  /** Bytes of read buffer and of write buffer (each allocated on first use); default 8 KiB. A line longer than
   * the read buffer grows it. */
  bufferSize?: number;
  /** With an encoding, reads return strings in it and writes take them; without one, Buffers. */
  encoding?: BufferEncoding;
  /**
   * The longest line, `\n` included, that {@link GreenFile.readline} without a limit (and iteration over lines)
   * holds for a peer before it throws a {@link LineTooLongError}; default 1 MiB ({@link DEFAULT_MAX_LINE_SIZE}).
   * `null` lifts it, as Python's files have none: only for a trusted peer.
   */
  maxLineSize?: number | null;
}

/** The default {@link GreenFileOptions.maxLineSize}: 1 MiB. */
export const DEFAULT_MAX_LINE_SIZE = 1024 * 1024;

/**
 * A line grew past the file's `maxLineSize` before its `\n` came. The bytes read stay buffered: `read(n)` takes
 * them, a `readline(limit)` takes them in pieces, and a later `readline()` throws again.
 *
 * Permanent for that line: the peer sent more than the file accepts.
 */
export class LineTooLongError extends Error {
  /** The `maxLineSize` the line went past. */
  readonly limit: number;

  constructor(limit: number) {
    super(`a line longer than ${limit} bytes (maxLineSize); read it in pieces with readline(limit) or read(n)`);
    this.name = new.target.name;
    this.limit = limit;
  }
}

const NEWLINE = 0x0a;
const EMPTY = Buffer.alloc(0);

export class GreenFile implements Iterable<Buffer | string> {
  readonly mode: FileMode;
  readonly encoding: BufferEncoding | undefined;
  #channel: ByteChannel;
  // Over a seekable file: one offset for reads and writes, so the buffers must agree with it (as Python's
  // BufferedRandom); over a stream, reads and writes are independent.
  #positioned: boolean;
  #size: number;
  #maxLine: number | null;
  // Unread bytes are #in[#start, #end).
  #in: Buffer;
  #start = 0;
  #end = 0;
  #eof = false;
  #out: Buffer;
  #pending = 0;
  #closed = false;

  /**
   * A file over `channel` (sockets, pipes and TLS sockets make theirs with `makefile`). Bad arguments are a
   * TypeError or RangeError, after which the channel's `close` has run: the file that would have used it is not.
   */
  constructor(channel: ByteChannel, mode: FileMode = 'rw', options: GreenFileOptions = {}) {
    let checked: { size: number; maxLine: number | null };
    try {
      checked = checkFileArguments(mode, options);
    } catch (error) {
      channel.close?.();
      throw error;
    }
    this.#maxLine = checked.maxLine;
    this.mode = mode;
    this.encoding = options.encoding;
    this.#channel = channel;
    this.#positioned = channel.seek !== undefined;
    this.#size = checked.size;
    this.#in = EMPTY;
    this.#out = EMPTY;
    if (channel.close !== undefined) dropped.register(this, channel, this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * The fd under the file (the socket's or pipe's, even once that object was closed while the file stays open);
   * -1 once the file is closed. A TypeError if what it wraps has no fd.
   */
  fileno(): number {
    if (this.#channel.fileno === undefined) throw new TypeError('fileno: this GreenFile wraps a channel without a file descriptor');
    return this.#closed ? -1 : this.#channel.fileno();
  }

  /**
   * Reads `size` bytes, fewer only at end of stream; with no size (or a negative one, or null), everything up to
   * end of stream. A size that is not an integer is a TypeError.
   *
   * Switch point: when the buffer does not hold enough.
   */
  read(size: number | null = -1): Buffer | string {
    size = sizeArgument(size, 'read');
    this.#check('r', 'read');
    if (size < 0) {
      while (this.#fill()) {}
      return this.#take(this.#end - this.#start);
    }
    while (this.#end - this.#start < size && this.#fill()) {}
    return this.#take(Math.min(size, this.#end - this.#start));
  }

  /**
   * Reads what one recv brings (at most `size` bytes), or what is buffered if anything is; empty at end of
   * stream. For protocols that read "whatever has arrived".
   */
  read1(size: number | null = this.#size): Buffer | string {
    size = sizeArgument(size, 'read1');
    this.#check('r', 'read1');
    if (size < 0) size = this.#size;
    if (this.#end === this.#start) this.#fill();
    return this.#take(Math.min(size, this.#end - this.#start));
  }

  /**
   * Reads one line, its `\n` included; the last line may lack it; empty at end of stream. With `limit`, at most
   * that many bytes (the rest of a longer line comes with the next call). Without one, a line longer than the
   * file's `maxLineSize` is a {@link LineTooLongError}.
   *
   * Switch point: when the buffer holds no full line.
   */
  readline(limit: number | null = -1): Buffer | string {
    limit = sizeArgument(limit, 'readline');
    this.#check('r', 'readline');
    let scanned = this.#start;
    for (;;) {
      const at = this.#in.indexOf(NEWLINE, scanned);
      const length = at >= 0 && at < this.#end ? at + 1 - this.#start : -1;
      if (limit < 0 && this.#maxLine !== null && (length > this.#maxLine || (length < 0 && this.#end - this.#start >= this.#maxLine))) {
        throw new LineTooLongError(this.#maxLine);
      }
      if (length >= 0) return this.#take(Math.min(length, limit >= 0 ? limit : Infinity));
      if (limit >= 0 && this.#end - this.#start >= limit) return this.#take(limit);
      scanned = this.#end;
      const before = this.#start;
      if (!this.#fill()) return this.#take(this.#end - this.#start);
      scanned -= before - this.#start; // #fill may have moved the unread bytes to the front
    }
  }

  /** All the remaining lines. */
  readlines(): Array<Buffer | string> {
    return [...this];
  }

  *[Symbol.iterator](): Iterator<Buffer | string> {
    for (;;) {
      const line = this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /**
   * Buffers `data` (written out when the buffer fills, on {@link GreenFile.flush} or on close). Returns its
   * length in bytes.
   *
   * Switch point: when the buffer fills and the channel cannot take it all.
   */
  write(data: string | Uint8Array): number {
    this.#check('w', 'write');
    const bytes = typeof data === 'string' ? Buffer.from(data, this.encoding ?? 'utf8') : data;
    if (!(bytes instanceof Uint8Array)) throw new TypeError(`write takes a string or a Uint8Array, not ${typeof data}`);
    if (this.#end > this.#start) this.#dropReadAhead();
    if (this.#pending + bytes.length <= this.#size) {
      if (this.#out === EMPTY) this.#out = Buffer.allocUnsafe(this.#size);
      this.#out.set(bytes, this.#pending);
      this.#pending += bytes.length;
    } else {
      this.flush();
      if (bytes.length < this.#size) {
        if (this.#out === EMPTY) this.#out = Buffer.allocUnsafe(this.#size);
        this.#out.set(bytes, 0);
        this.#pending = bytes.length;
      } else {
        this.#channel.write(bytes, 0, bytes.length);
      }
    }
    return bytes.length;
  }

  /**
   * Writes each of `lines` in turn, as {@link GreenFile.write} (no newlines are added: Python's `writelines`).
   *
   * Switch point: when the buffer fills and the channel cannot take it all.
   */
  writelines(lines: Iterable<string | Uint8Array>): void {
    if (lines === null || typeof (lines as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
      throw new TypeError(`writelines takes an iterable of strings or Uint8Arrays, not ${lines === null ? 'null' : typeof lines}`);
    }
    for (const line of lines) this.write(line);
  }

  /**
   * Moves the file's offset (a file from `GreenPipe.open` or `GreenPipe.openFile` only): to `offset` from the
   * start (`whence` 0), from the current offset (1) or from the end (2). Writes out what is buffered first and
   * forgets what was read ahead. Returns the new offset. Over a socket or a pipe, an IOError ESPIPE.
   */
  seek(offset: number, whence: SeekWhence = 0): number {
    const channel = this.#seekable('seek');
    checkSeek(offset, whence);
    if (this.#pending > 0) this.flush();
    // The channel's offset is past what was read ahead; the file's is where its reader stands.
    if (whence === 1) offset -= this.#end - this.#start;
    this.#start = this.#end = 0;
    return channel.seek!(offset, whence);
  }

  /** The file's offset: where the next read or write goes, counting what is buffered. As seek, for files only. */
  tell(): number {
    const channel = this.#seekable('tell');
    return channel.seek!(0, 1) - (this.#end - this.#start) + this.#pending;
  }

  /**
   * Cuts (or extends with zeros) the file to `size` bytes, default the current offset, and moves the offset there
   * (as eventlet's GreenPipe does; Python's own files leave it). Writes out what is buffered first. Returns the
   * size. As seek, for files only.
   */
  truncate(size: number | null = null): number {
    const channel = this.#seekable('truncate');
    checkTruncate(size);
    const at = size ?? this.tell();
    if (this.#pending > 0) this.flush();
    channel.truncate!(at);
    this.#start = this.#end = 0;
    channel.seek!(at, 0);
    return at;
  }

  /** Writes out what is buffered. Switch point: when the channel cannot take it at once. */
  flush(): void {
    if (this.#closed) throw closedFile('flush');
    if (this.#pending === 0) return;
    const n = this.#pending;
    this.#pending = 0;
    this.#channel.write(this.#out, 0, n);
  }

  /**
   * Flushes and closes the file. The socket or pipe under it stays open; if that was closed already, this closes
   * the fd (the file was its last user). A green thread reading from the file meanwhile goes on waiting until the
   * fd is closed or data comes, then gets a ClosedError.
   */
  close(): void {
    if (this.#closed) return;
    try {
      if (this.#pending > 0) this.flush();
    } finally {
      this.#closed = true;
      if (this.#channel.close !== undefined) {
        dropped.unregister(this);
        this.#channel.close();
      }
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #check(need: 'r' | 'w', what: string): void {
    if (this.#closed) throw closedFile(what);
    if (!this.mode.includes(need)) throw new FileModeError(what, this.mode, need);
    // Reads see what was written before them.
    if (need === 'r' && this.#positioned && this.#pending > 0) this.flush();
  }

  #seekable(what: string): ByteChannel {
    if (this.#closed) throw closedFile(what);
    if (!this.#positioned) throw new IOError(ESPIPE, what, {}, `${what}: this GreenFile is over a socket or a pipe, which has no offset`);
    return this.#channel;
  }

  // Before a write to a seekable file: the channel's offset goes back from where reading ahead left it to where
  // the reader stands, which is where the write belongs.
  #dropReadAhead(): void {
    if (!this.#positioned) return;
    this.#channel.seek!(-(this.#end - this.#start), 1);
    this.#start = this.#end = 0;
  }

  // Reads more into the buffer (moving unread bytes to the front, or growing it when full); false at end of stream.
  #fill(): boolean {
    if (this.#eof) return false;
    if (this.#in === EMPTY) this.#in = Buffer.allocUnsafe(this.#size);
    if (this.#start > 0 && this.#end === this.#in.length) {
      this.#in.copy(this.#in, 0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    if (this.#end === this.#in.length) {
      const bigger = Buffer.allocUnsafe(this.#in.length * 2);
      this.#in.copy(bigger, 0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
      this.#in = bigger;
    }
    const n = this.#channel.read(this.#in, this.#end, this.#in.length - this.#end);
    if (this.#closed) {
      throw new ClosedError('read', true, { what: 'GreenFile' });
    }
    if (n === 0) {
      // A file may grow after its end was read; a stream's end is final.
      if (!this.#positioned) this.#eof = true;
      return false;
    }
    this.#end += n;
    return true;
  }

  #take(n: number): Buffer | string {
    const start = this.#start;
    this.#start += n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.encoding !== undefined) return this.#in.toString(this.encoding, start, start + n);
    return Buffer.from(this.#in.subarray(start, start + n));
  }
}

function checkFileArguments(mode: FileMode, options: GreenFileOptions): { size: number; maxLine: number | null } {
  if (!['r', 'w', 'rw', 'rb', 'wb', 'rwb'].includes(mode)) throw new TypeError(`not a file mode: ${JSON.stringify(mode)} (use 'r', 'w' or 'rw')`);
  const size = options.bufferSize ?? 8192;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`bufferSize must be a positive integer, not ${size}`);
  if (options.encoding !== undefined && !Buffer.isEncoding(options.encoding)) throw new TypeError(`unknown encoding ${options.encoding}`);
  const maxLine = options.maxLineSize === undefined ? DEFAULT_MAX_LINE_SIZE : options.maxLineSize;
  if (maxLine !== null && typeof maxLine !== 'number') throw new TypeError(`maxLineSize must be a number or null, not ${typeof maxLine}`);
  if (maxLine !== null && (!Number.isInteger(maxLine) || maxLine < 1)) {
    throw new RangeError(`maxLineSize must be a positive integer or null, not ${maxLine}`);
  }
  return { size, maxLine };
}

/** @internal Throws a TypeError unless (offset, whence) are seek's: a safe integer, and 0, 1 or 2. */
export function checkSeek(offset: number, whence: number): void {
  if (!Number.isSafeInteger(offset)) throw new TypeError(`seek: the offset must be an integer, not ${describeValue(offset)}`);
  if (whence !== 0 && whence !== 1 && whence !== 2) throw new TypeError(`seek: whence must be 0, 1 or 2, not ${describeValue(whence)}`);
}

/** @internal Throws a TypeError unless `size` is truncate's: null, or a safe integer >= 0. */
export function checkTruncate(size: number | null): void {
  if (size !== null && (!Number.isSafeInteger(size) || size < 0)) {
    throw new TypeError(`truncate: the size must be an integer >= 0 (or null for the current offset), not ${describeValue(size)}`);
  }
}

// Python's ValueError "I/O operation on closed file", typed as verdant's closed fds are.
function closedFile(what: string): ClosedError {
  return new ClosedError(what, false, { what: 'GreenFile' });
}

// A read size: an integer (negative: all), or null / undefined (all); anything else is a TypeError, as Python's.
function sizeArgument(value: unknown, what: string): number {
  if (value === null || value === undefined) return -1;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw new TypeError(`${what}: the size must be an integer (or null for all), not ${describeValue(value)}`);
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'number') return String(value);
  return value === null ? 'null' : typeof value;
}
