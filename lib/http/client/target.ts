/**
 * Request targets: a URL taken apart into what HTTP/1.1 needs (the origin to connect to, the Host header, the
 * path and query to put on the request line).
 */
import type { Origin } from './connector';

export interface Target {
  /** The URL as given, parsed (the fragment is never sent). */
  readonly url: URL;
  readonly origin: Origin;
  /** "http://example.com:80": what connections are pooled by. */
  readonly originKey: string;
  /** The Host header: the host with the port when it is not the scheme's default. */
  readonly host: string;
  /** The request-target of the request line: path and query. */
  readonly path: string;
  /** "user:password" from the URL, decoded, or null. */
  readonly credentials: string | null;
}

/** Takes `input` apart; throws a TypeError for a malformed URL or a scheme other than http: and https:. */
export function parseTarget(input: string | URL): Target {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new TypeError(`not a URL: ${JSON.stringify(String(input))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`the HTTP client speaks http: and https:, not ${url.protocol} (${url.href})`);
  }
  if (url.hostname === '') throw new TypeError(`a URL without a host: ${url.href}`);
  const protocol = url.protocol;
  const port = url.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(url.port);
  // URL keeps IPv6 literals in brackets; sockets want them bare.
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const credentials =
    url.username || url.password ? `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` : null;
  return {
    url,
    origin: { protocol, host, port },
    originKey: `${protocol}//${url.hostname}:${port}`,
    host: url.host,
    path: `${url.pathname || '/'}${url.search}`,
    credentials,
  };
}

/** The URL without credentials and fragment, for messages and `Response.url`. */
export function publicHref(url: URL): string {
  if (!url.username && !url.password && !url.hash) return url.href;
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  copy.hash = '';
  return copy.href;
}
