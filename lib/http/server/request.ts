/**
 * From a parsed head to the WHATWG `Request` Node already has, so fetch-style handlers run unchanged. A body that
 * is small and fully announced is read before the handler runs; any other body is a `ReadableStream` whose reads
 * run in a green thread of their own (a stream's pull runs on the main stack, where nothing may block).
 * @internal
 */
import { spawn } from '../../runtime/greenthread';
import type { BodyReader } from './body';
import { BadRequestError } from './errors';
import type { RequestHead } from './parser';

/** Bodies up to this size, with a Content-Length and no 100-continue, are read before the handler runs. */
export const EAGER_BODY_LIMIT = 64 * 1024;

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

function headersOf(fields: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i < fields.length; i += 2) headers.append(fields[i], fields[i + 1]);
  return headers;
}

/** The URL a request target names, resolved against the Host header (RFC 9112 3.3). */
export function requestUrl(head: RequestHead, headers: Headers, scheme: 'http' | 'https'): string {
  const target = head.target;
  if (target.startsWith('/')) return `${scheme}://${headers.get('host') ?? 'localhost'}${target}`;
  if (target === '*') return `${scheme}://${headers.get('host') ?? 'localhost'}/`;
  if (/^https?:\/\//i.test(target)) return target;
  if (head.method === 'CONNECT') return `${scheme}://${target}/`;
  throw new BadRequestError(400, `the request target ${JSON.stringify(target.slice(0, 100))} is not a path or an absolute URL`);
}

export function toRequest(head: RequestHead, body: BodyReader | null, scheme: 'http' | 'https'): Request {
  const headers = headersOf(head.headers);
  let url: URL;
  try {
    url = new URL(requestUrl(head, headers, scheme));
  } catch (error) {
    if (error instanceof BadRequestError) throw error;
    throw new BadRequestError(400, `the request target and Host do not make a valid URL: ${(error as Error).message}`);
  }
  const init: RequestInit & { duplex?: 'half' } = { method: head.method, headers };
  // GET and HEAD Requests cannot carry a body in the WHATWG model; one sent anyway is drained after the handler.
  if (body !== null && !body.done && head.method !== 'GET' && head.method !== 'HEAD') {
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
