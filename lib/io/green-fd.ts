/**
 * GreenFd: a green fd read and written by plain non-blocking syscalls (sockets, pipes), the syscalls given at
 * construction (io_recv and io_send for a socket, io_read and io_write for a pipe). It adds to {@link FdHandle}
 * (the fd's state, timeout and waiting) the read and write loops of eventlet's greenio: make the syscall; on
 * EAGAIN park the green thread on the fd in the hub (only it waits), then retry.
 *
 * A read goes straight down: `GreenSocket.recv` (lib/net) calls {@link GreenFd.readFresh} here, which calls
 * {@link GreenFd.readSome}, which calls the syscall it was given (native/io). No method is overridden on the
 * way, and nothing is allocated but the Buffer returned.
 */
import { READ, WRITE } from '../runtime/hub';
import { IOError } from './errors';
import { EAGAIN, FdHandle } from './fd-handle';
import { freshCopy, freshTarget } from './fresh-read';

export { EAGAIN, EBADF, getDefaultTimeout, setDefaultTimeout } from './fd-handle';
export type { FdFileHooks } from './fd-handle';

/**
 * One non-blocking syscall on `fd` over `length` bytes of `view` at `offset`: the count (0 at end of stream for a
 * read), or -errno. The natives io_recv, io_send, io_read and io_write have this shape (the last two ignore
 * `flags`).
 */
export type FdSyscall = (fd: number, view: ArrayBufferView, offset: number, length: number, flags: number) => number;

export abstract class GreenFd extends FdHandle {
  // The syscalls, fixed at construction: every GreenFd's reads and writes call them and nothing else.
  readonly #read: FdSyscall;
  readonly #write: FdSyscall;
  /**
   * True for byte streams (stream sockets, pipes): a read that returns fewer bytes than asked has emptied the
   * kernel's buffer, so the next read waits for the fd's next edge without trying the syscall first.
   */
  readonly #shortReadDrains: boolean;
  // The last read came back short: nothing is left until the next edge.
  #drained = false;
  // The fd reported its peer's end (or a hangup, or an error): end of stream may come with no further edge, so
  // short reads no longer prove anything.
  #ending = false;

  protected constructor(fd: number, shortReadDrains: boolean, read: FdSyscall, write: FdSyscall) {
    super(fd);
    this.#shortReadDrains = shortReadDrains;
    this.#read = read;
    this.#write = write;
  }

  // Also notes a hangup or error reported with the readiness (see #ending).
  protected override waitReady(write: boolean, syscall: string, timeout?: number | null, deadline?: number): number {
    const ready = super.waitReady(write, syscall, timeout, deadline);
    if ((ready & ~(READ | WRITE)) !== 0) this.#ending = true;
    return ready;
  }

  /**
   * Reads at most `length` bytes into `view` at `offset`, waiting until some arrive; 0 at end of stream. `call`
   * is the syscall, the fd's read by default (recvfrom passes its own): this loop is the only one that waits
   * for a read.
   */
  protected readSome(view: ArrayBufferView, offset: number, length: number, flags: number, syscall: string, call: FdSyscall = this.#read): number {
    if (this.#drained && flags === 0) {
      this.#drained = false;
      this.waitReady(false, syscall);
    }
    for (;;) {
      const n = call(this.fd, view, offset, length, flags);
      if (n >= 0) {
        // A peek leaves the data where it was; only a real read can empty the buffer.
        if (n < length && n > 0 && flags === 0) this.#drained = this.#shortReadDrains && !this.#ending;
        return n;
      }
      if (n !== EAGAIN) throw this.fail(n, syscall);
      this.waitReady(false, syscall);
    }
  }

  /**
   * The `recv(n)` / `read(n)` shape: at most `size` bytes (checked by the caller) in a Buffer of their own, read
   * without keeping a buffer while the green thread waits (lib/io/fresh-read.ts).
   */
  protected readFresh(size: number, flags: number, syscall: string): Buffer {
    const target = freshTarget(size);
    return freshCopy(target, size, this.readSome(target, 0, size, flags, syscall));
  }

  /** Writes some of the bytes, waiting until at least one can be written; returns how many were. */
  protected writeSome(view: ArrayBufferView, offset: number, length: number, flags: number, syscall: string): number {
    for (;;) {
      const n = this.#write(this.fd, view, offset, length, flags);
      if (n >= 0) return n;
      if (n !== EAGAIN) throw this.fail(n, syscall);
      this.waitReady(true, syscall);
    }
  }

  /**
   * Writes all the bytes, waiting as often as needed; the timeout bounds the whole call. On a timeout or an error,
   * `error.bytesWritten` says how many went out.
   */
  protected writeAll(view: ArrayBufferView, offset: number, length: number, flags: number, syscall: string): void {
    let done = 0;
    let deadline = -1;
    while (done < length) {
      const n = this.#write(this.fd, view, offset + done, length - done, flags);
      if (n >= 0) {
        done += n;
        continue;
      }
      try {
        if (n !== EAGAIN) throw this.fail(n, syscall);
        if (deadline < 0) deadline = this.deadline();
        this.waitReady(true, syscall, undefined, deadline);
      } catch (error) {
        if (error instanceof IOError) (error as IOError & { bytesWritten?: number }).bytesWritten = done;
        throw error;
      }
    }
  }
}
