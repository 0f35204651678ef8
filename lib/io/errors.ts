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

/**
 * The socket or pipe is closed: it was closed before the call, or another green thread closed it while this one
 * waited on it.
 */
export class ClosedError extends IOError {
  /** `message` replaces the default one, for closes of something other than the fd (a file made by makefile). */
  constructor(syscall: string, whileWaiting: boolean, details: IOErrorDetails = {}, message?: string) {
    super(
      -EBADF,
      syscall,
      details,
      message ??
        (whileWaiting
          ? `${syscall}: the file descriptor was closed (by another green thread) while this one waited on it`
          : `${syscall} on a closed file descriptor`),
    );
  }
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
