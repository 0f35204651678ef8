/**
 * request(url, options) and get(url): the client's entry points. They send the request on a pooled connection,
 * follow redirects, and return the {@link Response} as soon as its head has arrived; the body is read when
 * asked for.
 */
import { getDefaultTimeout } from '../../io/green-fd';
import { checkTimeout } from '../../runtime/seconds';
import { RedirectError, TooManyRedirectsError } from './errors';
import { type Outgoing, exchange } from './exchange';
import { type HeadersInput, hasHeader, headerList } from './headers';
import { ConnectionPool } from './pool';
import { REDIRECT_STATUSES, type RedirectPolicy, redirectRequest } from './redirect';
import { type RequestBody, prepareBody } from './request-body';
import type { Response } from './response';
import { parseTarget, publicHref } from './target';

export interface RequestOptions {
  /** Default 'GET'. The usual methods are upper-cased ('post' sends POST); others go as given. */
  method?: string;
  headers?: HeadersInput;
  /** A string, bytes, or an iterable of them (sent chunked). Content-Length is set when the length is known. */
  body?: RequestBody;
  /** A value to send as JSON (instead of `body`), with `Content-Type: application/json` unless given. */
  json?: unknown;
  /**
   * Seconds each blocking step may take: connecting (name resolution included), sending, and each read of the
   * response, its body included; a step that takes longer throws a SocketTimeoutError. It bounds each step, not
   * the whole request: wrap the call in a `Timeout` for an overall deadline. Absent: the default socket timeout
   * (`setDefaultTimeout`, none unless set); `null`: no limit.
   */
  timeout?: number | null;
  /**
   * 'follow' (the default) follows redirects, up to `maxRedirects`; 'manual' returns the 3xx response;
   * 'error' throws a RedirectError on one.
   */
  redirect?: 'follow' | 'manual' | 'error';
  /** Redirects followed at most before a TooManyRedirectsError; default 10. */
  maxRedirects?: number;
  /**
   * Follow a redirect from https: to http:. Default false: such a redirect throws an InsecureRedirectError, since
   * the request, its headers and its body would cross the network unencrypted.
   */
  allowInsecureRedirect?: boolean;
  /**
   * Which of the headers given here follow a redirect to another origin (scheme, host or port differ). 'safe'
   * (the default): only those that say nothing about the caller (Accept, Accept-Encoding, Accept-Language,
   * Cache-Control, Content-Type and the other body headers, Pragma, Range, User-Agent); credentials (Authorization,
   * Cookie, Proxy-Authorization) and every other header (an X-Api-Key) stay with the origin they were meant for.
   * A list of names: those too. 'all': every header, credentials included (curl's --location-trusted). Host
   * never follows.
   */
  crossOriginHeaders?: 'safe' | 'all' | readonly string[];
  /** The pool whose connections to use; default {@link globalPool}. */
  pool?: ConnectionPool;
  /**
   * The largest body `text()`, `json()`, `buffer()` and `arrayBuffer()` gather, in bytes; a larger one is a
   * ResponseTooLargeError, so that a server cannot make the client buffer without end. Default 64 MiB; `null`:
   * no limit. Iterating over the response reads a body of any size piece by piece.
   */
  maxBodySize?: number | null;
}

/** The pool requests use unless given another: keep-alive connections shared by the whole program. */
export const globalPool = new ConnectionPool();

/** Bytes a whole-body read gathers at most unless `maxBodySize` says otherwise (the server's default too). */
export const DEFAULT_MAX_BODY_SIZE = 64 * 1024 * 1024;

const STANDARD_METHODS = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Sends an HTTP/1.1 request to `url` (http: or https:) and returns the response once its status and headers
 * have arrived; read its body with `text()`, `json()`, `buffer()`, `arrayBuffer()` or by iterating over it. The
 * connection returns to the pool when the body has been read (or `discard()`ed), so read or close every
 * response.
 *
 * # Errors
 * TypeError for bad arguments; the socket's I/O errors for network failures (ConnectionRefusedError,
 * SocketTimeoutError, DnsError, ConnectionResetError when the server hangs up without answering);
 * HttpProtocolError for a malformed response; TooManyRedirectsError, RedirectError and InsecureRedirectError (https:
 * to http:) from redirects. A 4xx or
 * 5xx status is a response, not an error (see `raiseForStatus()`).
 *
 * Switch point: always. Needs a green thread.
 */
export function request(url: string | URL, options: RequestOptions = {}): Response {
  if (options === null || typeof options !== 'object') throw new TypeError('request options must be an object');
  const method = checkMethod(options.method ?? 'GET');
  checkTimeout(options.timeout, 'request timeout');
  const timeout = options.timeout === undefined ? getDefaultTimeout() : options.timeout;
  const mode = options.redirect ?? 'follow';
  if (mode !== 'follow' && mode !== 'manual' && mode !== 'error') {
    throw new TypeError(`redirect is 'follow', 'manual' or 'error', not ${JSON.stringify(mode)}`);
  }
  const maxRedirects = options.maxRedirects ?? 10;
  if (!Number.isInteger(maxRedirects) || maxRedirects < 0) throw new RangeError(`maxRedirects must be an integer >= 0, not ${maxRedirects}`);
  const pool = options.pool ?? globalPool;
  if (!(pool instanceof ConnectionPool)) throw new TypeError('pool must be a ConnectionPool');
  const policy = redirectPolicy(options);
  const maxBodySize = options.maxBodySize === null ? Infinity : options.maxBodySize ?? DEFAULT_MAX_BODY_SIZE;
  if (maxBodySize !== Infinity && (!Number.isSafeInteger(maxBodySize) || maxBodySize < 0)) {
    throw new RangeError(`maxBodySize must be an integer >= 0 or null, not ${String(options.maxBodySize)}`);
  }

  let headers = headerList(options.headers);
  let bodyInput = options.body;
  if (options.json !== undefined) {
    if (bodyInput !== undefined) throw new TypeError('give a request body or json, not both');
    bodyInput = JSON.stringify(options.json);
    if (!hasHeader(headers, 'content-type')) headers = [...headers, ['Content-Type', 'application/json']];
  }
  let out: Outgoing = { target: parseTarget(url), method, headers, body: prepareBody(bodyInput) };
  const chain = [publicHref(out.target.url)];
  for (;;) {
    const response = exchange(pool, out, timeout, chain.length > 1, maxBodySize);
    if (mode === 'manual' || !REDIRECT_STATUSES.has(response.status)) return response;
    const location = response.headers.get('location');
    // A 3xx without a Location is a final response (RFC 9110 §15.4).
    if (location === null) return response;
    let next: Outgoing;
    try {
      if (mode === 'error') throw new RedirectError(response.url, response.status, location, "the request said redirect: 'error'");
      next = redirectRequest(out, response.status, location, policy);
      if (chain.length > maxRedirects) throw new TooManyRedirectsError([...chain, publicHref(next.target.url)], maxRedirects);
    } catch (error) {
      response.close();
      throw error;
    }
    // The redirect's own body is of no interest; reading it (when short) keeps the connection for the next hop.
    response.discard();
    chain.push(publicHref(next.target.url));
    out = next;
  }
}

/** `request(url, { ...options, method: 'GET' })`. */
export function get(url: string | URL, options: Omit<RequestOptions, 'method' | 'body' | 'json'> = {}): Response {
  return request(url, { ...options, method: 'GET' });
}

function redirectPolicy(options: RequestOptions): RedirectPolicy {
  const allowInsecureRedirect = options.allowInsecureRedirect ?? false;
  if (typeof allowInsecureRedirect !== 'boolean') throw new TypeError(`allowInsecureRedirect must be a boolean, not ${typeof allowInsecureRedirect}`);
  const keep = options.crossOriginHeaders ?? 'safe';
  if (keep === 'safe' || keep === 'all') return { allowInsecureRedirect, crossOriginHeaders: keep };
  if (!Array.isArray(keep) || !keep.every((name) => typeof name === 'string')) {
    throw new TypeError(`crossOriginHeaders is 'safe', 'all' or a list of header names, not ${JSON.stringify(keep)}`);
  }
  return { allowInsecureRedirect, crossOriginHeaders: new Set(keep.map((name) => name.toLowerCase())) };
}

function checkMethod(method: unknown): string {
  if (typeof method !== 'string' || !TOKEN.test(method)) throw new TypeError(`not an HTTP method: ${JSON.stringify(method)}`);
  const upper = method.toUpperCase();
  return STANDARD_METHODS.has(upper) ? upper : method;
}
