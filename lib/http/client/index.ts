/**
 * The green HTTP client: HTTP/1.1 over green sockets (and TLS once a TLS connector is registered), blocking
 * only the calling green thread, with keep-alive connections pooled per origin.
 *
 * Organization:
 * - {@link request} and {@link get} (request.ts), following redirects (redirect.ts) over one exchange per hop
 *   (exchange.ts);
 * - {@link Response} (response.ts), whose body is read lazily as its framing says (response-body.ts) after the
 *   head (response-head.ts);
 * - {@link ConnectionPool} and {@link globalPool} (pool.ts), over {@link Connector}s (connector.ts);
 * - the errors (errors.ts).
 *
 * @example
 * ```js
 * const { GreenPool, http } = require('verdant');
 * const fetch = (url) => http.get(url, { timeout: 10 }).text();
 * for (const body of new GreenPool(10).imap(fetch, urls)) console.log(body.length);
 * ```
 * @packageDocumentation
 */
export { request, get, globalPool } from './request';
export type { RequestOptions } from './request';
export { Response } from './response';
export { ConnectionPool } from './pool';
export type { PoolOptions, PoolStatistics } from './pool';
export type { Connector, HttpStream, Origin } from './connector';
export { httpsConnector } from './tls-connector';
export type { HttpsOptions } from './tls-connector';
export type { HeadersInput } from './headers';
export type { RequestBody } from './request-body';
export { MAX_HEAD_BYTES, MAX_HEADER_FIELDS } from './response-head';
export { HttpError, HttpProtocolError, TooManyRedirectsError, RedirectError, InsecureRedirectError, ResponseTooLargeError, HttpStatusError } from './errors';
// A request through a closed ConnectionPool: the one error of every closed pool.
export { PoolClosedError } from '../../resource/errors';
