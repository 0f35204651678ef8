/**
 * GreenFile: a buffered reader and writer over a green socket or pipe (Python's `socket.makefile()`):
 * `read(n)`, `readline()`, iteration over lines, `write`, `flush`. Reads block only the calling green thread.
 */

/** The two calls a GreenFile makes on what it wraps. */
export interface ByteChannel {
  /** Reads at most `length` bytes into `view` at `offset`, waiting for some; 0 at end of stream. */
  read(view: Uint8Array, offset: number, length: number): number;
  /** Writes all the bytes, waiting as needed. */
  write(view: Uint8Array, offset: number, length: number): void;
}

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

  constructor(channel: ByteChannel, mode: FileMode = 'rw', options: GreenFileOptions = {}) {
    if (!['r', 'w', 'rw', 'rb', 'wb', 'rwb'].includes(mode)) throw new TypeError(`not a file mode: ${JSON.stringify(mode)} (use 'r', 'w' or 'rw')`);
    const size = options.bufferSize ?? 8192;
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`bufferSize must be a positive integer, not ${size}`);
    if (options.encoding !== undefined && !Buffer.isEncoding(options.encoding)) throw new TypeError(`unknown encoding ${options.encoding}`);
    const maxLine = options.maxLineSize === undefined ? DEFAULT_MAX_LINE_SIZE : options.maxLineSize;
    if (maxLine !== null && typeof maxLine !== 'number') throw new TypeError(`maxLineSize must be a number or null, not ${typeof maxLine}`);
    if (maxLine !== null && (!Number.isInteger(maxLine) || maxLine < 1)) {
      throw new RangeError(`maxLineSize must be a positive integer or null, not ${maxLine}`);
    }
    this.#maxLine = maxLine;
    this.mode = mode;
    this.encoding = options.encoding;
    this.#channel = channel;
    this.#size = size;
    this.#in = EMPTY;
    this.#out = EMPTY;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Reads `size` bytes, fewer only at end of stream; with no size (or -1), everything up to end of stream.
   *
   * Switch point: when the buffer does not hold enough.
   */
  read(size = -1): Buffer | string {
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
  read1(size = this.#size): Buffer | string {
    this.#check('r', 'read1');
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
  readline(limit = -1): Buffer | string {
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

  /** Writes out what is buffered. Switch point: when the channel cannot take it at once. */
  flush(): void {
    if (this.#closed) throw new Error('flush on a closed GreenFile');
    if (this.#pending === 0) return;
    const n = this.#pending;
    this.#pending = 0;
    this.#channel.write(this.#out, 0, n);
  }

  /** Flushes and closes the file (not the socket or pipe under it). */
  close(): void {
    if (this.#closed) return;
    try {
      if (this.#pending > 0) this.flush();
    } finally {
      this.#closed = true;
    }
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #check(need: 'r' | 'w', what: string): void {
    if (this.#closed) throw new Error(`${what} on a closed GreenFile`);
    if (!this.mode.includes(need)) throw new Error(`${what} on a GreenFile opened with mode '${this.mode}'`);
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
    if (n === 0) {
      this.#eof = true;
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
