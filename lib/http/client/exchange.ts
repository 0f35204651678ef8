/**
 * One exchange: a request written on a pooled connection and the head of its response read back. A pooled
 * connection the server closed while it sat idle fails before any byte of response comes back; such a failure
 * is retried once, on a new connection, when the request is safe to send twice.
 */
import { IOError, SocketTimeoutError } from '../../io/errors';
import { HttpProtocolError } from './errors';
import { type HeaderList, hasHeader, headerValue, withoutHeaders } from './headers';
import type { ConnectionPool } from './pool';
import { type PreparedBody, writeRequest } from './request-body';
import { frameBody } from './response-body';
import { readResponseHead } from './response-head';
import { Response } from './response';
import { type Target, publicHref } from './target';

/** A request ready to go: its target, method, the caller's checked headers, and its body. */
export interface Outgoing {
  readonly target: Target;
  readonly method: string;
  readonly headers: HeaderList;
  readonly body: PreparedBody;
}

// Methods a server must treat the same when sent twice (RFC 9110 §9.2.2).
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
// Methods that mean to send a body: without one they say Content-Length: 0.
const BODY_EXPECTED = new Set(['POST', 'PUT', 'PATCH']);
const FRAMING = new Set(['content-length', 'transfer-encoding']);

/**
 * Sends `out` through `pool` and returns the response once its head has arrived (1xx responses skipped).
 * `redirected` and `maxBodySize` are passed on to the Response.
 *
 * Switch point: always.
 */
export function exchange(pool: ConnectionPool, out: Outgoing, timeout: number | null, redirected: boolean, maxBodySize: number): Response {
  const url = publicHref(out.target.url);
  const { text, chunked, closes } = requestHead(out);
  const repeatable = IDEMPOTENT.has(out.method) && out.body.kind !== 'stream';
  for (let attempt = 0; ; attempt++) {
    const lease = pool.checkout(out.target.origin, out.target.originKey, url, timeout, attempt > 0);
    const connection = lease.connection;
    const received = connection.bytesReceived;
    try {
      connection.stream.setTimeout(timeout);
      writeRequest(connection.stream, text, out.body, chunked);
      let head = readResponseHead(connection.reader, url, out.target.originKey);
      // 1xx responses (100 Continue, 103 Early Hints) are interim: the real one follows.
      while (head.status < 200) {
        if (head.status === 101) throw new HttpProtocolError(url, 'a 101 Switching Protocols nobody asked for');
        head = readResponseHead(connection.reader, url, out.target.originKey);
      }
      connection.noteKeepAlive(head.headers.get('keep-alive'));
      const framing = frameBody(head, out.method, connection.reader, url, closes);
      return new Response({
        head, url, redirected, body: framing.body, reusable: framing.reusable, empty: framing.length === 0, length: framing.length ?? -1, maxBodySize, lease,
      });
    } catch (error) {
      lease.release(false);
      const stale =
        attempt === 0 &&
        lease.reused &&
        repeatable &&
        connection.bytesReceived === received &&
        error instanceof IOError &&
        !(error instanceof SocketTimeoutError);
      if (!stale) throw error;
    }
  }
}

/**
 * The request's head as text, with the headers the client adds when the caller did not: Host, User-Agent,
 * Accept, Authorization from the URL's credentials, and the body's framing (which the client always decides,
 * except that a streamed body with the caller's Content-Length goes unchunked).
 */
function requestHead(out: Outgoing): { text: string; chunked: boolean; closes: boolean } {
  const { target, method, body } = out;
  let headers = out.headers;
  const callerLength = headerValue(headers, 'content-length');
  headers = withoutHeaders(headers, FRAMING);
  let chunked = false;
  const lines = [`${method} ${target.path} HTTP/1.1`];
  if (!hasHeader(headers, 'host')) lines.push(`Host: ${target.host}`);
  for (const [name, value] of headers) lines.push(`${name}: ${value}`);
  if (!hasHeader(headers, 'user-agent')) lines.push('User-Agent: verdant');
  if (!hasHeader(headers, 'accept')) lines.push('Accept: */*');
  if (target.credentials !== null && !hasHeader(headers, 'authorization')) {
    lines.push(`Authorization: Basic ${Buffer.from(target.credentials, 'utf8').toString('base64')}`);
  }
  if (body.kind === 'bytes') {
    lines.push(`Content-Length: ${body.bytes.byteLength}`);
  } else if (body.kind === 'stream') {
    if (callerLength !== null) {
      lines.push(`Content-Length: ${callerLength}`);
    } else {
      lines.push('Transfer-Encoding: chunked');
      chunked = true;
    }
  } else if (BODY_EXPECTED.has(method)) {
    lines.push('Content-Length: 0');
  }
  const connection = headerValue(headers, 'connection');
  const closes = connection !== null && /(?:^|,)\s*close\s*(?:,|$)/i.test(connection);
  return { text: `${lines.join('\r\n')}\r\n\r\n`, chunked, closes };
}
