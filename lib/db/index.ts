/**
 * lib/db: a PostgreSQL connection pool for green threads, as eventlet's `eventlet.db_pool`, over node-postgres
 * (`pg`, an optional peer dependency loaded on first use).
 *
 * Organization:
 * - {@link ConnectionPool}: connections opened on demand up to `maxSize`, checked out with `get`/`put` or
 *   `item(fn)`, or used for one query with `query`; idle and old connections expire; transactions left open are
 *   rolled back; broken connections are discarded;
 * - {@link PooledConnection}: a checked-out connection, whose `query` blocks only the calling green thread;
 * - errors: {@link ConnectTimeoutError}, {@link ConnectionReleasedError}, {@link PgNotInstalledError}, and lib/resource's
 *   {@link PoolClosedError} and {@link PoolTimeoutError}; SQL errors are pg's own.
 *
 * @example
 * ```ts
 * const pool = new db.ConnectionPool({ host: '127.0.0.1', user: 'app', database: 'app', maxSize: 5 });
 * spawn(() => {
 *   const { rows } = pool.query('SELECT now() AS t');
 *   console.log(rows[0].t);
 * });
 * ```
 *
 * @packageDocumentation
 */
export { ConnectionPool } from './pool';
export type { ConnectionPoolOptions, ConnectionPoolStatistics, PgSettings } from './pool';
export { PooledConnection } from './connection';
export type { TransactionStatus } from './connection';
export type { QueryResult, QueryConfig, FieldInfo, PgClient, PgDriver } from './driver';
export { ConnectTimeoutError, ConnectionReleasedError, PgNotInstalledError, PoolClosedError, PoolTimeoutError } from './errors';
