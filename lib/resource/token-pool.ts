/**
 * TokenPool: a Pool of opaque tokens, as eventlet's `pools.TokenPool`: a concurrency limiter.
 */
import { Pool, type PoolOptions } from './pool';

/**
 * An opaque token from a {@link TokenPool}: holding one is the right to use whatever the pool limits. Each token
 * is a distinct object with nothing in it.
 */
export class Token {
  constructor() {
    Object.freeze(this);
  }
}

/** Options of {@link TokenPool}: those of {@link Pool} but `create`, which makes tokens. */
export type TokenPoolOptions = Omit<PoolOptions<Token>, 'create'>;

/**
 * A pool that hands out {@link Token}s: at most `maxSize` green threads hold one at a time, so it bounds how many
 * do something at once.
 *
 * ```ts
 * const limit = new TokenPool({ maxSize: 4 });
 * limit.item(() => fetchPage(url));  // at most 4 fetches at a time; the others wait their turn, in order
 * ```
 */
export class TokenPool extends Pool<Token> {
  constructor(options: TokenPoolOptions = {}) {
    if (options !== null && typeof options === 'object' && 'create' in options) {
      throw new TypeError('TokenPool makes its own tokens: it takes no create option');
    }
    super(options);
  }

  /** Makes a new token. */
  override create(): Token {
    return new Token();
  }
}
