/**
 * Reading a response's head (status line and header fields, RFC 9112 §4-5) from a connection's reader, within
 * limits, so that a hostile or broken server cannot make the client buffer without end.
 */
import { ConnectionResetError } from '../../io/errors';
import type { GreenFile } from '../../net/file';
import { native } from '../../io/native';
import { DEFAULT_HEAD_LIMITS } from '../limits';
import { HttpProtocolError } from './errors';

/** The most bytes a head (status line and headers, or a chunked body's trailers) may take. */
export const MAX_HEAD_BYTES = DEFAULT_HEAD_LIMITS.maxHead;
/** The most header fields a head may have. */
export const MAX_HEADER_FIELDS = DEFAULT_HEAD_LIMITS.maxHeaders;

export interface ResponseHead {
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minorVersion: 0 | 1;
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
}

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: ([^\0]*))?$/;
const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/;
const ECONNRESET = -native.io_constants.ECONNRESET;

/**
 * Reads one head. `address` names the peer in the error thrown when the server closes the connection before
 * sending anything (a ConnectionResetError, which a stale pooled connection gets).
 *
 * Switch point: when the reader holds no full head.
 */
export function readResponseHead(reader: GreenFile, url: string, address: string): ResponseHead {
  const lines = new HeadLines(reader, url, 'headers');
  const statusLine = lines.next();
  if (statusLine === null) {
    throw new ConnectionResetError(ECONNRESET, 'recv', { address }, `${url}: the server closed the connection without sending a response`);
  }
  const match = STATUS_LINE.exec(statusLine);
  if (match === null) throw new HttpProtocolError(url, `not an HTTP/1.x status line: ${JSON.stringify(statusLine.slice(0, 100))}`);
  const headers = new Headers();
  readFields(lines, (name, value) => {
    try {
      headers.append(name, value);
    } catch (error) {
      throw new HttpProtocolError(url, `bad value for header ${name}`, { cause: error });
    }
  });
  return { minorVersion: match[1] === '1' ? 1 : 0, status: Number(match[2]), statusText: match[3] ?? '', headers };
}

/** Reads and drops a chunked body's trailer fields, up to the empty line that ends them. */
export function skipTrailers(reader: GreenFile, url: string): void {
  readFields(new HeadLines(reader, url, 'trailers'), () => {});
}

// Reads "name: value" lines up to the empty line, unfolding obsolete line folding (a line starting with a space
// or tab continues the previous value), and hands each field to `onField`.
function readFields(lines: HeadLines, onField: (name: string, value: string) => void): void {
  let pending: [string, string] | null = null;
  let count = 0;
  for (;;) {
    const line = lines.next();
    if (line === null) throw new HttpProtocolError(lines.url, `the connection closed in the middle of the ${lines.what}`);
    if (line !== '' && (line[0] === ' ' || line[0] === '\t')) {
      if (pending === null) throw new HttpProtocolError(lines.url, `a folded line before any header: ${JSON.stringify(line.slice(0, 100))}`);
      pending[1] += ` ${line.trim()}`;
      continue;
    }
    if (pending !== null) onField(pending[0], pending[1]);
    if (line === '') return;
    const match = FIELD.exec(line);
    if (match === null) throw new HttpProtocolError(lines.url, `not a header line: ${JSON.stringify(line.slice(0, 100))}`);
    if (++count > MAX_HEADER_FIELDS) throw new HttpProtocolError(lines.url, `more than ${MAX_HEADER_FIELDS} header fields in the ${lines.what}`);
    pending = [match[1], match[2]];
  }
}

// The lines of one head, CRLF or bare LF ended, counted against MAX_HEAD_BYTES.
class HeadLines {
  readonly url: string;
  readonly what: string;
  #reader: GreenFile;
  #budget = MAX_HEAD_BYTES;

  constructor(reader: GreenFile, url: string, what: string) {
    this.#reader = reader;
    this.url = url;
    this.what = what;
  }

  /** The next line without its line end; null at end of stream before any byte of it. */
  next(): string | null {
    const raw = this.#reader.readline(this.#budget + 1) as Buffer;
    if (raw.length === 0) return null;
    if (raw.length > this.#budget) throw new HttpProtocolError(this.url, `the ${this.what} are larger than ${MAX_HEAD_BYTES} bytes`);
    this.#budget -= raw.length;
    if (raw[raw.length - 1] !== 0x0a) throw new HttpProtocolError(this.url, `the connection closed in the middle of the ${this.what}`);
    const end = raw.length >= 2 && raw[raw.length - 2] === 0x0d ? raw.length - 2 : raw.length - 1;
    // Header bytes beyond ASCII are ISO-8859-1 by definition (RFC 9110 §5.5).
    return raw.toString('latin1', 0, end);
  }
}
