/**
 * Following redirects (RFC 9110 §15.4, as `fetch` does): where the next request goes, with which method and
 * body, and which headers must not follow it to another origin.
 */
import { RedirectError } from './errors';
import type { Outgoing } from './exchange';
import { withoutHeaders } from './headers';
import { NO_BODY } from './request-body';
import { parseTarget, publicHref } from './target';

/** The statuses that redirect (with a Location). */
export const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

// A request turned into a GET loses its body, and the headers that described it.
const BODY_HEADERS = new Set(['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location', 'transfer-encoding']);
// Credentials given for one origin are not handed to another; Host names the old one.
const ORIGIN_HEADERS = new Set(['authorization', 'proxy-authorization', 'cookie', 'host']);

/**
 * The request that follows `out` redirected with `status` to `location`: 303 turns any method but HEAD into a
 * GET without body, 301 and 302 turn a POST into one; 307 and 308 repeat the method and body. Throws a
 * {@link RedirectError} when the location is not an http(s) URL, or when a streamed body would have to be sent
 * again.
 */
export function redirectRequest(out: Outgoing, status: number, location: string): Outgoing {
  const from = publicHref(out.target.url);
  let next;
  try {
    next = parseTarget(new URL(location, out.target.url));
  } catch (error) {
    throw new RedirectError(from, status, location, (error as Error).message);
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
  if (next.originKey !== out.target.originKey) headers = withoutHeaders(headers, ORIGIN_HEADERS);
  return { target: next, method, headers, body };
}
