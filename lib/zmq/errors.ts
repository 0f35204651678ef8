/**
 * The typed errors of green ZeroMQ, as pyzmq's `ZMQError` family: every failure of libzmq (or of zeromq's
 * binding) is a {@link ZmqError} with the errno name in `code`; "would have to wait" is {@link ZmqAgainError}
 * (pyzmq's `zmq.Again`), and any use of a closed socket is {@link ZmqClosedError}. Bad arguments are plain
 * TypeErrors and RangeErrors.
 */
import { constants } from 'node:os';

/** Where a ZeroMQ error happened. */
export interface ZmqErrorDetails {
  /** The errno number as libzmq reports it (its own numbers for its own codes: EFSM is 156384763). */
  errno?: number;
  /** The endpoint the call was about ("tcp://127.0.0.1:5555"), if any. */
  address?: string;
  cause?: unknown;
  /** What went wrong, in words; the default is the code. */
  reason?: string;
}

/**
 * A ZeroMQ call failed. `code` is the errno name (`EFSM`: not allowed in the socket's current state,
 * `EADDRINUSE`, `EPROTONOSUPPORT`, `ENOTSUP`, `EHOSTUNREACH`, ...), `operation` the call (`send`, `recv`, `bind`,
 * ...), `address` the endpoint, if any.
 */
export class ZmqError extends Error {
  readonly code: string;
  readonly errno: number | undefined;
  readonly operation: string;
  readonly address: string | undefined;

  constructor(code: string, operation: string, details: ZmqErrorDetails = {}) {
    const where = details.address === undefined ? operation : `${operation} ${details.address}`;
    super(`${where}: ${details.reason ?? code}${details.reason === undefined ? '' : ` (${code})`}`, { cause: details.cause });
    this.name = new.target.name;
    this.code = code;
    this.errno = details.errno ?? (constants.errno as Record<string, number | undefined>)[code];
    this.operation = operation;
    this.address = details.address;
  }
}

/**
 * The call would have had to wait (EAGAIN), as pyzmq's `zmq.Again`: a `block: false` call with nothing to
 * receive or no room to send (`isTimeout` false), or a blocking call that ran past the socket's
 * `receiveTimeout` / `sendTimeout` (`isTimeout` true, so verdant's `isTimeout()` recognises it as eventlet's
 * `is_timeout` does).
 *
 * Transient: the same call may succeed later.
 */
export class ZmqAgainError extends ZmqError {
  readonly isTimeout: boolean;

  /** `timeout`: the socket timeout (milliseconds) that passed, or undefined for a non-blocking call. */
  constructor(operation: string, timeout?: number, details: ZmqErrorDetails = {}) {
    super('EAGAIN', operation, {
      ...details,
      reason: timeout === undefined ? 'the call would have to wait (non-blocking)' : `timed out after ${timeout} ms`,
    });
    this.isTimeout = timeout !== undefined;
  }
}

/**
 * The socket is closed (code `ENOTSOCK`, as libzmq and pyzmq report it): it was closed (or its context
 * destroyed) before the call, or while this green thread waited on it. verdant's net `ClosedError` is an
 * `IOError` about file descriptors; a ZeroMQ socket is none, and pyzmq code checks for a `ZMQError` here.
 *
 * Permanent for that socket.
 */
export class ZmqClosedError extends ZmqError {
  constructor(operation: string, whileWaiting: boolean) {
    super('ENOTSOCK', operation, {
      reason: whileWaiting
        ? 'the socket was closed (by another green thread) while this one waited on it'
        : 'the socket is closed',
    });
  }
}

/**
 * The ZeroMQ binding `zeromq` (an optional peer dependency) is not installed, or is installed in a version before
 * 6, whose API (`zmq.socket('req')` with callbacks) verdant cannot drive. Thrown by the first use of `zmq`
 * (a `Context`, a socket). `cause` holds the MODULE_NOT_FOUND error when the package is missing.
 *
 * Permanent until `npm install zeromq@6`: retrying cannot help.
 */
export class ZeromqNotInstalledError extends Error {
  constructor(what: 'missing' | 'too old', cause?: unknown) {
    super(
      what === 'missing'
        ? "verdant's zmq needs the ZeroMQ binding `zeromq` version 6, which is not installed: npm install zeromq@6"
        : "verdant's zmq needs the ZeroMQ binding `zeromq` version 6; the installed zeromq has an older API: npm install zeromq@6",
      { cause },
    );
    this.name = new.target.name;
  }
}

/**
 * What zeromq's `error` becomes, thrown from `operation`: its errors (they carry `code` and `errno`) become
 * ZmqErrors, EAGAIN a {@link ZmqAgainError}; anything else (a TypeError about an argument) is returned as is.
 */
export function fromZeromq(error: unknown, operation: string, address?: string): unknown {
  if (!(error instanceof Error) || error instanceof ZmqError) return error;
  const { code, errno } = error as Error & { code?: unknown; errno?: unknown };
  if (typeof code !== 'string' || typeof errno !== 'number') return error;
  const details: ZmqErrorDetails = { errno, address, cause: error, reason: error.message };
  if (code === 'EAGAIN') return new ZmqAgainError(operation, undefined, details);
  return new ZmqError(code, operation, details);
}

/** True for zeromq's EAGAIN (a send or receive with a timeout of 0 that found no room or no message). */
export function isZeromqAgain(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === 'EAGAIN';
}
