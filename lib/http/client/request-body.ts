/**
 * Request bodies: what a caller may send, and how it goes on the wire after the head (RFC 9112 §6-7): bytes with
 * a Content-Length, or an iterable of pieces sent chunked, each piece as it comes.
 */
import type { HttpStream } from './connector';

/**
 * A request body: a string (sent as UTF-8), bytes (a Buffer, any typed array, a DataView or an ArrayBuffer), or
 * an iterable of strings and bytes (a generator, say), sent chunked as it produces them. An iterable body can be
 * sent once only: it is not retried on a stale connection and cannot follow a 307 or 308 redirect.
 */
export type RequestBody = string | ArrayBufferView | ArrayBuffer | Iterable<string | ArrayBufferView>;

export type PreparedBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array }
  | { readonly kind: 'stream'; readonly chunks: Iterable<string | ArrayBufferView> };

export const NO_BODY: PreparedBody = { kind: 'none' };

// Up to this size a body goes out in the same write as the head.
const COALESCE_LIMIT = 64 * 1024;

/** `body` sorted into its kind; throws a TypeError for anything else. */
export function prepareBody(body: RequestBody | undefined | null): PreparedBody {
  if (body === undefined || body === null) return NO_BODY;
  if (typeof body === 'string') return { kind: 'bytes', bytes: Buffer.from(body, 'utf8') };
  if (ArrayBuffer.isView(body)) return { kind: 'bytes', bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) };
  if (body instanceof ArrayBuffer) return { kind: 'bytes', bytes: new Uint8Array(body) };
  if (typeof (body as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') return { kind: 'stream', chunks: body };
  throw new TypeError(`a request body is a string, bytes or an iterable of them, not ${typeof body}`);
}

/**
 * Writes the head and then the body: bytes as they are; an iterable's pieces chunked when `chunked`, else as
 * they are (the caller set a Content-Length).
 *
 * Switch point: when the connection cannot take it all at once, and in the body's iterator.
 */
export function writeRequest(stream: HttpStream, head: string, body: PreparedBody, chunked: boolean): void {
  const headBytes = Buffer.from(head, 'latin1');
  if (body.kind === 'none') {
    stream.sendAll(headBytes);
  } else if (body.kind === 'bytes') {
    if (body.bytes.byteLength <= COALESCE_LIMIT) {
      stream.sendAll(Buffer.concat([headBytes, body.bytes]));
    } else {
      stream.sendAll(headBytes);
      stream.sendAll(body.bytes);
    }
  } else {
    stream.sendAll(headBytes);
    for (const chunk of body.chunks) {
      const bytes = toBytes(chunk);
      // An empty chunk would say "the body ends here".
      if (bytes.byteLength === 0) continue;
      if (chunked) stream.sendAll(Buffer.concat([Buffer.from(`${bytes.byteLength.toString(16)}\r\n`), bytes, CRLF]));
      else stream.sendAll(bytes);
    }
    if (chunked) stream.sendAll(LAST_CHUNK);
  }
}

const CRLF = Buffer.from('\r\n');
const LAST_CHUNK = Buffer.from('0\r\n\r\n');

function toBytes(chunk: unknown): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError(`the pieces of a request body are strings or bytes, not ${chunk === null ? 'null' : typeof chunk}`);
}
