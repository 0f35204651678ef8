/**
 * A small reader of one HTTP/1.1 message head (start line and header fields), for the handshake: the request on
 * a raw server socket ({@link readUpgradeRequest}) and the server's response on the client. Bounded, so that a
 * peer cannot make us buffer without end; bytes that arrived after the head are handed back, as they already
 * belong to the WebSocket's frames.
 */
import type { ByteStream } from './frame-reader';
import { HandshakeError } from './errors';

/** The most bytes a head may take, by default. */
export const DEFAULT_MAX_HEAD_BYTES = 16 * 1024;

/** A head as read: its start line, its fields, and what came after it. */
export interface MessageHead {
  readonly startLine: string;
  readonly headers: Headers;
  /** Bytes read past the head's end. */
  readonly leftover: Buffer;
}

const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*(.*?)[ \t]*$/;

/**
 * Reads one head; null when the stream ends before its first byte. A malformed or oversized head, or one cut
 * short, is a string saying what is wrong with it (the caller decides whom to tell).
 *
 * Switch point: until the whole head has arrived.
 */
export function readHead(stream: Pick<ByteStream, 'recvInto'>, maxBytes: number): MessageHead | string | null {
  let buffer = Buffer.allocUnsafe(Math.min(maxBytes, 4096));
  let length = 0;
  let end = -1;
  let scanned = 0;
  while (end < 0) {
    if (length === buffer.length) {
      if (length >= maxBytes) return `the head is larger than ${maxBytes} bytes`;
      const bigger = Buffer.allocUnsafe(Math.min(maxBytes, buffer.length * 2));
      buffer.copy(bigger, 0, 0, length);
      buffer = bigger;
    }
    const n = stream.recvInto(buffer.subarray(length), buffer.length - length);
    if (n === 0) return length === 0 ? null : 'the connection closed in the middle of the head';
    length += n;
    end = headEnd(buffer, Math.max(0, scanned - 3), length);
    scanned = length;
  }
  // Field bytes beyond ASCII are ISO-8859-1 by definition (RFC 9110 §5.5).
  const lines = buffer.toString('latin1', 0, end).split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const headers = new Headers();
  for (const line of lines.slice(1)) {
    const match = FIELD.exec(line);
    if (match === null) return `not a header line: ${JSON.stringify(line.slice(0, 100))}`;
    try {
      headers.append(match[1], match[2]);
    } catch {
      return `a bad value for the header ${match[1]}`;
    }
  }
  return { startLine: lines[0], headers, leftover: Buffer.from(buffer.subarray(end, length)) };
}

// The index just past the empty line that ends the head (CRLF CRLF, or bare LFs), or -1.
function headEnd(buffer: Buffer, from: number, to: number): number {
  for (let i = from; i < to; i++) {
    if (buffer[i] !== 0x0a) continue;
    if (i + 1 < to && buffer[i + 1] === 0x0a) return i + 2;
    if (i + 2 < to && buffer[i + 1] === 0x0d && buffer[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

/** An HTTP request that asks for an upgrade, as {@link acceptWebSocket} takes it. */
export interface UpgradeRequest {
  readonly method: string;
  /** The request-target ("/chat?room=1"). */
  readonly url: string;
  /** Lower-cased names to values (repeated fields as arrays or joined with ", "), or a `Headers`. */
  readonly headers: Headers | Readonly<Record<string, string | readonly string[] | undefined>>;
  /** "1.1" (the default when absent) or "1.0"; a WebSocket needs 1.1. */
  readonly httpVersion?: string;
  /** Bytes the server read past the request's head: the first bytes of the WebSocket's stream. */
  readonly leftover?: Uint8Array;
}

/** What {@link readUpgradeRequest} returns: an {@link UpgradeRequest} with its headers as a `Headers`. */
export interface ReadRequest extends UpgradeRequest {
  readonly headers: Headers;
  readonly httpVersion: string;
  readonly leftover: Buffer;
}

export interface ReadUpgradeRequestOptions {
  /** The most bytes the head may take; default 16 KiB. Over it, a 431 is answered. */
  maxHeadBytes?: number;
}

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/1\.([01])$/;

/**
 * Reads one HTTP request head from a raw connection (for a standalone WebSocket server: tests, examples, a
 * server that routes on nothing but the path). Returns null when the client closes before sending anything.
 * A malformed head is answered with a 400 (431 when too large) and thrown as a {@link HandshakeError}.
 *
 * Switch point: until the whole head has arrived.
 */
export function readUpgradeRequest(
  sock: Pick<ByteStream, 'recvInto' | 'sendAll'>,
  options: ReadUpgradeRequestOptions = {},
): ReadRequest | null {
  const maxBytes = options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 16) throw new RangeError(`maxHeadBytes is an integer >= 16, not ${maxBytes}`);
  const head = readHead(sock, maxBytes);
  if (head === null) return null;
  if (typeof head === 'string') {
    throw rejectRequest(sock, head.startsWith('the head is larger') ? 431 : 400, `malformed request: ${head}`);
  }
  const match = REQUEST_LINE.exec(head.startLine);
  if (match === null) throw rejectRequest(sock, 400, `not an HTTP/1.x request line: ${JSON.stringify(head.startLine.slice(0, 100))}`);
  return { method: match[1], url: match[2], httpVersion: `1.${match[3]}`, headers: head.headers, leftover: head.leftover };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  403: 'Forbidden',
  426: 'Upgrade Required',
  431: 'Request Header Fields Too Large',
};

/**
 * Answers a refused handshake with `status` and `reason` as a plain-text body, and returns the error to throw.
 * A failure to write the answer (the client already left) is not the caller's problem: the error says why the
 * handshake failed either way.
 */
export function rejectRequest(
  sock: Pick<ByteStream, 'sendAll'>,
  status: number,
  reason: string,
  extraHeaders: readonly string[] = [],
): HandshakeError {
  const body = Buffer.from(`${reason}\n`, 'utf8');
  const head =
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}\r\n` +
    [...extraHeaders, 'Content-Type: text/plain; charset=utf-8', `Content-Length: ${body.length}`, 'Connection: close']
      .map((line) => `${line}\r\n`)
      .join('') +
    '\r\n';
  try {
    sock.sendAll(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  } catch (error) {
    return new HandshakeError(status, reason, { cause: error });
  }
  return new HandshakeError(status, reason);
}
