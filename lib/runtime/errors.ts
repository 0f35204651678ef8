/**
 * The error classes of the greenlet runtime and the hub.
 */

/**
 * Raised into a greenlet by {@link Greenlet.throw} (by default) and {@link Greenlet.close} to make it unwind.
 * A `GreenletExit` that the greenlet does not catch is not an error for its parent: it is *returned* to the
 * parent as the value of the parent's pending `switch()`.
 *
 * Permanent for the greenlet that receives it.
 */
export class GreenletExit extends Error {
  constructor(message = 'greenlet exit') {
    super(message);
    this.name = 'GreenletExit';
  }
}

/**
 * A greenlet could not be started or switched to: no stack could be mapped for it (the process-wide budget
 * under `vm.max_map_count` is used up, or mmap failed), or the switch is not allowed from here (out of an async
 * scope the greenlet entered itself, on a Node where verdant cannot carry such scopes across switches: see
 * docs/internals.md, "Async context"). Transient when caused by resource exhaustion.
 */
export class GreenletError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GreenletError';
  }
}

/**
 * A blocking call was made on the main stack. The main stack runs Node's event loop (the hub): it cannot wait,
 * or nothing would ever wake it. Blocking calls belong in green threads: `spawn(fn)`, `run(main)`, or a program
 * started with `verdant run file.js`.
 *
 * Permanent: a programming error.
 */
export class HubBlockingError extends Error {
  constructor(operation: string) {
    super(
      `${operation} would block the main stack, which runs Node's event loop (the hub) and cannot wait. ` +
        'Call it inside a green thread: spawn(fn), run(main), or start the program with `verdant run file.js`.',
    );
    this.name = 'HubBlockingError';
  }
}

/**
 * A green thread tried to wait on an fd for an event that another green thread already waits for (two readers or
 * two writers of one socket). Their reads or writes would interleave unpredictably; share the fd through a queue
 * or a pool instead, or pass `{ shared: true }` when that is really meant.
 *
 * Permanent for that pair of waits.
 */
export class ConcurrentWaitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConcurrentWaitError';
  }
}

/**
 * The fd a green thread waited on was closed (through the hub, e.g. by another green thread closing the socket)
 * while it waited.
 *
 * Permanent for that fd.
 */
export class IOClosed extends Error {
  readonly fd: number;
  constructor(fd: number) {
    super(`fd ${fd} was closed while this green thread waited on it`);
    this.name = 'IOClosed';
    this.fd = fd;
  }
}

/**
 * The hub could not wait on an fd: the system's poller (epoll, kqueue) refused it. `code` says why: `EPERM` for a
 * regular file or a directory (they are always ready and cannot be polled: read them through `fs`), `EBADF` for
 * an fd that is not open, `ENOSPC`/`ENOMEM` when the kernel's limit of watched fds (`max_user_watches`) or its
 * memory is used up. Thrown by `trampoline`, `select` and the green sockets and pipes.
 *
 * Permanent for `EPERM` and `EBADF` (that fd can never be waited on); for `ENOSPC`/`ENOMEM` a retry may succeed
 * once other fds are closed.
 */
export class FdWaitError extends Error {
  readonly fd: number;
  /** The errno name (`EPERM`, `EBADF`, ...). */
  readonly code: string;
  /** The negative errno, as Node's errors have it. */
  readonly errno: number;

  constructor(fd: number, errno: number, code: string) {
    super(`cannot wait on fd ${fd}: ${code}${code === 'EPERM' ? ' (regular files and directories cannot be polled)' : ''}`);
    this.name = new.target.name;
    this.fd = fd;
    this.code = code;
    this.errno = errno;
  }
}

/**
 * Raised at exit into the program's main green thread (see `run`) when it waits for something that can no longer
 * happen: every green thread is blocked and nothing else keeps the event loop alive. The message lists what each
 * stuck green thread waits on.
 */
export class BlockedForeverError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BlockedForeverError';
  }
}
