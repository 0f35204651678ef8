/**
 * The typed errors of the HTTP client. Each names the URL it is about. Network failures are not here: they are
 * the I/O errors of the socket under the request (`ConnectionRefusedError`, `SocketTimeoutError`, ... from
 * lib/io/errors), so a caller catches `IOError` for "the network failed" and {@link HttpError} for "HTTP went
 * wrong".
 */

/** Something about an HTTP exchange went wrong (the base of the client's own errors). `url` is the request's. */
export class HttpError extends Error {
  readonly url: string;

  constructor(url: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.url = url;
  }
}

/**
 * The server's response broke HTTP/1.1: a malformed status line or header, a bad chunk size, headers over the
 * limits, a body cut short. Permanent for this exchange: the connection is closed, never reused.
 */
export class HttpProtocolError extends HttpError {
  constructor(url: string, problem: string, options?: { cause?: unknown }) {
    super(url, `${url}: malformed HTTP response: ${problem}`, options);
  }
}

/** A redirect chain longer than `maxRedirects`. `chain` holds every URL requested, in order. */
export class TooManyRedirectsError extends HttpError {
  readonly chain: readonly string[];

  constructor(chain: readonly string[], maxRedirects: number) {
    super(chain[0], `${chain[0]}: more than ${maxRedirects} redirects (the last to ${chain[chain.length - 1]})`);
    this.chain = chain;
  }
}

/** The server redirected and the request said `redirect: 'error'`, or the redirect cannot be followed. */
export class RedirectError extends HttpError {
  readonly status: number;
  readonly location: string | null;

  constructor(url: string, status: number, location: string | null, why: string) {
    super(url, `${url}: cannot follow the ${status} redirect${location === null ? '' : ` to ${location}`}: ${why}`);
    this.status = status;
    this.location = location;
  }
}

/**
 * A redirect from https: to http: was refused: following it would send the request, its headers and its body
 * unencrypted. The `request` option `allowInsecureRedirect: true` follows such redirects.
 */
export class InsecureRedirectError extends RedirectError {
  constructor(url: string, status: number, location: string) {
    super(url, status, location, 'it leads from https: to http:, where the request would travel unencrypted (allowInsecureRedirect: true follows it)');
  }
}

/**
 * A response body read whole (`text()`, `json()`, `buffer()`, `arrayBuffer()`) is larger than the request's
 * `maxBodySize`: the connection is closed and nothing more is read. Iterating over the response reads a body of
 * any size piece by piece.
 */
export class ResponseTooLargeError extends HttpError {
  /** The limit, in bytes. */
  readonly limit: number;
  /** The length the server declared (Content-Length), or null when it did not say and sent more than the limit. */
  readonly declaredLength: number | null;

  constructor(url: string, limit: number, declaredLength: number | null) {
    const what = declaredLength === null ? 'more than that' : `Content-Length ${declaredLength}`;
    super(url, `${url}: the response body is larger than maxBodySize (${limit} bytes; the server sent ${what}): ` +
      'iterate over the response to read it piece by piece, or raise maxBodySize');
    this.limit = limit;
    this.declaredLength = declaredLength;
  }
}

/** Thrown by `Response.raiseForStatus()` for a 4xx or 5xx status (never by `request` itself). */
export class HttpStatusError extends HttpError {
  readonly status: number;
  readonly statusText: string;

  constructor(url: string, status: number, statusText: string) {
    super(url, `${url}: HTTP ${status}${statusText ? ` ${statusText}` : ''}`);
    this.status = status;
    this.statusText = statusText;
  }
}
