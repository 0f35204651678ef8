/**
 * Connections of a db.ConnectionPool: {@link RawConnection}, one open pg client and what the pool knows of it,
 * and {@link PooledConnection}, the handle a green thread holds while it has the connection checked out.
 */
import { waitFor } from '../runtime/completion';
import { requireGreen } from '../runtime/hub';
import { ConnectionReleasedError } from './errors';
import type { PgClient, QueryConfig, QueryResult } from './driver';

/** Where a session stands with transactions, as the server last said (pg's transaction status). */
export type TransactionStatus = 'idle' | 'inTransaction' | 'inFailedTransaction' | 'unknown';

/**
 * One open connection: the pg client, its age, and whether it is still good.
 *
 * @internal
 */
export class RawConnection {
  readonly client: PgClient;
  /** performance.now() when it was opened. */
  readonly createdAt: number;
  /** performance.now() when it was last given back to the pool (or opened). */
  lastUsed: number;
  /** The socket died or the server ended the session: the connection can only be closed. */
  broken = false;
  /** A query was abandoned while it ran (its green thread killed, a Timeout): the session's state is unknown. */
  interrupted = false;
  #closed = false;
  // For pg versions without getTransactionStatus(): the status of the last ReadyForQuery.
  #status: string | null = null;

  constructor(client: PgClient) {
    this.client = client;
    this.createdAt = this.lastUsed = performance.now();
    // Without an 'error' listener, a connection that breaks while idle would be an uncaught exception.
    client.on('error', () => {
      this.broken = true;
    });
    client.on('end', () => {
      this.broken = true;
    });
    if (typeof client.getTransactionStatus !== 'function') {
      client.connection?.on?.('readyForQuery', (message: { status?: string } | undefined) => {
        this.#status = message?.status ?? null;
      });
    }
  }

  /**
   * Whether the connection keeps the process alive: yes while it is checked out, no while it sits idle in the
   * pool (an idle pool does not hold a finished program up until its connections expire).
   */
  keepAlive(busy: boolean): void {
    try {
      if (busy) this.client.ref?.();
      else this.client.unref?.();
    } catch {
      // a client whose socket is gone
    }
  }

  /** The session's transaction status, from the last ReadyForQuery the server sent. */
  transactionStatus(): TransactionStatus {
    const status = typeof this.client.getTransactionStatus === 'function' ? this.client.getTransactionStatus() : this.#status;
    switch (status) {
      case 'I':
        return 'idle';
      case 'T':
        return 'inTransaction';
      case 'E':
        return 'inFailedTransaction';
      default:
        return 'unknown';
    }
  }

  /** True once it can no longer be used: broken, abandoned mid-query, or closed. */
  get unusable(): boolean {
    return this.broken || this.interrupted || this.#closed;
  }

  /**
   * Runs a query, blocking the calling green thread until it completes; returns pg's result or throws its error.
   * An error that shows the session is gone (a lost socket, a FATAL from the server) marks the connection broken.
   * A wait that ends early (kill, Timeout) marks it interrupted: its query may still run on the server.
   *
   * Switch point: always (a query pg does not run as a promise, such as a stream, is returned as is).
   */
  query(args: unknown[]): QueryResult {
    requireGreen('PooledConnection.query()');
    let pending: unknown;
    try {
      pending = this.client.query(...args);
    } catch (error) {
      if (sessionLost(error)) this.broken = true;
      throw error;
    }
    if (!isThenable(pending)) return pending as QueryResult;
    try {
      return waitFor<QueryResult>(
        'db query',
        (resolve, reject) => {
          (pending as PromiseLike<QueryResult>).then(resolve, reject);
        },
        () => {
          this.interrupted = true;
        },
      );
    } catch (error) {
      // An interrupted wait says nothing of the session (it is discarded for being interrupted).
      if (this.interrupted) throw error;
      if (sessionLost(error)) {
        this.broken = true;
      } else {
        this.#awaitReady();
      }
      throw error;
    }
  }

  // pg rejects a query at the server's ErrorResponse, before the ReadyForQuery that follows it and tells the
  // session's new transaction status: wait for that too, so the status is never stale (a failed BEGIN block).
  #awaitReady(): void {
    const con = this.client.connection;
    if (this.client.readyForQuery !== false || this.broken || typeof con?.on !== 'function') return;
    if (typeof con.removeListener !== 'function') return;
    let done: () => void = () => {};
    try {
      waitFor(
        'db query (error)',
        (resolve) => {
          done = () => resolve(undefined);
          con.on!('readyForQuery', done);
          con.on!('end', done);
        },
        () => {
          this.interrupted = true;
        },
      );
    } finally {
      con.removeListener('readyForQuery', done);
      con.removeListener('end', done);
    }
  }

  /** Ends the session (politely when it is idle); never blocks. Safe to call more than once. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.client.end().catch(() => {});
    } catch {
      // already ended
    }
    // end() leaves the socket open until the server closes it; a dead or silent server never does.
    if (this.broken || this.interrupted) this.destroy();
  }

  /** Closes the socket at once, whatever state the session is in (an abandoned connect, a broken session). */
  destroy(): void {
    this.#closed = true;
    this.broken = true;
    try {
      this.client.end().catch(() => {});
    } catch {
      // already ended
    }
    try {
      this.client.connection?.stream?.destroy();
    } catch {
      // gone already
    }
  }
}

// Gives the pool a handle's connection, or throws. Set in PooledConnection's static block.
let detachConnection: (conn: PooledConnection, owner: object, what: string) => RawConnection;

/**
 * A connection checked out of a {@link ConnectionPool}: its `query` blocks only the calling green thread.
 * Give it back with `pool.put(conn)` (or `conn.release()`), or let `pool.item(fn)` do it; after that, every
 * call throws {@link ConnectionReleasedError}.
 */
export class PooledConnection {
  #raw: RawConnection | null;
  readonly #owner: object;
  readonly #giveBack: (conn: PooledConnection) => void;

  /** @internal Made by the pool's `get`. */
  constructor(raw: RawConnection, owner: object, giveBack: (conn: PooledConnection) => void) {
    this.#raw = raw;
    this.#owner = owner;
    this.#giveBack = giveBack;
  }

  /**
   * Runs `text` with the parameters `values` (`$1`, `$2`, ...) and returns pg's result (`rows`, `rowCount`,
   * `fields`, `command`), blocking the calling green thread, and only it, until the server answers. A query
   * object (`{ text, values, name, rowMode }`) works too. Throws pg's `DatabaseError` for an SQL error (the
   * connection stays usable), and pg's errors for a lost connection (it is then discarded when given back).
   *
   * If the wait ends early (the green thread is killed, a Timeout), the query is abandoned but may still run on
   * the server: the connection is closed, not reused, when it is given back.
   *
   * Switch point: always. On the main stack it throws a HubBlockingError.
   */
  query<R = any>(text: string | QueryConfig, values?: unknown[]): QueryResult<R> {
    const raw = this.#use('PooledConnection.query');
    return raw.query(values === undefined ? [text] : [text, values]) as QueryResult<R>;
  }

  /**
   * The pg `Client` underneath, for what `query` does not cover (COPY streams, LISTEN/NOTIFY). Its promises
   * block nothing: `wait()` for them. Leave it as you found it (no open transaction is fine: the pool rolls it
   * back), and do not `end()` it.
   */
  get client(): PgClient {
    return this.#use('PooledConnection.client').client;
  }

  /** The process id of the server process serving this session (`pg_backend_pid()`), or null. */
  get processId(): number | null {
    return this.#use('PooledConnection.processId').client.processID ?? null;
  }

  /** Where the session stands with transactions, as of the last query. */
  get transactionStatus(): TransactionStatus {
    return this.#use('PooledConnection.transactionStatus').transactionStatus();
  }

  /** True if the connection was lost (it will be discarded when given back). */
  get broken(): boolean {
    return this.#use('PooledConnection.broken').unusable;
  }

  /** True once the connection was given back to its pool. */
  get released(): boolean {
    return this.#raw === null;
  }

  /** Gives the connection back to its pool: `pool.put(this)`. Does nothing if it was given back already. */
  release(): void {
    if (this.#raw !== null) this.#giveBack(this);
  }

  #use(what: string): RawConnection {
    if (this.#raw === null) throw new ConnectionReleasedError(what);
    return this.#raw;
  }

  static {
    detachConnection = (conn, owner, what) => {
      if (!(conn instanceof PooledConnection) || conn.#owner !== owner) {
        throw new TypeError(`${what} takes a connection that this pool's get() returned`);
      }
      const raw = conn.#raw;
      if (raw === null) throw new ConnectionReleasedError(what);
      conn.#raw = null;
      return raw;
    };
  }
}

/**
 * @internal Takes the connection out of `conn` (which is released from then on). Throws a TypeError if `conn`
 * did not come from `owner`, and ConnectionReleasedError if it was given back already.
 */
export function detach(conn: PooledConnection, owner: object, what: string): RawConnection {
  return detachConnection(conn, owner, what);
}

// SQLSTATE classes and codes after which the session is gone: 08 (connection exception), 57P01-57P03 (the
// server is shutting down or terminated this backend), and any FATAL or PANIC.
function sessionLost(error: unknown): boolean {
  const e = error as { severity?: unknown; code?: unknown } | null;
  if (e === null || typeof e !== 'object' || typeof e.severity !== 'string') return true; // not from the server
  if (e.severity === 'FATAL' || e.severity === 'PANIC') return true;
  const code = typeof e.code === 'string' ? e.code : '';
  return code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03';
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
