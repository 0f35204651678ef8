/**
 * One connection's life: read a head, build the Request, run the handler in this green thread, send its
 * response, and go round again while the connection may be kept alive. Pipelined requests are simply heads
 * already in the buffer. Timeouts: the first head within `headerTimeout` of the connection, every later head within
 * `headerTimeout` of its first byte, which is what stops slowloris; between requests, `keepAliveTimeout`.
 * @internal
 */
import { ClosedError, IOError, SocketTimeoutError } from '../../io/errors';
import type { SocketAddress } from '../../net/address';
import { GreenletExit } from '../../runtime/errors';
import { getCurrent, type Greenlet } from '../../runtime/greenlet';
import { yieldNow } from '../../runtime/hub';
import { wait } from '../../runtime/promise';
import { BodyReader } from './body';
import { BadRequestError, IncompleteBodyError, InvalidResponseError } from './errors';
import { ConnectionInput, type Connection } from './input';
import { clientAddress, type AccessLogEntry } from './log';
import type { HeadParser, RequestHead } from './parser';
import { fieldValue, requestCarriesBody, toRequest } from './request';
import { sendResponse, sendSimple, type Exchange, type ResponseLike } from './response';

/** What a handler learns about the connection besides the Request. */
export interface RequestInfo {
  /** The peer's address (a proxy's, behind one). */
  remoteAddress: string;
  remotePort: number;
  /** The client's address: the peer's, or X-Forwarded-For's when the peer is a trusted proxy. */
  client: string;
  /** The request's HTTP version. */
  httpVersion: '1.0' | '1.1';
  /** The connection's socket (a TlsSocket under TLS). */
  socket: Connection;
  /**
   * The body of a GET or HEAD request that has one, which a WHATWG Request cannot carry (read it here, in
   * blocking style); null for every other request, whose body is the Request's. A body not read is drained
   * after the handler, as any other.
   */
  body: IncomingBody | null;
  /**
   * Takes the connection out of HTTP (for a protocol upgrade such as WebSocket): the server sends nothing more
   * and reads nothing more on it; the handler owns the socket until it returns, and the server closes it then.
   * Returns the socket and the bytes already received past this request's head.
   */
  takeOver(): { socket: Connection; head: Buffer };
}

/** The body of a request the server received, read in blocking style. */
export interface IncomingBody {
  /** The next piece (a fresh Buffer), or null at the end. Blocks the green thread. */
  read(): Buffer | null;
  /** The rest of the body, at most `maxBodySize` bytes (BodyTooLargeError beyond). Blocks the green thread. */
  readAll(): Buffer;
}

/** A request handler: runs in the connection's green thread and may block, or return a Promise. */
export type Handler = (request: Request, info: RequestInfo) => Response | ResponseLike | Promise<Response | ResponseLike>;

/** What every connection of one server shares. */
export interface ServerContext {
  handler: Handler;
  parser: HeadParser;
  scheme: 'http' | 'https';
  maxHead: number;
  maxBodySize: number;
  maxDrain: number;
  headerTimeout: number;
  keepAliveTimeout: number;
  socketTimeout: number | null;
  maxRequestsPerConnection: number;
  trustedProxies: ReadonlySet<string>;
  accessLog: ((entry: AccessLogEntry) => void) | null;
  errorLog: (error: unknown, request: Request | null) => void;
  stopping: boolean;
  /** While stopping: idle connections may still send one more request (served with `Connection: close`). */
  draining: boolean;
  connections: Set<ConnectionState>;
  /** Told when a connection ends, so that a graceful stop can tell when all have. */
  onConnectionEnd: () => void;
}

/** A connection as a graceful stop sees it: idle ones are closed at once, busy ones finish their request. */
export interface ConnectionState {
  socket: Connection;
  idle: boolean;
  /** The green thread serving it, which a stop past its deadline kills. */
  thread: Greenlet;
}

const noBody = (head: RequestHead) => !head.chunked && head.contentLength <= 0;

/**
 * Requests served in a row from what a connection had already buffered (pipelined) before its green thread lets
 * the others run once: a client pipelining thousands of requests would otherwise hold the server for as long as
 * they take, and every other connection would wait.
 */
const PIPELINE_BURST = 16;

/**
 * The next head, or null when the client closed or stayed idle past its timeout. The first head must be whole
 * within headerTimeout of `connectedAt`; a later one within headerTimeout of its first byte (the wait before that
 * byte is the keep-alive timeout's).
 */
function readHead(input: ConnectionInput, sock: Connection, ctx: ServerContext, connectedAt: number | null): RequestHead | null {
  const first = connectedAt !== null;
  if (input.available === 0) {
    sock.setTimeout(first ? ctx.headerTimeout : ctx.keepAliveTimeout);
    try {
      if (!input.fill()) return null;
    } catch (error) {
      if (error instanceof SocketTimeoutError) return null;
      throw error;
    }
  }
  const deadline = (connectedAt ?? performance.now()) + ctx.headerTimeout * 1000;
  for (;;) {
    const head = ctx.parser.head(input.buf, input.start, input.end);
    if (head !== null) {
      input.start += head.size;
      sock.setTimeout(ctx.socketTimeout);
      return head;
    }
    const left = (deadline - performance.now()) / 1000;
    if (left <= 0) throw new BadRequestError(408, `the request head did not arrive within headerTimeout (${ctx.headerTimeout} s)`);
    sock.setTimeout(left);
    try {
      if (!input.fill()) return null;  // closed mid-head: nobody to answer
    } catch (error) {
      if (error instanceof SocketTimeoutError) {
        throw new BadRequestError(408, `the request head did not arrive within headerTimeout (${ctx.headerTimeout} s)`);
      }
      throw error;
    }
  }
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** Serves `sock` until the client or the server ends the connection, then closes it. Never throws. */
export function serveConnection(sock: Connection, peer: SocketAddress, ctx: ServerContext): void {
  const connectedAt = performance.now();
  const state: ConnectionState = { socket: sock, idle: true, thread: getCurrent() };
  ctx.connections.add(state);
  const input = new ConnectionInput(sock, ctx.maxHead);
  const remoteAddress = 'address' in peer ? peer.address : peer.path;
  const remotePort = 'port' in peer ? peer.port : 0;
  let served = 0;
  let fromBuffer = 0;
  let exchange: Exchange | null = null;
  let taken = false;
  try {
    for (;;) {
      state.idle = true;
      exchange = null;
      if (ctx.stopping && !ctx.draining) return;
      if (input.available === 0) {
        fromBuffer = 0;
      } else if (++fromBuffer >= PIPELINE_BURST) {
        fromBuffer = 0;
        yieldNow();
      }
      const head = readHead(input, sock, ctx, served === 0 ? connectedAt : null);
      if (head === null) return;
      state.idle = false;
      const started = performance.now();
      served++;
      exchange = {
        method: head.method,
        versionMinor: head.versionMinor,
        keepAlive: head.keepAlive && (ctx.maxRequestsPerConnection === 0 || served < ctx.maxRequestsPerConnection),
      };
      const body = noBody(head) ? null : new BodyReader(input, sock, ctx.parser, head, ctx.maxBodySize);
      const request = toRequest(head, body, ctx.scheme);
      const client = ctx.trustedProxies.size === 0 ? remoteAddress : clientAddress(remoteAddress, fieldValue(head.headers, 'x-forwarded-for'), ctx.trustedProxies);
      const info: RequestInfo = {
        remoteAddress,
        remotePort,
        client,
        httpVersion: head.versionMinor === 1 ? '1.1' : '1.0',
        socket: sock,
        body: body !== null && !requestCarriesBody(head.method) ? body : null,
        takeOver: () => {
          taken = true;
          return { socket: sock, head: input.drainCopy() };
        },
      };
      let result: Response | ResponseLike;
      try {
        const returned = ctx.handler(request, info);
        result = isPromise(returned) ? wait(returned) : returned;
      } catch (error) {
        if (taken || error instanceof GreenletExit) throw error;
        // A body the client broke (too large, malformed, cut off) fails the handler's read: that is the client's
        // error, answered below, and not the handler's to report.
        if (body?.failure == null) ctx.errorLog(error, request);
        result = { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'Internal Server Error\n' };
      }
      if (taken) return;
      // A body that broke HTTP (or a client that went away mid-body) decides the outcome, whatever the handler did.
      if (body?.failure) throw body.failure;
      // The handler never read a body the client is holding back for 100 Continue: close rather than read it.
      if (ctx.stopping || (body !== null && body.continuePending)) exchange.keepAlive = false;
      let sent;
      try {
        sent = sendResponse(sock, result, exchange);
      } catch (error) {
        if (!(error instanceof InvalidResponseError)) throw error;
        ctx.errorLog(error, request);
        exchange.keepAlive = false;
        sent = sendSimple(sock, 500, 'Internal Server Error', exchange);
      }
      ctx.accessLog?.({
        client,
        method: head.method,
        target: head.target,
        httpVersion: `HTTP/1.${head.versionMinor}`,
        status: sent.status,
        bytes: sent.bytes,
        referer: fieldValue(head.headers, 'referer'),
        userAgent: fieldValue(head.headers, 'user-agent'),
        duration: (performance.now() - started) / 1000,
        time: new Date(),
      });
      if (!exchange.keepAlive) return;
      if (body !== null && !body.discard(ctx.maxDrain)) return;
    }
  } catch (error) {
    if (error instanceof BadRequestError && !taken) {
      answerBadRequest(sock, error, exchange);
    } else if (!(error instanceof IOError) && !(error instanceof ClosedError) && !(error instanceof IncompleteBodyError) && !(error instanceof GreenletExit)) {
      ctx.errorLog(error, null);
    }
  } finally {
    ctx.connections.delete(state);
    sock.close();
    ctx.onConnectionEnd();
  }
}

/** Tells the client what was wrong with its request, if the connection still lets us, and gives up on it. */
function answerBadRequest(sock: Connection, error: BadRequestError, exchange: Exchange | null): void {
  try {
    sock.setTimeout(1);
    const ex: Exchange = { method: exchange?.method ?? 'GET', versionMinor: exchange?.versionMinor ?? 1, keepAlive: false };
    sendSimple(sock, error.status, error.message, ex);
    // Closing with unread input makes the kernel send a reset, which can destroy the answer before the client
    // reads it: say we are done writing and give the client a moment to read it.
    sock.shutdown('write');
  } catch {
    // The client is gone or not reading; closing is all that is left.
  }
}
