/**
 * From a parsed head to the WHATWG `Request` Node already has, so fetch-style handlers run unchanged. A body that
 * is small and fully announced is read before the handler runs; any other body is a `ReadableStream` whose reads
 * run in a green thread of their own (a stream's pull runs on the main stack, where nothing may block).
 * @internal
 */
import { spawn } from '../../runtime/greenthread';
import type { BodyReader } from './body';
import { BadRequestError } from './errors';
import { headersOf, lazyRequest } from './lazy-request';
import type { RequestHead } from './parser';

/** Bodies up to this size, with a Content-Length and no 100-continue, are read before the handler runs. */
export const EAGER_BODY_LIMIT = 64 * 1024;

/** Methods the Fetch standard forbids in a Request (checked without regard to case, as it does). */
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** Whether a WHATWG Request with this method may have a body (GET and HEAD, in any case, may not). */
export function requestCarriesBody(method: string): boolean {
  const upper = method.toUpperCase();
  return upper !== 'GET' && upper !== 'HEAD';
}

function streamOf(body: BodyReader): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      return new Promise<void>((resolve, reject) => {
        spawn(() => {
          try {
            const piece = body.read();
            if (piece === null) {
              controller.close();
            } else {
              controller.enqueue(piece);
            }
            resolve();
          } catch (error) {
            reject(error);
          }
        });
      });
    },
  }, { highWaterMark: 0 });  // pull only when the handler reads: reading is what sends 100 Continue
}

/** A field's value as Headers would give it: every field of that name, joined by ", "; null without any. */
export function fieldValue(fields: readonly string[], name: string): string | null {
  let value: string | null = null;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i].length === name.length && fields[i].toLowerCase() === name) {
      value = value === null ? fields[i + 1] : `${value}, ${fields[i + 1]}`;
    }
  }
  return value;
}

/** The URL a request target names, resolved against the Host header (RFC 9112 3.3). */
export function requestUrl(head: RequestHead, scheme: 'http' | 'https'): string {
  const target = head.target;
  if (target.startsWith('/')) return `${scheme}://${fieldValue(head.headers, 'host') ?? 'localhost'}${target}`;
  if (target === '*') return `${scheme}://${fieldValue(head.headers, 'host') ?? 'localhost'}/`;
  if (/^https?:\/\//i.test(target)) return target;
  if (head.method === 'CONNECT') return `${scheme}://${target}/`;
  throw new BadRequestError(400, `the request target ${JSON.stringify(target.slice(0, 100))} is not a path or an absolute URL`);
}

function parsedUrl(head: RequestHead, scheme: 'http' | 'https'): URL {
  let url: URL;
  try {
    url = new URL(requestUrl(head, scheme));
  } catch (error) {
    if (error instanceof BadRequestError) throw error;
    throw new BadRequestError(400, `the request target and Host do not make a valid URL: ${(error as Error).message}`);
  }
  // A Request may not carry credentials in its URL (they would leak into every log and link made from req.url).
  if (url.username !== '' || url.password !== '') throw new BadRequestError(400, 'the request target has credentials (user:password@) in it');
  return url;
}

/**
 * The Request for a parsed head. Throws BadRequestError, before the handler runs, for what no Request can stand
 * for: 501 for a method the Fetch standard forbids (CONNECT, TRACE, TRACK), 400 for a URL it refuses.
 */
export function toRequest(head: RequestHead, body: BodyReader | null, scheme: 'http' | 'https'): Request {
  if (FORBIDDEN_METHODS.has(head.method.toUpperCase())) {
    throw new BadRequestError(501, `the ${head.method} method is not served: a fetch-style Request cannot stand for it`);
  }
  const url = parsedUrl(head, scheme);
  const bodiless = body === null || body.done || !requestCarriesBody(head.method);
  if (bodiless) {
    const lazy = lazyRequest(head, url.href);
    if (lazy !== null) return lazy;
  }
  const init: RequestInit & { duplex?: 'half' } = { method: head.method, headers: headersOf(head.headers) };
  // GET and HEAD Requests cannot carry a body in the WHATWG model: one sent anyway is the handler's through
  // info.body, and drained after the handler if it does not read it.
  if (!bodiless) {
    if (!head.chunked && !head.expectContinue && head.contentLength <= EAGER_BODY_LIMIT) {
      init.body = body.readAll();
    } else {
      init.body = streamOf(body);
      init.duplex = 'half';
    }
  }
  try {
    return new Request(url, init);
  } catch (error) {
    throw new BadRequestError(400, `the request cannot be represented: ${(error as Error).message}`);
  }
}
