/**
 * GreenPipe: one end of an OS pipe whose blocking calls block only the calling green thread. Reads and writes
 * go straight to non-blocking read(2)/write(2) in the addon (native/io); on EAGAIN the green thread parks on
 * the fd in the hub and retries, as {@link GreenSocket} does. No Node stream is involved.
 */
import { native } from '../runtime/native';
import { GreenFd } from '../io/green-fd';
import { ioError } from '../io/errors';
import { checkReadSize, readFresh } from '../io/fresh-read';
import { GreenFile, type FileMode, type GreenFileOptions } from '../net/file';

const ioRead = native.io_read;
const ioWrite = native.io_write;

/** Bytes to write: a Buffer or any typed array / DataView, or a string (written as UTF-8). */
export type PipeData = string | ArrayBufferView;

const adopt: unique symbol = Symbol('adopt');

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
  /** @internal Use {@link GreenPipe.create} or {@link GreenPipe.fromFd}. */
  constructor(fd: number, token: typeof adopt) {
    if (token !== adopt) throw new TypeError('use GreenPipe.create() or GreenPipe.fromFd(fd)');
    super(fd, true);
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
    return new GreenPipe(fd, adopt);
  }

  /**
   * Reads up to `size` bytes; an empty Buffer means end of stream (every writer closed its end).
   *
   * Switch point: when nothing is in the pipe yet.
   */
  read(size: number): Buffer {
    checkReadSize(size, 'read');
    return readFresh(size, (view, length) => this.readSome(view, 0, length, 0, 'read'));
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
    super.writeAll(bytes, 0, bytes.byteLength, 0, 'write');
  }

  /**
   * A buffered file over this pipe end: `read(n)`, `readline()`, iteration over lines for a reader; `write`,
   * `flush` for a writer. Closing the file flushes it but leaves the pipe open.
   */
  makefile(mode: FileMode = 'r', options: GreenFileOptions = {}): GreenFile {
    return new GreenFile(
      {
        read: (view, offset, length) => this.readSome(view, offset, length, 0, 'read'),
        write: (view, offset, length) => super.writeAll(view, offset, length, 0, 'write'),
      },
      mode,
      options,
    );
  }

  override toString(): string {
    return this.closed ? 'GreenPipe(closed)' : `GreenPipe(fd ${this.fd})`;
  }

  protected override describe(): string | undefined {
    return this.fd >= 0 ? `pipe fd ${this.fd}` : undefined;
  }

  protected override readOnce(view: ArrayBufferView, offset: number, length: number): number {
    return ioRead(this.fd, view, offset, length);
  }

  protected override writeOnce(view: ArrayBufferView, offset: number, length: number): number {
    return ioWrite(this.fd, view, offset, length);
  }
}

function toBytes(data: PipeData): ArrayBufferView {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return data;
  throw new TypeError(`can only write a string, a Buffer, a typed array or a DataView, not ${data === null ? 'null' : typeof data}`);
}
