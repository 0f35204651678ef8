/**
 * db.ConnectionPool: PostgreSQL connections shared by green threads, as eventlet's `db_pool.ConnectionPool`
 * (there over DB-API drivers in OS threads; here over node-postgres, whose promises block only the green thread
 * that waits for them).
 */
import { getCurrent, Greenlet } from '../runtime/greenlet';
import { waitFor } from '../runtime/completion';
import { requireGreen } from '../runtime/hub';
import { Pool, type PoolGetOptions, type PoolStatistics } from '../resource/pool';
import { PoolClosedError, PoolTimeoutError } from '../resource/errors';
import { checkPoolSize } from '../pool/size';
import { checkFunction } from '../sync/options';
import { checkSeconds } from '../runtime/seconds';
import { Timeout } from '../time/timeout';
import { PooledConnection, RawConnection, detach } from './connection';
import { type PgDriver, type QueryConfig, type QueryResult, loadPg } from './driver';
import { ConnectTimeoutError } from './errors';

const main = Greenlet.getMain();

/**
 * Connection settings, passed as they are to pg's `Client`: `host` (a directory for a Unix socket), `port`,
 * `user`, `password`, `database`, `connectionString`, `ssl`, `application_name`, `statement_timeout`, ...
 */
export interface PgSettings {
  host?: string;
  port?: number;
  user?: string;
  password?: string | (() => string | Promise<string>);
  database?: string;
  connectionString?: string;
  ssl?: unknown;
  [setting: string]: unknown;
}

/** Options of {@link ConnectionPool}: the pool's own, and pg's connection settings. */
export interface ConnectionPoolOptions extends PgSettings {
  /** Connections opened by the constructor (which must then run in a green thread). Default 0. */
  minSize?: number;
  /** The most connections open at once, idle and in use. Default 4. */
  maxSize?: number;
  /**
   * Seconds an idle connection may sit in the pool before it is closed. Default 10. 0: connections are closed
   * when given back (the pool only limits concurrency).
   */
  maxIdle?: number;
  /**
   * Seconds after it was opened that a connection is closed instead of reused (when given back, or while idle).
   * Default 30. 0: connections are closed when given back.
   */
  maxAge?: number;
  /**
   * Seconds that opening a connection may take (TCP connect, TLS, authentication) before `get` throws
   * {@link ConnectTimeoutError}. Default 5; null for no limit.
   */
  connectTimeout?: number | null;
  /** The driver: pg's module, or one with the same `Client`. Default: `require('pg')`, on first use. */
  driver?: PgDriver;
}

/** What {@link ConnectionPool.statistics} reports: the counts of {@link Pool}, and the pool's own. */
export interface ConnectionPoolStatistics extends PoolStatistics {
  /** Connections closed for their age or idle time. */
  expired: number;
  /** Connections discarded because they were broken or abandoned mid-query. */
  broken: number;
  /** Connections given back inside a transaction, and rolled back. */
  rolledBack: number;
}

const POOL_KEYS = ['minSize', 'maxSize', 'maxIdle', 'maxAge', 'connectTimeout', 'driver'];

/**
 * A pool of PostgreSQL connections for green threads.
 *
 * ```ts
 * const pool = new db.ConnectionPool({ host: 'localhost', database: 'app', maxSize: 10 });
 * spawn(() => {
 *   const { rows } = pool.query('SELECT name FROM users WHERE id = $1', [42]);   // blocks this green thread only
 *   pool.item((conn) => {
 *     conn.query('BEGIN');
 *     conn.query('UPDATE accounts SET balance = balance - $1 WHERE id = $2', [10, 1]);
 *     conn.query('COMMIT');
 *   });
 * });
 * ```
 *
 * - `get` hands out an idle connection (the most recently used first), opens one in the calling green thread
 *   while fewer than `maxSize` are open, and otherwise waits in line (FIFO) for one to be given back.
 * - Giving a connection back (`put`, `release`, the end of `item`) rolls back a transaction left open. A
 *   connection that broke (a lost socket, a session the server ended), whose query was abandoned, that is older
 *   than `maxAge`, or whose rollback failed, is closed instead, and its slot freed for a new one.
 * - Idle connections are closed after `maxIdle` seconds, and any connection after `maxAge`. Neither idle
 *   connections nor that timer keep the process alive: a program ends when its work does.
 * - `close()` closes the idle connections at once and the others as they come back; waiting and later `get`s
 *   throw {@link PoolClosedError}.
 *
 * pg is loaded on the first connect: it is an optional peer dependency of verdant.
 */
export class ConnectionPool {
  readonly #pool: Pool<RawConnection>;
  readonly #settings: Record<string, unknown>;
  readonly #driver: PgDriver | undefined;
  readonly #maxIdle: number;
  readonly #maxAge: number;
  readonly #connectTimeout: number | null;
  #sweepTimer: ReturnType<typeof setTimeout> | null = null;
  #sweepAt = Infinity;
  #expired = 0;
  #broken = 0;
  #rolledBack = 0;

  constructor(options: ConnectionPoolOptions = {}) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError(`db.ConnectionPool takes an options object, not ${String(options)}`);
    }
    const { minSize = 0, maxSize = 4, maxIdle = 10, maxAge = 30, connectTimeout = 5, driver } = options;
    checkPoolSize(minSize, 'db.ConnectionPool minSize');
    checkPoolSize(maxSize, 'db.ConnectionPool maxSize');
    checkSeconds(maxIdle, 'db.ConnectionPool maxIdle');
    checkSeconds(maxAge, 'db.ConnectionPool maxAge');
    if (connectTimeout !== null) checkSeconds(connectTimeout, 'db.ConnectionPool connectTimeout');
    if (driver !== undefined && typeof (driver as PgDriver | null)?.Client !== 'function') {
      throw new TypeError('db.ConnectionPool: driver must be the pg module (or one with its Client constructor)');
    }
    this.#maxIdle = maxIdle;
    this.#maxAge = maxAge;
    this.#connectTimeout = connectTimeout;
    this.#driver = driver;
    this.#settings = {};
    for (const [key, value] of Object.entries(options)) if (!POOL_KEYS.includes(key)) this.#settings[key] = value;
    this.#pool = new Pool<RawConnection>({
      create: () => this.#connect(),
      minSize,
      maxSize,
      // The warmest connection first, so the rest sit idle and expire when the load drops.
      orderAsStack: true,
      dispose: (raw) => raw.close(),
      validate: (raw) => this.#reusable(raw, performance.now()),
    });
    if (minSize > 0) {
      this.#pool.clear((raw) => {
        raw.keepAlive(false);
        return false;
      });
      this.#scheduleSweep();
    }
  }

  /** The most connections open at once. */
  get maxSize(): number {
    return this.#pool.maxSize;
  }

  /** True once {@link ConnectionPool.close} was called. */
  get closed(): boolean {
    return this.#pool.closed;
  }

  /** How many `get`s would succeed without waiting: idle connections plus those the pool may still open. */
  free(): number {
    return this.#pool.free();
  }

  /** How many green threads wait in `get`. */
  waiting(): number {
    return this.#pool.waiting();
  }

  /** Counters: see {@link ConnectionPoolStatistics}. */
  statistics(): ConnectionPoolStatistics {
    return { ...this.#pool.statistics(), expired: this.#expired, broken: this.#broken, rolledBack: this.#rolledBack };
  }

  /**
   * Checks a connection out: an idle one, a new one (opened in this green thread) while fewer than `maxSize`
   * are open, or the first one given back while waiting in line. Throws {@link PoolTimeoutError} when `timeout`
   * passes first, {@link ConnectTimeoutError} when opening one takes longer than `connectTimeout`, pg's error
   * when it cannot be opened, and {@link PoolClosedError} once the pool is closed.
   *
   * Switch point: when it waits or connects. On the main stack only an idle connection can be had.
   */
  get(options?: PoolGetOptions): PooledConnection {
    let raw: RawConnection;
    try {
      raw = this.#pool.get(options);
    } catch (error) {
      if (error instanceof PoolClosedError) throw new PoolClosedError('db.ConnectionPool.get');
      if (error instanceof PoolTimeoutError) throw new PoolTimeoutError('db.ConnectionPool.get', error.timeout);
      throw error;
    }
    raw.keepAlive(true);
    return new PooledConnection(raw, this, (conn) => this.put(conn));
  }

  /**
   * Gives a connection back. A transaction left open is rolled back first (which waits for the server); a
   * connection that cannot be reused (see the class) is closed instead, and its slot freed. Throws
   * `ConnectionReleasedError` if it was given back already, and a TypeError for a connection of another pool.
   *
   * Switch point: when a rollback is needed, in a green thread. On the main stack, which cannot wait for one, a
   * connection in a transaction is closed instead (the server then rolls back).
   */
  put(conn: PooledConnection): void {
    const raw = detach(conn, this, 'db.ConnectionPool.put');
    if (this.#pool.closed) {
      this.#pool.discard(raw);
      return;
    }
    if (raw.unusable) {
      this.#broken++;
      this.#pool.discard(raw);
      return;
    }
    if (this.#tooOld(raw, performance.now())) {
      this.#expired++;
      this.#pool.discard(raw);
      return;
    }
    if (raw.transactionStatus() !== 'idle') {
      if (getCurrent() === main) {
        this.#pool.discard(raw);
        return;
      }
      try {
        raw.query(['ROLLBACK']);
        this.#rolledBack++;
      } catch (error) {
        // A rollback that fails leaves a session we cannot trust; one cut short (kill, Timeout) must still end
        // the caller's wait.
        this.#broken++;
        this.#pool.discard(raw);
        if (raw.interrupted) throw error;
        return;
      }
      if (raw.unusable || raw.transactionStatus() === 'inTransaction' || raw.transactionStatus() === 'inFailedTransaction') {
        this.#broken++;
        this.#pool.discard(raw);
        return;
      }
    }
    raw.lastUsed = performance.now();
    raw.keepAlive(false);
    this.#pool.put(raw);
    this.#scheduleSweep(raw);
  }

  /**
   * Runs `fn(conn)` with a connection from {@link ConnectionPool.get} (given `options`), and gives it back
   * however `fn` ends (unless `fn` did); returns what `fn` returns.
   *
   * Switch point: as `get` and `put`, and whatever `fn` does.
   */
  item<R>(fn: (conn: PooledConnection) => R, options?: PoolGetOptions): R {
    checkFunction(fn, 'db.ConnectionPool.item');
    const conn = this.get(options);
    try {
      return fn(conn);
    } finally {
      if (!conn.released) this.put(conn);
    }
  }

  /**
   * Runs one query on a connection of the pool and gives the connection back: `item((c) => c.query(text,
   * values))`. Not for transactions, which need one connection for several queries: use {@link
   * ConnectionPool.item}.
   *
   * Switch point: always.
   */
  query<R = any>(text: string | QueryConfig, values?: unknown[]): QueryResult<R> {
    return this.item((conn) => conn.query<R>(text, values));
  }

  /**
   * Closes the pool: idle connections now, connections checked out when they are given back; waiting and later
   * `get`s throw {@link PoolClosedError}. Never blocks (the sessions end in the background). Safe to call more
   * than once.
   */
  close(): void {
    if (this.#sweepTimer !== null) clearTimeout(this.#sweepTimer);
    this.#sweepTimer = null;
    this.#sweepAt = Infinity;
    this.#pool.close();
  }

  // Opens a connection, in the green thread that called get(), within connectTimeout.
  #connect(): RawConnection {
    requireGreen('db.ConnectionPool.get() (opening a connection)');
    const driver = this.#driver ?? loadPg();
    const raw = new RawConnection(new driver.Client({ ...this.#settings }));
    const limit = this.#connectTimeout;
    const timeout = limit === null ? null : new Timeout(limit, new ConnectTimeoutError(this.#target(), limit));
    try {
      waitFor(
        'db connect',
        (resolve, reject) => {
          raw.client.connect().then(resolve, reject);
        },
        () => raw.destroy(),
      );
    } catch (error) {
      raw.destroy();
      throw error;
    } finally {
      timeout?.cancel();
    }
    return raw;
  }

  // Whether an idle connection may be handed out: not broken and not expired.
  #reusable(raw: RawConnection, now: number): boolean {
    if (raw.unusable) {
      this.#broken++;
      return false;
    }
    if (this.#tooOld(raw, now) || this.#idleTooLong(raw, now)) {
      this.#expired++;
      return false;
    }
    return true;
  }

  #tooOld(raw: RawConnection, now: number): boolean {
    return this.#maxAge === 0 || this.#maxIdle === 0 || now - raw.createdAt > this.#maxAge * 1000;
  }

  #idleTooLong(raw: RawConnection, now: number): boolean {
    return now - raw.lastUsed > this.#maxIdle * 1000;
  }

  // When an idle connection is to be closed: at the first of its idle and age limits.
  #expiresAt(raw: RawConnection): number {
    return Math.min(raw.lastUsed + this.#maxIdle * 1000, raw.createdAt + this.#maxAge * 1000);
  }

  // Arms the sweep timer for `raw` (just made idle), or for the idle connection that expires first.
  #scheduleSweep(raw?: RawConnection): void {
    if (this.#pool.closed || this.#maxIdle === 0 || this.#maxAge === 0) return;
    let at: number;
    if (raw !== undefined) {
      at = this.#expiresAt(raw);
    } else {
      at = Infinity;
      // clear() with a predicate that keeps everything: a look at each idle connection.
      this.#pool.clear((idle) => {
        at = Math.min(at, this.#expiresAt(idle));
        return false;
      });
    }
    if (at === Infinity || (this.#sweepTimer !== null && this.#sweepAt <= at)) return;
    if (this.#sweepTimer !== null) clearTimeout(this.#sweepTimer);
    this.#sweepAt = at;
    // +1 ms: the timer's clock is coarser than performance.now().
    this.#sweepTimer = setTimeout(() => this.#sweep(), Math.max(0, at - performance.now()) + 1);
    this.#sweepTimer.unref();
  }

  // Closes the idle connections past their idle or age limit, and arms the timer for the next one.
  #sweep(): void {
    this.#sweepTimer = null;
    this.#sweepAt = Infinity;
    const now = performance.now();
    this.#pool.clear((raw) => !this.#reusable(raw, now));
    this.#scheduleSweep();
  }

  #target(): string {
    const s = this.#settings;
    if (typeof s.connectionString === 'string') {
      try {
        const url = new URL(s.connectionString);
        return `${url.hostname || 'localhost'}:${url.port || 5432}`;
      } catch {
        return 'the database server';
      }
    }
    const host = typeof s.host === 'string' ? s.host : 'localhost';
    const port = typeof s.port === 'number' || typeof s.port === 'string' ? s.port : 5432;
    return host.startsWith('/') ? `${host}/.s.PGSQL.${port}` : `${host}:${port}`;
  }
}
