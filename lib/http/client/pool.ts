/**
 * ConnectionPool: keep-alive connections, kept per origin (scheme://host:port) for reuse.
 *
 * A request checks a connection out (an idle one if there is one, else a new one) and holds it as a
 * {@link Lease} until its response body has been read; the lease then checks it back in, idle for the next
 * request, or closes it when it cannot be reused. Check-out and check-in never switch in the middle, so any
 * number of green threads may share a pool (the crawler's). Idle connections are reused most recent first, the
 * warmest being the least likely to have been closed by the server.
 */
import { Semaphore } from '../../sync/semaphore';
import { SocketTimeoutError } from '../../io/errors';
import { checkTimeout } from '../../runtime/seconds';
import { type Connector, type Origin, defaultConnector } from './connector';
import { type HttpsOptions, httpsConnector } from './tls-connector';
import { Connection } from './connection';
import { PoolClosedError } from '../../resource/errors';

export interface PoolOptions {
  /** Idle connections kept per origin; more are closed when checked in. Default 10. */
  maxIdlePerOrigin?: number;
  /** Seconds an idle connection is kept; an older one is closed instead of reused. Default 30. */
  idleTimeout?: number;
  /**
   * Connections open at once per origin (idle and in use); a request waits for one beyond it, its timeout
   * bounding the wait. Default Infinity (no limit).
   */
  maxConnectionsPerOrigin?: number;
  /** Opens every connection of this pool, whatever the scheme (for proxies, Unix sockets, tests). Default: TCP
   * for http:, the registered TLS connector for https:. */
  connector?: Connector;
  /** TLS options for this pool's https: connections (ignored with `connector`): a `ca` of your own, client
   * `cert`/`key`, `rejectUnauthorized`, ... Default: verify against the system's CAs. */
  tls?: HttpsOptions;
}

/** What {@link ConnectionPool.statistics} reports. */
export interface PoolStatistics {
  /** Origins with an idle or checked-out connection. */
  origins: number;
  idle: number;
  inUse: number;
  /** Connections opened since the pool was made. */
  opened: number;
  /** Check-outs served by an idle connection. */
  reused: number;
}

interface OriginEntry {
  readonly idle: Connection[];
  inUse: number;
  readonly limit: Semaphore | null;
}

/**
 * A connection checked out of a pool for one exchange. `release` gives it back exactly once.
 */
export class Lease {
  readonly connection: Connection;
  /** True when it came idle from the pool (so the server may have closed it meanwhile). */
  readonly reused: boolean;
  #checkIn: ((connection: Connection, reusable: boolean) => void) | null;

  constructor(connection: Connection, reused: boolean, checkIn: (connection: Connection, reusable: boolean) => void) {
    this.connection = connection;
    this.reused = reused;
    this.#checkIn = checkIn;
  }

  /** Gives the connection back: idle in the pool if `reusable`, else closed. Later calls do nothing. */
  release(reusable: boolean): void {
    const checkIn = this.#checkIn;
    if (checkIn === null) return;
    this.#checkIn = null;
    checkIn(this.connection, reusable);
  }

  get released(): boolean {
    return this.#checkIn === null;
  }
}

export class ConnectionPool {
  readonly maxIdlePerOrigin: number;
  readonly idleTimeout: number;
  readonly maxConnectionsPerOrigin: number;
  readonly #connector: Connector | undefined;
  #https: Connector | undefined;
  readonly #origins = new Map<string, OriginEntry>();
  #closed = false;
  #opened = 0;
  #reused = 0;

  constructor(options: PoolOptions = {}) {
    this.maxIdlePerOrigin = checkCount(options.maxIdlePerOrigin ?? 10, 'maxIdlePerOrigin', false);
    this.maxConnectionsPerOrigin = checkCount(options.maxConnectionsPerOrigin ?? Infinity, 'maxConnectionsPerOrigin', true);
    checkTimeout(options.idleTimeout, 'ConnectionPool idleTimeout');
    this.idleTimeout = options.idleTimeout ?? 30;
    if (options.connector !== undefined && typeof options.connector !== 'function') throw new TypeError('connector must be a function');
    this.#connector = options.connector;
    if (options.tls !== undefined) this.#https = httpsConnector(options.tls);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Checks out a connection to `origin`: the most recent usable idle one unless `fresh`, else a new one opened
   * within `timeout` seconds. With `maxConnectionsPerOrigin`, waits (within `timeout`) for one to come back
   * first, and throws a SocketTimeoutError when none does.
   *
   * Switch point: when it opens a connection or waits for one.
   */
  checkout(origin: Origin, originKey: string, url: string, timeout: number | null, fresh = false): Lease {
    if (this.#closed) throw new PoolClosedError(url);
    const entry = this.#entry(originKey);
    if (entry.limit !== null && !entry.limit.acquire({ timeout })) {
      throw new SocketTimeoutError('connect', timeout ?? 0, { address: `${originKey} (every connection of the pool in use)` });
    }
    entry.inUse += 1;
    try {
      if (this.#closed) throw new PoolClosedError(url);
      if (!fresh) {
        const idle = this.#takeIdle(entry);
        if (idle !== null) {
          this.#reused += 1;
          return this.#lease(idle, true, originKey);
        }
      }
      const connect = this.#connector ?? (origin.protocol === 'https:' ? this.#https : undefined) ?? defaultConnector(origin, url);
      const connection = new Connection(connect(origin, timeout));
      this.#opened += 1;
      if (this.#closed) {
        // Closed while this green thread was connecting.
        connection.close();
        throw new PoolClosedError(url);
      }
      return this.#lease(connection, false, originKey);
    } catch (error) {
      this.#giveBack(entry, originKey);
      throw error;
    }
  }

  /** Closes the idle connections, and each one in use when it comes back; requests through it then fail. */
  close(): void {
    this.#closed = true;
    for (const [key, entry] of this.#origins) {
      for (const connection of entry.idle.splice(0)) connection.close();
      if (entry.inUse === 0) this.#origins.delete(key);
    }
  }

  /** Closes the idle connections that have outlived the idle timeout (check-outs do this for their origin). */
  prune(): void {
    for (const [key, entry] of this.#origins) {
      this.#pruneEntry(entry);
      if (entry.idle.length === 0 && entry.inUse === 0) this.#origins.delete(key);
    }
  }

  statistics(): PoolStatistics {
    let idle = 0;
    let inUse = 0;
    for (const entry of this.#origins.values()) {
      idle += entry.idle.length;
      inUse += entry.inUse;
    }
    return { origins: this.#origins.size, idle, inUse, opened: this.#opened, reused: this.#reused };
  }

  #entry(key: string): OriginEntry {
    let entry = this.#origins.get(key);
    if (entry === undefined) {
      const bounded = this.maxConnectionsPerOrigin !== Infinity;
      entry = { idle: [], inUse: 0, limit: bounded ? new Semaphore(this.maxConnectionsPerOrigin) : null };
      this.#origins.set(key, entry);
    }
    return entry;
  }

  #takeIdle(entry: OriginEntry): Connection | null {
    this.#pruneEntry(entry);
    for (;;) {
      const connection = entry.idle.pop();
      if (connection === undefined) return null;
      if (!connection.looksDropped()) return connection;
      connection.close();
    }
  }

  #pruneEntry(entry: OriginEntry): void {
    const now = performance.now();
    for (let i = entry.idle.length - 1; i >= 0; i--) {
      if (this.#expired(entry.idle[i], now)) entry.idle.splice(i, 1)[0].close();
    }
  }

  #expired(connection: Connection, now: number): boolean {
    const limit = Math.min(this.idleTimeout, connection.serverIdleLimit);
    return now - connection.idleSince >= limit * 1000;
  }

  #lease(connection: Connection, reused: boolean, key: string): Lease {
    connection.exchanges += 1;
    return new Lease(connection, reused, (conn, reusable) => this.#checkIn(conn, reusable, key));
  }

  #checkIn(connection: Connection, reusable: boolean, key: string): void {
    const entry = this.#origins.get(key);
    if (entry === undefined) {
      connection.close();
      return;
    }
    if (reusable && !this.#closed && this.idleTimeout > 0 && entry.idle.length < this.maxIdlePerOrigin) {
      connection.idleSince = performance.now();
      entry.idle.push(connection);
    } else {
      connection.close();
    }
    this.#giveBack(entry, key);
  }

  #giveBack(entry: OriginEntry, key: string): void {
    entry.inUse -= 1;
    entry.limit?.release();
    if (entry.inUse === 0 && entry.idle.length === 0 && entry.limit === null) this.#origins.delete(key);
  }
}

function checkCount(value: number, what: string, allowInfinity: boolean): number {
  const ok = (Number.isInteger(value) && value >= 0) || (allowInfinity && value === Infinity);
  if (!ok || (what === 'maxConnectionsPerOrigin' && value === 0)) {
    throw new RangeError(`ConnectionPool ${what} must be an integer >= ${what === 'maxConnectionsPerOrigin' ? 1 : 0}, not ${value}`);
  }
  return value;
}
