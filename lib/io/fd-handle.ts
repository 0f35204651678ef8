/**
 * FdHandle: one open file descriptor as green I/O sees it, whatever reads and writes it: the fd while it is open,
 * its timeout, the wait on EAGAIN (the retry half of every blocking call), and closing it so that green threads
 * waiting on it wake with an error instead of waiting forever.
 *
 * Two kinds of object stand on it. {@link GreenFd} (sockets, pipes) extends it with reads and writes made by plain
 * syscalls. A TLS socket (lib/net/tls/socket.ts) holds one instead: its bytes go through OpenSSL, which makes the
 * syscalls itself, so it takes from the fd only the waiting, the timeout, the open/closed state and the files.
 *
 * Files made from it (`makefile`) share the fd, as Python's `_io_refs`: `close()` ends the object's own calls at
 * once, but the fd itself is closed when the object and every such file are closed.
 */
import { constants as os } from 'node:os';
import { IOClosed } from '../runtime/errors';
import { TIMED_OUT, fdClosed, fdOpened, waitFd } from '../runtime/hub';
import { native } from './native';
import { checkTimeout } from '../runtime/seconds';
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

/**
 * What a file made from a green fd (`makefile`) needs from it besides reads and writes: lib/net/file.ts's
 * ByteChannel has these two members.
 */
export interface FdFileHooks {
  /** The file is done with the fd: called once, when it closes (or is collected unclosed). */
  close(): void;
  /** The fd, while it is open (-1 once really closed), whether or not the object itself was closed. */
  fileno(): number;
}

export class FdHandle {
  /**
   * The fd while it is open, -1 once really closed. After {@link FdHandle.close} it may still be open for the
   * files made from this object: the I/O loops use it as it is, and the object's own calls go through
   * {@link FdHandle.openFd}, which refuses them once `close()` ran.
   */
  protected fd: number;
  #timeout: number | null = defaultTimeout;
  // close() ran: the object's own calls fail, though its files may keep the fd open.
  #closeCalled = false;
  // One token per open file made from it (null: none yet, or the fd is gone); the fd closes with the last.
  #files: Set<object> | null = null;

  protected constructor(fd: number) {
    this.fd = fd;
    fdOpened(fd);
  }

  /** The file descriptor, or -1 once closed (even while files made from it keep the fd itself open). */
  fileno(): number {
    return this.closed ? -1 : this.fd;
  }

  /** True once {@link FdHandle.close} ran (or the fd was detached or closed otherwise). */
  get closed(): boolean {
    return this.#closeCalled || this.fd < 0;
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
   * Closes it: its own calls throw {@link ClosedError} from now on, and the fd is closed, unless files made from it
   * (`makefile`) are still open: then the fd is closed with the last of them, as in Python. Green threads waiting
   * on the fd wake with a ClosedError when the fd is closed; until then a wait already under way goes on (and may
   * return data). Closing twice is harmless.
   */
  close(): void {
    if (this.closed) return;
    this.#closeCalled = true;
    if (this.#files === null || this.#files.size === 0) this.closeFd();
  }

  /**
   * @internal Closes it and the fd now, even while files made from it are open: their calls throw ClosedError
   * from then on. `serve` does this once a handler returns (CPython's refcounting has dropped the handler's files
   * by then; JS cannot know, so a file the handler left open would keep the connection open otherwise).
   */
  closeWithFiles(): void {
    this.#closeCalled = true;
    this.closeFd();
  }

  /**
   * Closes the fd for real (when the object and its last file are closed). Green threads waiting on it wake with
   * a ClosedError. A subclass that holds something over the fd releases it first.
   */
  protected closeFd(): void {
    const fd = this.fd;
    if (fd < 0) return;
    this.fd = -1;
    this.#files = null;
    fdClosed(fd);
    ioClose(fd);
  }

  /**
   * The fd for one of the object's own calls: a {@link ClosedError} once {@link FdHandle.close} ran, even while
   * files made from it keep the fd open.
   */
  protected openFd(syscall: string): number {
    if (this.closed) throw this.#closedError(syscall, false);
    return this.fd;
  }

  /**
   * For `makefile`: holds the fd open for one more file, and returns what the file calls (its channel's `close`
   * and `fileno`). ClosedError if this object is closed.
   */
  protected fileHooks(): FdFileHooks {
    this.openFd('makefile');
    const token = {};
    (this.#files ??= new Set()).add(token);
    return {
      close: () => {
        // Gone already when the fd was closed under the file (closeWithFiles, or a detach refused before that).
        if (this.#files === null || !this.#files.delete(token)) return;
        if (this.#files.size === 0 && this.#closeCalled) this.closeFd();
      },
      fileno: () => this.fd,
    };
  }

  /** An {@link IOError} EBUSY if files made from it are open (before handing the fd over). */
  protected checkNoFiles(syscall: string): void {
    const files = this.#files?.size ?? 0;
    if (files === 0) return;
    const which = files === 1 ? '1 file made by makefile() still uses' : `${files} files made by makefile() still use`;
    const message = `${syscall}: ${which} fd ${this.fd}; close ${files === 1 ? 'it' : 'them'} first`;
    throw new IOError(-os.errno.EBUSY, syscall, { address: this.describe() }, message);
  }

  /**
   * Hands the fd over to the caller and leaves this object closed (detach, TLS unwrap); -1 if it was closed.
   * Refused with an {@link IOError} EBUSY while files made from it are open, since they would lose their fd.
   */
  protected takeFd(syscall: string): number {
    if (this.closed) return -1;
    this.checkNoFiles(syscall);
    const fd = this.fd;
    this.fd = -1;
    this.#closeCalled = true;
    return fd;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** What error messages name it by (an address for sockets). */
  protected describe(): string | undefined {
    return undefined;
  }

  /** What a ClosedError says is closed: the class of the object (GreenSocket, GreenPipe). */
  protected kind(): string {
    return this.constructor.name;
  }

  // The ClosedError of `syscall`: this object (named by its kind) closed before the call, or while it waited.
  #closedError(syscall: string, whileWaiting: boolean): ClosedError {
    return new ClosedError(syscall, whileWaiting, { what: this.kind(), address: this.describe() });
  }

  /**
   * Waits until the fd is ready to read (or write): the retry half of every blocking call. `timeout` defaults to
   * the fd's; `deadline` (from {@link FdHandle.deadline}) carries one call's limit across several waits. Returns
   * the readiness the hub reported (READ, WRITE, and the hangup and error bits).
   */
  protected waitReady(write: boolean, syscall: string, timeout: number | null = this.#timeout, deadline = -1): number {
    if (timeout === 0) throw new WouldBlockError(EAGAIN, syscall, { address: this.describe() });
    const fd = this.fd;
    if (fd < 0) throw this.#closedError(syscall, false);
    const limit = deadline >= 0 ? Math.max(0, deadline - performance.now()) / 1000 : timeout;
    let ready;
    try {
      ready = waitFd(fd, { read: !write, write, timeout: limit, afterEagain: true });
    } catch (error) {
      if (error instanceof IOClosed && error.fd === fd) throw this.#closedError(syscall, true);
      throw error;
    }
    if (ready === TIMED_OUT) throw new SocketTimeoutError(syscall, timeout!, { address: this.describe() });
    return ready;
  }

  /** The moment (performance.now() ms) a multi-wait call must end by, or -1 without a timeout. */
  protected deadline(timeout: number | null = this.#timeout): number {
    return timeout === null || timeout === 0 ? -1 : performance.now() + timeout * 1000;
  }

  /** The error for a failed syscall's -errno. */
  protected fail(result: number, syscall: string): IOError {
    if (result === EBADF && this.fd < 0) return this.#closedError(syscall, false);
    return ioError(result, syscall, { address: this.describe() });
  }
}
