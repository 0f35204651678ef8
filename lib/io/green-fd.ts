/**
 * GreenFd: what every green file descriptor (socket, pipe) shares: its timeout, the wait on EAGAIN, and closing
 * it so that green threads waiting on it wake with an error instead of waiting forever.
 *
 * The pattern of every blocking call (eventlet's greenio): make the non-blocking syscall; on EAGAIN park the
 * green thread on the fd in the hub (only it waits), then retry.
 */
import { IOClosed } from '../runtime/errors';
import { READ, TIMED_OUT, WRITE, fdClosed, fdOpened, waitFd } from '../runtime/hub';
import { native } from '../runtime/native';
import { checkTimeout } from '../time/seconds';
import { ClosedError, IOError, SocketTimeoutError, WouldBlockError, ioError } from './errors';

const ioClose = native.io_close;
/** @internal */
export const EAGAIN = -native.io_constants.EAGAIN;
/** @internal */
export const EBADF = -native.io_constants.EBADF;

let defaultTimeout: number | null = null;

/**
 * Sets the timeout new sockets and pipes start with (seconds; `null`: block without limit, the default), as
 * Python's `socket.setdefaulttimeout`.
 */
export function setDefaultTimeout(seconds: number | null): void {
  checkTimeout(seconds, 'setDefaultTimeout');
  defaultTimeout = seconds ?? null;
}

/** The timeout new sockets and pipes start with. */
export function getDefaultTimeout(): number | null {
  return defaultTimeout;
}

export abstract class GreenFd {
  /** -1 once closed. */
  protected fd: number;
  #timeout: number | null = defaultTimeout;

  /**
   * True for byte streams (stream sockets, pipes): a read that returns fewer bytes than asked has emptied the
   * kernel's buffer, so the next read waits for the fd's next edge without trying the syscall first.
   */
  protected readonly shortReadDrains: boolean;
  // The last read came back short: nothing is left until the next edge.
  #drained = false;
  // The fd reported its peer's end (or a hangup, or an error): end of stream may come with no further edge, so
  // short reads no longer prove anything.
  #ending = false;

  protected constructor(fd: number, shortReadDrains: boolean) {
    this.fd = fd;
    this.shortReadDrains = shortReadDrains;
    fdOpened(fd);
  }

  /** The file descriptor, or -1 once closed. */
  fileno(): number {
    return this.fd;
  }

  /** True once {@link GreenFd.close} ran. */
  get closed(): boolean {
    return this.fd < 0;
  }

  /**
   * Sets the limit for every blocking call on it, in seconds: `null` waits without limit; 0 makes it
   * non-blocking (a call that would wait throws {@link WouldBlockError}). A call that runs out of time throws
   * {@link SocketTimeoutError}; the fd stays usable.
   */
  setTimeout(seconds: number | null): void {
    checkTimeout(seconds, 'setTimeout');
    this.#timeout = seconds ?? null;
  }

  /** The limit of each blocking call, in seconds (`null`: none; 0: non-blocking). */
  getTimeout(): number | null {
    return this.#timeout;
  }

  /** `setBlocking(true)` is `setTimeout(null)`; `setBlocking(false)` is `setTimeout(0)`. */
  setBlocking(blocking: boolean): void {
    this.#timeout = blocking ? null : 0;
  }

  /** False when its timeout is 0. */
  getBlocking(): boolean {
    return this.#timeout !== 0;
  }

  /**
   * Closes it. Green threads waiting on it wake with a {@link ClosedError}. Closing twice is harmless.
   */
  close(): void {
    const fd = this.fd;
    if (fd < 0) return;
    this.fd = -1;
    fdClosed(fd);
    ioClose(fd);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** What error messages name it by (an address for sockets). */
  protected describe(): string | undefined {
    return undefined;
  }

  /**
   * Waits until the fd is ready to read (or write): the retry half of every blocking call. `timeout` defaults to
   * the fd's; `deadline` (from {@link GreenFd.deadline}) carries one call's limit across several waits.
   */
  protected waitReady(write: boolean, syscall: string, timeout: number | null = this.#timeout, deadline = -1): number {
    if (timeout === 0) throw new WouldBlockError(EAGAIN, syscall, { address: this.describe() });
    const fd = this.fd;
    if (fd < 0) throw new ClosedError(syscall, false);
    const limit = deadline >= 0 ? Math.max(0, deadline - performance.now()) / 1000 : timeout;
    let ready;
    try {
      ready = waitFd(fd, { read: !write, write, timeout: limit, afterEagain: true });
    } catch (error) {
      if (error instanceof IOClosed && error.fd === fd) throw new ClosedError(syscall, true, { address: this.describe() });
      throw error;
    }
    if (ready === TIMED_OUT) throw new SocketTimeoutError(syscall, timeout!, { address: this.describe() });
    if ((ready & ~(READ | WRITE)) !== 0) this.#ending = true;
    return ready;
  }

  /** The moment (performance.now() ms) a multi-wait call must end by, or -1 without a timeout. */
  protected deadline(timeout: number | null = this.#timeout): number {
    return timeout === null || timeout === 0 ? -1 : performance.now() + timeout * 1000;
  }

  /** The error for a failed syscall's -errno. */
  protected fail(result: number, syscall: string): IOError {
    if (result === EBADF && this.fd < 0) return new ClosedError(syscall, false, { address: this.describe() });
    return ioError(result, syscall, { address: this.describe() });
  }

  /** One non-blocking read (recv, read): bytes read, 0 at end of stream, or -errno. */
  protected abstract readOnce(view: ArrayBufferView, offset: number, length: number, flags: number): number;
  /** One non-blocking write (send, write): bytes written, or -errno. */
  protected abstract writeOnce(view: ArrayBufferView, offset: number, length: number, flags: number): number;

  /** Reads at most `length` bytes into `view` at `offset`, waiting until some arrive; 0 at end of stream. */
  protected readSome(view: ArrayBufferView, offset: number, length: number, flags: number, syscall: string): number {
    if (this.#drained && flags === 0) {
      this.#drained = false;
      this.waitReady(false, syscall);
    }
    for (;;) {
      const n = this.readOnce(view, offset, length, flags);
      if (n >= 0) {
        // A peek leaves the data where it was; only a real read can empty the buffer.
        if (n < length && n > 0 && flags === 0) this.#drained = this.shortReadDrains && !this.#ending;
        return n;
      }
      if (n !== EAGAIN) throw this.fail(n, syscall);
      this.waitReady(false, syscall);
    }
  }

  /** Writes some of the bytes, waiting until at least one can be written; returns how many were. */
  protected writeSome(view: ArrayBufferView, offset: number, length: number, flags: number, syscall: string): number {
    for (;;) {
      const n = this.writeOnce(view, offset, length, flags);
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
      const n = this.writeOnce(view, offset + done, length - done, flags);
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

