/**
 * Following redirects (RFC 9110 §15.4, as `fetch` does): where the next request goes, with which method and
 * body, and which headers must not follow it to another origin.
 *
 * Two rules keep a redirect from leaking what the caller meant for one server only: a redirect from https: to
 * http: is refused (the request, its headers and body would cross the network in clear), and on a redirect to
 * another origin only the headers that say nothing about the caller go along: an `X-Api-Key` or an
 * `Authorization` set for api.example.com must not reach whatever server that one names. Both can be relaxed,
 * explicitly, through {@link RedirectPolicy}.
 */
import { InsecureRedirectError, RedirectError } from './errors';
import type { Outgoing } from './exchange';
import { type HeaderList, withoutHeaders } from './headers';
import { NO_BODY } from './request-body';
import { parseTarget, publicHref } from './target';

/** The statuses that redirect (with a Location). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

// A request turned into a GET loses its body, and the headers that described it.
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location', 'transfer-encoding']);
// Host names the old origin: it never follows a redirect to another.
const HOST = new Set(['host']);
/**
 * The headers that follow a redirect to another origin by default: the CORS-safelisted request headers, what
 * describes the body (which a 307 or 308 sends again), and what any client sends anyway. Nothing in them
 * identifies or authorises the caller.
 */
export const CROSS_ORIGIN_SAFE_HEADERS: ReadonlySet<string> = new Set([
  'accept', 'accept-encoding', 'accept-language', 'cache-control', 'content-encoding', 'content-language',
  'content-length', 'content-type', 'pragma', 'range', 'transfer-encoding', 'user-agent',
]);

/** How redirects treat what the caller sent (the `request` options of the same names). */
export interface RedirectPolicy {
  /** Follow a redirect from https: to http:. Default false. */
  allowInsecureRedirect: boolean;
  /**
   * Which of the caller's headers follow a redirect to another origin: 'safe' (the default) those in
   * {@link CROSS_ORIGIN_SAFE_HEADERS}; a list, those and the named ones; 'all', every one, credentials included.
   */
  crossOriginHeaders: 'safe' | 'all' | ReadonlySet<string>;
}

export const DEFAULT_REDIRECT_POLICY: RedirectPolicy = { allowInsecureRedirect: false, crossOriginHeaders: 'safe' };

/**
 * The request that follows `out` redirected with `status` to `location`: 303 turns any method but HEAD into a
 * GET without body, 301 and 302 turn a POST into one; 307 and 308 repeat the method and body. Throws a
 * {@link RedirectError} when the location is not an http(s) URL, or when a streamed body would have to be sent
 * again, and an {@link InsecureRedirectError} for https: to http: unless `policy` allows it.
 */
export function redirectRequest(out: Outgoing, status: number, location: string, policy: RedirectPolicy = DEFAULT_REDIRECT_POLICY): Outgoing {
  const from = publicHref(out.target.url);
  let next;
  try {
    next = parseTarget(new URL(location, out.target.url));
  } catch (error) {
    throw new RedirectError(from, status, location, (error as Error).message);
  }
  if (out.target.url.protocol === 'https:' && next.url.protocol === 'http:' && !policy.allowInsecureRedirect) {
    throw new InsecureRedirectError(from, status, publicHref(next.url));
  }
  const toGet = (status === 303 && out.method !== 'HEAD') || ((status === 301 || status === 302) && out.method === 'POST');
  let headers = out.headers;
  let body = out.body;
  let method = out.method;
  if (toGet) {
    method = 'GET';
    body = NO_BODY;
    headers = withoutHeaders(headers, BODY_HEADERS);
  } else if (body.kind === 'stream') {
    throw new RedirectError(from, status, location, 'the request body was an iterable, which cannot be sent twice');
  }
  if (next.originKey !== out.target.originKey) headers = crossOriginHeaders(headers, policy.crossOriginHeaders);
  return { target: next, method, headers, body };
}

function crossOriginHeaders(headers: HeaderList, keep: RedirectPolicy['crossOriginHeaders']): HeaderList {
  if (keep === 'all') return withoutHeaders(headers, HOST);
  return headers.filter(([name]) => {
    const lower = name.toLowerCase();
    return CROSS_ORIGIN_SAFE_HEADERS.has(lower) || (keep !== 'safe' && keep.has(lower) && lower !== 'host');
  });
}
