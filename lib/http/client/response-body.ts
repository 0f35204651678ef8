/**
 * Reading a response body as its framing says (RFC 9112 §6): no body, Content-Length bytes, chunked, or up to
 * the end of the connection; and whether the connection may carry another exchange afterwards.
 */
import type { GreenFile } from '../../net/file';
import { HttpProtocolError } from './errors';
import type { ResponseHead } from './response-head';
import { skipTrailers } from './response-head';

/** The pieces of one response body, read on demand. */
export interface BodyReader {
  /** The next piece (never empty), or null once the body has been read whole. Switch point: when none has arrived. */
  next(): Buffer | null;
}

export interface Framing {
  readonly body: BodyReader;
  /** True if the connection may be reused once the body has been read whole. */
  readonly reusable: boolean;
  /** The body's length when the server said it (Content-Length), else null. */
  readonly length: number | null;
}

// The most a piece of body may be: what one read of the connection's buffer gives.
const MAX_PIECE = 1 << 20;
// A chunk-size line is hex digits and maybe extensions; anything this long is not one.
const MAX_CHUNK_LINE = 4096;
const CHUNK_SIZE = /^[0-9a-fA-F]{1,13}$/;

/**
 * How the body of the response `head` to a `method` request is framed. `requestCloses`: the request asked for
 * `Connection: close`.
 */
export function frameBody(head: ResponseHead, method: string, reader: GreenFile, url: string, requestCloses: boolean): Framing {
  const tokens = listTokens(head.headers.get('connection'));
  const keepAlive = !requestCloses && !tokens.includes('close') && (head.minorVersion === 1 || tokens.includes('keep-alive'));
  if (method === 'HEAD' || head.status === 204 || head.status === 304 || head.status < 200) {
    return { body: EMPTY_BODY, reusable: keepAlive, length: 0 };
  }
  const transferEncoding = head.headers.get('transfer-encoding');
  const contentLength = head.headers.get('content-length');
  if (transferEncoding !== null) {
    const codings = listTokens(transferEncoding);
    if (codings[codings.length - 1] === 'chunked') {
      // Both framings at once is how request smuggling starts: believe chunked, and do not reuse the connection.
      return { body: new ChunkedBody(reader, url), reusable: keepAlive && contentLength === null, length: null };
    }
    return { body: new UntilCloseBody(reader), reusable: false, length: null };
  }
  if (contentLength !== null) {
    const length = parseContentLength(contentLength, url);
    return { body: length === 0 ? EMPTY_BODY : new LengthBody(reader, length, url), reusable: keepAlive, length };
  }
  return { body: new UntilCloseBody(reader), reusable: false, length: null };
}

/** The lower-case tokens of a comma-separated header value. */
function listTokens(value: string | null): string[] {
  if (value === null) return [];
  return value
    .split(',')
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token !== '');
}

// Headers joins repeated Content-Length fields with ", ": they must all agree (RFC 9112 §6.3).
function parseContentLength(value: string, url: string): number {
  const values = value.split(',').map((v) => v.trim());
  if (!values.every((v) => /^\d{1,15}$/.test(v)) || new Set(values.map(Number)).size !== 1) {
    throw new HttpProtocolError(url, `bad Content-Length: ${JSON.stringify(value.slice(0, 100))}`);
  }
  return Number(values[0]);
}

const EMPTY_BODY: BodyReader = { next: () => null };

class LengthBody implements BodyReader {
  #reader: GreenFile;
  #length: number;
  #left: number;
  #url: string;

  constructor(reader: GreenFile, length: number, url: string) {
    this.#reader = reader;
    this.#length = length;
    this.#left = length;
    this.#url = url;
  }

  next(): Buffer | null {
    if (this.#left === 0) return null;
    const piece = this.#reader.read1(Math.min(this.#left, MAX_PIECE)) as Buffer;
    if (piece.length === 0) {
      throw new HttpProtocolError(this.#url, `the body ended after ${this.#length - this.#left} of its ${this.#length} bytes`);
    }
    this.#left -= piece.length;
    return piece;
  }
}

class ChunkedBody implements BodyReader {
  #reader: GreenFile;
  #url: string;
  // Bytes left in the current chunk; 0 between chunks; -1 once the last chunk and the trailers are read.
  #left = 0;

  constructor(reader: GreenFile, url: string) {
    this.#reader = reader;
    this.#url = url;
  }

  next(): Buffer | null {
    if (this.#left < 0) return null;
    if (this.#left === 0) {
      const size = this.#readSize();
      if (size === 0) {
        skipTrailers(this.#reader, this.#url);
        this.#left = -1;
        return null;
      }
      this.#left = size;
    }
    const piece = this.#reader.read1(Math.min(this.#left, MAX_PIECE)) as Buffer;
    if (piece.length === 0) throw new HttpProtocolError(this.#url, 'the connection closed in the middle of a chunk');
    this.#left -= piece.length;
    if (this.#left === 0) this.#readChunkEnd();
    return piece;
  }

  // "1a3f;name=value\r\n": the size in hex; extensions are ignored.
  #readSize(): number {
    const line = this.#line('a chunk size');
    const semicolon = line.indexOf(';');
    const digits = (semicolon < 0 ? line : line.slice(0, semicolon)).replace(/[ \t]+$/, '');
    if (!CHUNK_SIZE.test(digits)) throw new HttpProtocolError(this.#url, `bad chunk size: ${JSON.stringify(line.slice(0, 100))}`);
    return parseInt(digits, 16);
  }

  #readChunkEnd(): void {
    if (this.#line('the end of a chunk') !== '') throw new HttpProtocolError(this.#url, 'chunk data longer than its size');
  }

  #line(what: string): string {
    const raw = this.#reader.readline(MAX_CHUNK_LINE) as Buffer;
    if (raw.length === 0 || raw[raw.length - 1] !== 0x0a) {
      if (raw.length < MAX_CHUNK_LINE) throw new HttpProtocolError(this.#url, `the connection closed before ${what}`);
      throw new HttpProtocolError(this.#url, `${what} longer than ${MAX_CHUNK_LINE} bytes`);
    }
    const end = raw.length >= 2 && raw[raw.length - 2] === 0x0d ? raw.length - 2 : raw.length - 1;
    return raw.toString('latin1', 0, end);
  }
}

class UntilCloseBody implements BodyReader {
  #reader: GreenFile;

  constructor(reader: GreenFile) {
    this.#reader = reader;
  }

  next(): Buffer | null {
    const piece = this.#reader.read1(MAX_PIECE) as Buffer;
    return piece.length === 0 ? null : piece;
  }
}
