/**
 * lib/resource: pools of reusable resources for green threads, as eventlet's `eventlet.pools`.
 *
 * Organization:
 * - {@link Pool}: items made on demand up to `maxSize`, handed out by `get` and given back by `put` (or scoped
 *   with `item(fn)`); green threads wait for an item in FIFO order, with an optional timeout;
 * - {@link TokenPool}: a Pool of opaque {@link Token}s, a concurrency limiter;
 * - errors: {@link PoolTimeoutError}, {@link PoolClosedError}.
 *
 * lib/db builds its connection pool on {@link Pool}.
 *
 * @example
 * ```ts
 * const pool = new Pool({ create: () => new Parser(), maxSize: 2 });
 * for (const doc of docs) spawn(() => pool.item((parser) => parser.parse(doc)));
 * ```
 *
 * @packageDocumentation
 */
export { Pool } from './pool';
export type { PoolOptions, PoolGetOptions, PoolStatistics } from './pool';
export { TokenPool, Token } from './token-pool';
export type { TokenPoolOptions } from './token-pool';
export { PoolTimeoutError, PoolClosedError } from './errors';
