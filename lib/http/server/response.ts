/**
 * Sending what a handler returned: a WHATWG `Response`, or a plain {@link ResponseLike} whose body may be a
 * string, bytes, a `ReadableStream` or an iterable of chunks (a generator that blocks between chunks streams in
 * blocking style). One body piece gets a Content-Length; more are sent chunked (HTTP/1.1) or until close
 * (HTTP/1.0). HEAD, 1xx, 204 and 304 responses carry no body.
 * @internal
 */
import { STATUS_CODES } from 'node:http';
import type { Connection } from './input';
import { cancelBody, PENDING, sourceOf, type BodyInit } from './body-source';
import { InvalidResponseError } from './errors';
import { fastParts, NativeResponse } from './fast-response';
import { fieldPairs, type FieldPairs } from './fields';

/** What a handler may return instead of a WHATWG `Response`. */
export interface ResponseLike {
  status?: number;
  statusText?: string;
  headers?: ConstructorParameters<typeof Headers>[0];
  body?: BodyInit;
}

/**
 * The key under which Node's Response keeps its state, where it does (Node 20 and 22; later lines use private
 * fields): there the body a handler gave as a string or bytes can be sent as it is, instead of being read back
 * through the ReadableStream the Response wrapped it in (a Promise, so a trip through the hub, per read). Found and
 * checked once at load; null means every body is read through its stream.
 */
const RESPONSE_STATE: symbol | null = (() => {
  try {
    const probe = new Response('probe');
    const key = Object.getOwnPropertySymbols(probe).find((k) => k.description === 'state');
    const state = key === undefined ? undefined : (probe as unknown as Record<symbol, ResponseState>)[key];
    return state?.body?.source === 'probe' && state.body.stream instanceof ReadableStream ? key! : null;
  } catch {
    return null;
  }
})();

interface ResponseState {
  body?: { source: unknown; stream: ReadableStream<Uint8Array> } | null;
}

/** A Response's body: its original string or bytes when they can be had without reading, else its stream. */
function responseBody(response: Response): BodyInit {
  // A Response made by another library's class (one that only inherits from Response) may have no state of its own.
  const state = RESPONSE_STATE === null ? undefined : (response as unknown as Record<symbol, ResponseState | undefined>)[RESPONSE_STATE];
  if (state !== undefined && !response.bodyUsed) {
    const body = state.body;
    if (body === null || body === undefined) return null;
    if ((typeof body.source === 'string' || body.source instanceof Uint8Array) && !body.stream.locked) return body.source;
  }
  return response.body;
}

let dateSecond = -1;
let dateValue = '';

/** The Date header, formatted once per second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

// Framing is ours to decide; a handler's own values for these would contradict what we send.
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date']);

/** What the connection needs to know about the exchange to send the response. */
export interface Exchange {
  method: string;
  versionMinor: number;
  /** Whether the connection stays open after this response (may be turned off here). */
  keepAlive: boolean;
}

/** What was sent, for the access log. */
export interface Sent {
  status: number;
  bytes: number;
}

function validStatus(status: number): number {
  if (!Number.isInteger(status) || status < 200 || status > 999) {
    throw new InvalidResponseError(`the response status must be an integer from 200 to 999, not ${status}`);
  }
  return status;
}

/** A plain response's header fields: pairs as given when they need no conversion, else what Headers makes of them. */
function plainFields(init: ResponseLike['headers']): FieldPairs | Headers {
  const pairs = fieldPairs(init);
  if (pairs !== null) return pairs;
  try {
    return new Headers(init);
  } catch (error) {
    throw new InvalidResponseError(`the response headers are invalid: ${(error as Error).message}`);
  }
}

function headerLines(fields: FieldPairs | Headers): [lines: string, contentLength: string | null] {
  let lines = '';
  let contentLength: string | null = null;
  for (const [name, value] of fields) {
    const lower = name.toLowerCase();
    if (FRAMING.has(lower)) {
      if (lower === 'content-length') contentLength = value;
      continue;
    }
    if (/[\r\n]/.test(value)) throw new InvalidResponseError(`the response header ${name} has a line break in its value`);
    lines += `${name}: ${value}\r\n`;
  }
  return [lines, contentLength];
}

/**
 * Sends `result` on `sock`. Returns what was sent; throws InvalidResponseError before anything is written when the
 * response itself is wrong, and the socket's errors if the client goes away.
 */
export function sendResponse(sock: Connection, result: Response | ResponseLike, exchange: Exchange): Sent {
  let status: number;
  let statusText: string;
  let headers: FieldPairs | Headers;
  let body: BodyInit | undefined;
  const fast = result !== null && typeof result === 'object' ? fastParts(result) : null;
  if (fast !== null) {
    ({ status, statusText, headers, body } = fast);
  } else if (result instanceof NativeResponse) {
    status = validStatus(result.status);
    statusText = result.statusText;
    headers = result.headers;
    body = responseBody(result);
  } else if (result !== null && typeof result === 'object') {
    status = validStatus(result.status ?? 200);
    statusText = result.statusText ?? '';
    headers = plainFields(result.headers);
    body = result.body;
  } else {
    throw new InvalidResponseError(`a handler must return a Response or a { status, headers, body } object, not ${result === null ? 'null' : typeof result}`);
  }
  const reason = statusText || STATUS_CODES[status] || 'Unknown';
  if (/[\r\n]/.test(reason)) throw new InvalidResponseError('the status text has a line break');
  const [lines, declaredLength] = headerLines(headers);
  let head = `HTTP/1.1 ${status} ${reason}\r\n${lines}`;
  head += `date: ${httpDate()}\r\n`;

  const bodiless = exchange.method === 'HEAD' || status === 204 || status === 304;
  if (bodiless) {
    cancelBody(body);
    if (exchange.method === 'HEAD' && declaredLength !== null) head += `content-length: ${declaredLength}\r\n`;
    head += connectionLine(exchange) + '\r\n';
    const out = Buffer.from(head, 'latin1');
    sock.sendAll(out);
    return { status, bytes: 0 };
  }

  const source = sourceOf(body);
  const first = source.next();
  const second = first === null ? null : source.ready();
  if (second === null) {
    // The whole body is one piece: announce its length.
    const size = first === null ? 0 : first.byteLength;
    head += `content-length: ${size}\r\n${connectionLine(exchange)}\r\n`;
    const headBytes = Buffer.from(head, 'latin1');
    if (first !== null && size > 0 && size <= COALESCE_LIMIT) {
      sock.sendAll(Buffer.concat([headBytes, first]));
    } else {
      sock.sendAll(headBytes);
      if (first !== null && size > 0) sock.sendAll(first);
    }
    return { status, bytes: size };
  }

  // A body of several pieces, or of one whose end is not known yet: chunked for HTTP/1.1 clients, delimited by
  // closing the connection for HTTP/1.0 ones. Each piece goes out before the sender waits for the next; pieces
  // ready together go out in one write.
  const chunked = exchange.versionMinor === 1;
  if (!chunked) exchange.keepAlive = false;
  head += (chunked ? 'transfer-encoding: chunked\r\n' : '') + connectionLine(exchange) + '\r\n';
  const out = new PieceWriter(sock, chunked, Buffer.from(head, 'latin1'));
  try {
    out.add(first!);
    let piece: Uint8Array | null | typeof PENDING = second;
    for (;;) {
      while (piece !== PENDING && piece !== null) {
        out.add(piece);
        piece = source.ready();
      }
      if (piece === null) break;
      out.flush();
      piece = source.next();
      if (piece === null) break;
    }
  } catch (error) {
    source.cancel();
    throw error;
  }
  out.end();
  return { status, bytes: out.sent };
}

/** Pieces this large or larger are written on their own rather than copied into one write with others. */
const COALESCE_LIMIT = 16 * 1024;

/** Frames body pieces (as chunks, or as they are) and writes them in as few sends as being prompt allows. */
class PieceWriter {
  /** Body bytes written or held. */
  sent = 0;
  #held: Uint8Array[] = [];
  #heldBytes = 0;

  constructor(readonly sock: Connection, readonly chunked: boolean, head: Buffer) {
    this.#hold(head);
  }

  add(piece: Uint8Array): void {
    if (piece.byteLength === 0) return;  // an empty chunk would end the body
    this.sent += piece.byteLength;
    if (this.chunked) this.#hold(Buffer.from(`${piece.byteLength.toString(16)}\r\n`, 'latin1'));
    this.#hold(piece);
    if (this.chunked) this.#hold(CRLF);
    if (this.#heldBytes >= COALESCE_LIMIT) this.flush();
  }

  flush(): void {
    if (this.#held.length === 0) return;
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    this.sock.sendAll(held.length === 1 ? held[0] : Buffer.concat(held));
  }

  end(): void {
    if (this.chunked) this.#hold(LAST_CHUNK);
    this.flush();
  }

  #hold(bytes: Uint8Array): void {
    this.#held.push(bytes);
    this.#heldBytes += bytes.byteLength;
  }
}

const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

function connectionLine(exchange: Exchange): string {
  if (exchange.versionMinor === 1) return exchange.keepAlive ? '' : 'connection: close\r\n';
  return exchange.keepAlive ? 'connection: keep-alive\r\n' : '';
}

/** A short response of the server's own (errors before or instead of the handler's). */
export function sendSimple(sock: Connection, status: number, message: string, exchange: Exchange): Sent {
  return sendResponse(sock, { status, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `${message}\n` }, exchange);
}
