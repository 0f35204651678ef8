/**
 * The typed errors of green I/O (sockets, pipes, TLS), as Python sorts OSError: one class per failure a caller
 * handles differently, each with Node's errno fields (`code`, `errno`, `syscall`) and, for sockets, the address.
 */
import { getSystemErrorName } from 'node:util';
import { native } from './native';

const { ETIMEDOUT, EBADF } = native.io_constants;

/** Where an I/O error happened, as far as it is known. */
export interface IOErrorDetails {
  /** The peer or the local address the call was about ("127.0.0.1:8080", "/run/app.sock"). */
  address?: string;
  cause?: unknown;
}

/**
 * An I/O call failed. `code` is the errno name (`ECONNREFUSED`), `errno` the negative number Node uses, `syscall`
 * the call (`connect`, `recv`, ...), `address` the address involved, if any. The subclasses below are the
 * failures callers usually tell apart; anything else is a plain IOError.
 */
export class IOError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly address: string | undefined;

  constructor(errno: number, syscall: string, details: IOErrorDetails = {}, message?: string) {
    const code = errnoName(errno);
    super(message ?? `${syscall} ${code}${details.address ? ` ${details.address}` : ''}`, { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    this.address = details.address;
  }
}

/** The peer refused the connection (nothing listens there). */
export class ConnectionRefusedError extends IOError {}
/** The peer reset the connection (it closed with unread data, or crashed). */
export class ConnectionResetError extends IOError {}
/** The connection was aborted locally (a connection accepted and torn down before `accept` took it). */
export class ConnectionAbortedError extends IOError {}
/** A write to a connection or pipe whose other end has gone. */
export class BrokenPipeError extends IOError {}
/** The address is already in use (bind), or cannot be assigned here. */
export class AddressInUseError extends IOError {}

/** A blocking call did not finish within the socket's (or pipe's) timeout. */
export class SocketTimeoutError extends IOError {
  constructor(syscall: string, seconds: number, details: IOErrorDetails = {}) {
    super(-ETIMEDOUT, syscall, details, `${syscall} timed out after ${seconds} s${details.address ? ` (${details.address})` : ''}`);
  }

  /** True: a timeout for `isTimeout`, as Python's `socket.timeout` is a `TimeoutError`. */
  get isTimeout(): true {
    return true;
  }
}

/** A call on a non-blocking socket or pipe (timeout 0, `setBlocking(false)`) would have had to wait. */
export class WouldBlockError extends IOError {}

/** Where a {@link ClosedError} happened: what is closed, besides the address. */
export interface ClosedErrorDetails extends IOErrorDetails {
  /**
   * What is closed, as the message names it: the object's class (`GreenSocket`, `GreenPipe`, `TlsSocket`,
   * `GreenFile`) or `fd 7`. Default: `file descriptor`.
   */
  what?: string;
}

/**
 * The socket, pipe or file is closed, so the call (`syscall`) was refused. `whileWaiting` says who closed it:
 * false when it was already closed before the call (by its own `close()`, `detach()` or `unwrap()`, or, for a
 * file made by `makefile`, by closing the socket under it), true when another green thread closed it while this
 * one waited on it. `what` names what is closed, `address` its address if known.
 *
 * ```text
 * recv refused: the GreenSocket (127.0.0.1:8080) was already closed when this call was made
 * accept refused: the GreenSocket was closed by another green thread while this one waited on it
 * ```
 *
 * Permanent: retrying on the same object cannot help; open a new socket, pipe or file.
 */
export class ClosedError extends IOError {
  /** What is closed: `GreenSocket`, `GreenPipe`, `TlsSocket`, `GreenFile`, `fd 7`, or `file descriptor`. */
  readonly what: string;
  /**
   * True: another green thread closed it while this one waited on it. False: it was closed before the call (by
   * this object's own `close()`).
   */
  readonly whileWaiting: boolean;

  /** `message` replaces the default one (which is built from the arguments); leave it out. */
  constructor(syscall: string, whileWaiting: boolean, details: ClosedErrorDetails = {}, message?: string) {
    const what = details.what ?? 'file descriptor';
    super(-EBADF, syscall, details, message ?? closedMessage(syscall, whileWaiting, what, details.address));
    this.what = what;
    this.whileWaiting = whileWaiting;
  }
}

function closedMessage(syscall: string, whileWaiting: boolean, what: string, address: string | undefined): string {
  const subject = `${/^fd \d/.test(what) ? '' : 'the '}${what}${address ? ` (${address})` : ''}`;
  return whileWaiting
    ? `${syscall} refused: ${subject} was closed by another green thread while this one waited on it`
    : `${syscall} refused: ${subject} was already closed when this call was made`;
}

const byCode: Record<string, new (errno: number, syscall: string, details?: IOErrorDetails) => IOError> = {
  ECONNREFUSED: ConnectionRefusedError,
  ECONNRESET: ConnectionResetError,
  ECONNABORTED: ConnectionAbortedError,
  EPIPE: BrokenPipeError,
  EADDRINUSE: AddressInUseError,
  EADDRNOTAVAIL: AddressInUseError,
  EAGAIN: WouldBlockError,
};

/** The error for `errno` (negative, as the native layer returns it) from `syscall`. */
export function ioError(errno: number, syscall: string, details?: IOErrorDetails): IOError {
  const Class = byCode[errnoName(errno)] ?? IOError;
  return new Class(errno, syscall, details);
}

function errnoName(errno: number): string {
  try {
    return getSystemErrorName(errno);
  } catch {
    return `E${-errno}`;
  }
}
