/**
 * The error classes of lib/db. A pool that is closed or that had no connection free in time throws the errors of
 * lib/resource ({@link PoolClosedError}, {@link PoolTimeoutError}), re-exported from lib/db. Errors of the
 * database itself are pg's own (`DatabaseError`, with the SQLSTATE in `code`).
 */
export { PoolClosedError, PoolTimeoutError } from '../resource/errors';

/**
 * Opening a connection took longer than the pool's `connectTimeout`: the server (or whatever listens at its
 * address) did not complete the connection and the startup in time. The attempt was abandoned and its socket
 * closed; the pool's slot is free again.
 *
 * Transient: the server may be busy or unreachable for a while.
 */
export class ConnectTimeoutError extends Error {
  /** The timeout that passed, in seconds. */
  readonly timeout: number;

  constructor(target: string, timeout: number) {
    super(`connecting to ${target} took longer than the connectTimeout of ${timeout} s`);
    this.name = 'ConnectTimeoutError';
    this.timeout = timeout;
  }
}

/**
 * A connection used after it was given back to its pool (`pool.put(conn)`, `conn.release()`, or the end of
 * `pool.item(fn)`): the pool may already have handed it to another green thread. Get another one.
 *
 * Permanent for that handle: a programming error.
 */
export class ConnectionReleasedError extends Error {
  constructor(what: string) {
    super(`${what}: this connection was given back to its pool; get() another one`);
    this.name = 'ConnectionReleasedError';
  }
}

/**
 * The PostgreSQL driver `pg`, an optional peer dependency of verdant, is not installed where `require('pg')` looks
 * for it: a `db.ConnectionPool` cannot open a connection without it. `cause` holds the MODULE_NOT_FOUND error.
 *
 * Permanent until `npm install pg`: retrying cannot help.
 */
export class PgNotInstalledError extends Error {
  constructor(cause: unknown) {
    super("verdant's db.ConnectionPool needs the PostgreSQL driver `pg`, which is not installed: npm install pg", { cause });
    this.name = new.target.name;
  }
}
