/**
 * `serve(handler, options)`: the green HTTP/1.1 server. An accept loop (lib/net's serve) hands each connection
 * to a green thread of a pool, which runs {@link serveConnection}; {@link HttpServer.stop} stops it gracefully.
 */
import { ClosedError } from '../../io/errors';
import { formatAddress, type SocketAddress } from '../../net/address';
import { listen } from '../../net/convenience';
import type { AcceptBalance } from '../../net/accept-balance';
import { serve as acceptLoop, type ServeOptions as AcceptOptions } from '../../net/serve';
import type { GreenSocket } from '../../net/socket';
import { wrapTls } from '../../net/tls/socket';
import { createTlsContext, TlsContext, type TlsContextOptions } from '../../net/tls/context';
import { kill, spawn } from '../../runtime/greenthread';
import { Event } from '../../sync/event';
import { Timeout } from '../../time/timeout';
import { serveConnection, type ConnectionState, type Handler, type ServerContext } from './connection';
import { installFastResponse } from './fast-response';
import { accessLogger, type AccessLogOption } from './log';
import { DEFAULT_HEAD_LIMITS, type HeadLimits } from '../limits';
import { HeadParser } from './parser';

export interface HttpServeOptions {
  /** Port to listen on (0: any free one; see {@link HttpServer.address}). Default 8080. Ignored with `sock`. */
  port?: number;
  /** Address to listen on. Default '0.0.0.0'. Ignored with `sock`. */
  host?: string;
  /** A listening socket to serve instead (from lib/net's listen, or inherited from a launcher). */
  sock?: GreenSocket;
  /** Listen backlog. Default 1024. */
  backlog?: number;
  /** Connections served at once; more wait in the backlog. Default 1000. */
  concurrency?: number;
  /**
   * Take turns with other processes serving the same listening socket, so that connections spread evenly over
   * them (`verdant serve` gives its workers one). Default: none.
   */
  balance?: AcceptBalance;
  /** Serve HTTPS: a TLS context (serverSide) or the options to make one. */
  tls?: TlsContext | TlsContextOptions;
  /** Limits on request heads (414 and 431 beyond). */
  limits?: Partial<HeadLimits>;
  /** Largest request body in bytes (413 beyond). Default 64 MiB. */
  maxBodySize?: number;
  /** Seconds a client has to send a whole request head (408 beyond; the slowloris defence). Default 30. */
  headerTimeout?: number;
  /** Seconds an idle keep-alive connection is kept. Default 5. */
  keepAliveTimeout?: number;
  /** Seconds any single read or write of a body may block (null: no limit). Default 60. */
  socketTimeout?: number | null;
  /** Requests per connection before it is closed (0: no limit). Default 0. */
  maxRequestsPerConnection?: number;
  /** Peers whose X-Forwarded-For is believed (exact addresses). Default none. */
  trustedProxies?: readonly string[];
  /** The access log. Default off; `true` writes the combined format to stderr. */
  accessLog?: AccessLogOption;
  /** Told about every handler failure (the client got a 500). Default: printed to stderr. */
  errorLog?: (error: unknown, request: Request | null) => void;
  /**
   * Make the global `Response` verdant's fast one, for this thread, from the first server on (as
   * @hono/node-server does): a `new Response('text', { headers })` then costs about a microsecond instead of
   * Node's 10 to 20, and the server sends it without reading it back through a stream. It behaves as a Response
   * in every way a handler can see, with one documented difference (docs/http-server.md). Default true; false
   * leaves the global alone (a server started later with true still installs it).
   */
  fastResponse?: boolean;
}

/** Options of {@link HttpServer.stop}. */
export interface StopOptions {
  /** Seconds in-flight requests get to finish before their connections are closed. Default 30. */
  timeout?: number;
  /**
   * Seconds an idle keep-alive connection (or one accepted but not read yet) is given to send one more request,
   * which is served and answered with `Connection: close`, before it is closed; capped by `timeout`. Default 0:
   * idle connections close at once. A client that sent a request on a kept-alive connection just as the server
   * stopped would otherwise see its connection closed with no answer (a request lost); with a grace as long as
   * `keepAliveTimeout`, stopping closes no idle connection sooner than the keep-alive timeout would have.
   */
  idleTimeout?: number;
}

function reportError(error: unknown, request: Request | null): void {
  const where = request === null ? '' : ` for ${request.method} ${request.url}`;
  process.stderr.write(`verdant http: the handler failed${where}: ${error instanceof Error ? error.stack : String(error)}\n`);
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, not ${String(value)}`);
  }
  return value;
}

/** A running server. */
export class HttpServer {
  /** Where it listens. */
  readonly address: SocketAddress;
  readonly #listener: GreenSocket;
  readonly #ctx: ServerContext;
  readonly #stopped = new Event<void>();
  #changed: Event<void> | null = null;

  /** @internal Use {@link serve}. */
  constructor(listener: GreenSocket, ctx: ServerContext, accepting: AcceptOptions, tls: TlsContext | null) {
    this.#listener = listener;
    this.#ctx = ctx;
    this.address = listener.getSockName();
    // Several connections may end before the stopping thread runs again: tell it once.
    ctx.onConnectionEnd = () => {
      if (this.#changed !== null && !this.#changed.ready()) this.#changed.send();
    };
    const loop = spawn(() => {
      try {
        acceptLoop(listener, (conn, peer) => {
          const sock = tls === null ? conn : wrapTls(conn, { serverSide: true, context: tls });
          serveConnection(sock, peer, ctx);
        }, { ...accepting, onError: (error) => ctx.errorLog(error, null) });
      } finally {
        this.#stopped.send();
      }
    });
    loop.name = `http accept ${formatAddress(this.address)}`;
  }

  /** Connections open now. */
  get connections(): number {
    return this.#ctx.connections.size;
  }

  /** Blocks the calling green thread until the server has stopped. */
  wait(): void {
    this.#stopped.wait();
  }

  /**
   * Stops gracefully: stops accepting, closes idle keep-alive connections, lets in-flight requests finish (their
   * responses say `Connection: close`) for up to `timeout` seconds, then closes what is left and kills the green
   * threads still serving it (GreenletExit). Blocks the calling green thread until every connection is gone.
   * With `idleTimeout`, idle connections first get that long to send one last request (see {@link StopOptions}).
   */
  stop(options: StopOptions = {}): void {
    const timeout = positive('timeout', options.timeout, 30, true);
    const idleTimeout = Math.min(timeout, positive('idleTimeout', options.idleTimeout, 0, true));
    const ctx = this.#ctx;
    if (!ctx.stopping) {
      ctx.stopping = true;
      ctx.draining = idleTimeout > 0;
      this.#listener.close();
    }
    const idle = (state: ConnectionState) => state.idle && state.socket.close();
    const t = new Timeout(timeout);
    const graceEnd = performance.now() + idleTimeout * 1000;
    try {
      for (;;) {
        const graceLeft = (graceEnd - performance.now()) / 1000;
        if (graceLeft <= 0) {
          ctx.draining = false;
          ctx.connections.forEach(idle);
        }
        if (ctx.connections.size === 0) break;
        this.#changed = new Event<void>();
        this.#changed.wait(graceLeft > 0 ? graceLeft : null);
      }
    } catch (error) {
      if (error !== t) throw error;
      // Past the deadline: close every connection and end its green thread, wherever its handler is blocked
      // (a handler asleep or waiting on something else would not notice its socket closing).
      for (const state of [...ctx.connections]) {
        state.socket.close();
        kill(state.thread);
      }
    } finally {
      t.cancel();
      this.#changed = null;
    }
    this.#stopped.wait();
  }
}

/**
 * Serves HTTP/1.1 with `handler`, each connection in its own green thread, and returns at once. The handler gets
 * a WHATWG `Request` and returns a `Response` (or a Promise of one, or a plain `{ status, headers, body }`
 * whose body may be an iterable that blocks between chunks).
 *
 * ```ts
 * const server = http.serve((req) => new Response(`hello ${new URL(req.url).pathname}`), { port: 8080 });
 * ```
 */
export function serve(handler: Handler, options: HttpServeOptions = {}): HttpServer {
  if (typeof handler !== 'function') throw new TypeError('serve needs a handler function');
  if (options === null || typeof options !== 'object') throw new TypeError('serve options must be an object');
  const limits: HeadLimits = { ...DEFAULT_HEAD_LIMITS };
  for (const key of Object.keys(DEFAULT_HEAD_LIMITS) as (keyof HeadLimits)[]) {
    const value = options.limits?.[key];
    if (value !== undefined) {
      if (!Number.isInteger(value) || value < 1 || value > 2 ** 30) throw new RangeError(`limits.${key} must be a positive integer, not ${String(value)}`);
      limits[key] = value;
    }
  }
  let tls: TlsContext | null = null;
  if (options.tls !== undefined) tls = options.tls instanceof TlsContext ? options.tls : createTlsContext({ ...options.tls, serverSide: true });
  if (tls !== null && !tls.serverSide) throw new TypeError('the tls context of a server must be made with serverSide: true');
  const ctx: ServerContext = {
    handler,
    parser: new HeadParser(limits),
    scheme: tls === null ? 'http' : 'https',
    maxHead: limits.maxHead,
    maxBodySize: positive('maxBodySize', options.maxBodySize, 64 * 1024 * 1024, true),
    maxDrain: 64 * 1024,
    headerTimeout: positive('headerTimeout', options.headerTimeout, 30),
    keepAliveTimeout: positive('keepAliveTimeout', options.keepAliveTimeout, 5),
    socketTimeout: options.socketTimeout === null ? null : positive('socketTimeout', options.socketTimeout, 60),
    maxRequestsPerConnection: positive('maxRequestsPerConnection', options.maxRequestsPerConnection, 0, true),
    trustedProxies: new Set(options.trustedProxies ?? []),
    accessLog: accessLogger(options.accessLog),
    errorLog: options.errorLog ?? reportError,
    stopping: false,
    draining: false,
    connections: new Set(),
    onConnectionEnd: () => {},
  };
  const concurrency = positive('concurrency', options.concurrency, 1000);
  if (options.fastResponse ?? true) installFastResponse();
  const listener = options.sock ?? listen([options.host ?? '0.0.0.0', options.port ?? 8080], { backlog: options.backlog ?? 1024 });
  if (listener.closed) throw new ClosedError('serve', false, { what: 'listening GreenSocket given as sock' });
  return new HttpServer(listener, ctx, { concurrency, balance: options.balance }, tls);
}
