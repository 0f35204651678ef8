/**
 * The server's half of the opening handshake (RFC 6455 §4.2): {@link acceptWebSocket} checks an upgrade request,
 * answers 101 Switching Protocols (or refuses with 400, 403 or 426 and a reason) and returns the WebSocket.
 * It takes the request already parsed, from {@link readUpgradeRequest} or from an HTTP server's own parser.
 */
import { createHash } from 'node:crypto';
import { TlsSocket } from '../../net/tls/socket';
import { type DeflateAgreement, type PerMessageDeflateOptions, acceptOffer, checkDeflateOptions } from './deflate';
import { parseExtensions } from './extensions';
import type { ByteStream } from './frame-reader';
import { type UpgradeRequest, rejectRequest } from './head';
import { crossOriginReason, isSameOrigin } from './origin';
import { WebSocket, type WebSocketOptions } from './websocket';

/** The GUID every accept key is derived with (§1.3). */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const KEY = /^[A-Za-z0-9+/]{21}[AQgw]==$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Sec-WebSocket-Accept for a Sec-WebSocket-Key. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export interface AcceptOptions extends WebSocketOptions {
  /**
   * Which pages may connect, by their Origin header: a list of origins ("https://example.com", compared without
   * regard to case), or a function of the Origin (null when absent, the string "null" for an opaque origin) that
   * says yes or no. A browser always sends Origin; with a list, a request without one is refused too. Refusals
   * are 403s.
   *
   * Default (no `origins`): same-origin only, against cross-site WebSocket hijacking (a page on another site
   * opening a socket that carries the user's cookies). An Origin must match the request's Host (scheme and host
   * without regard to case, default ports normalised; the scheme is compared only when the connection is TLS,
   * since a plain one may be behind a TLS-terminating proxy), and `Origin: null` is refused. A request without
   * Origin (not a browser: ws, undici, curl, {@link connectWebSocket} without its `origin` option) is accepted.
   *
   * Given, the option replaces that rule entirely: list the other origins to allow (your own too, if pages of
   * your own origin connect), or pass `() => true` to accept every origin.
   */
  origins?: readonly string[] | ((origin: string | null) => boolean);
  /**
   * The subprotocols this server speaks, most preferred first: the first the client also offered is chosen. Or a
   * function of the client's offers (in its order) returning one of them, or null for none. When nothing is
   * chosen the connection goes on without a subprotocol (a client that requires one will then close it).
   */
  protocols?: readonly string[] | ((offered: readonly string[]) => string | null);
  /** Accept permessage-deflate when offered (true, or our settings); default false. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** More header lines for the 101 response (name to value). */
  headers?: Readonly<Record<string, string>>;
}

/**
 * Completes the opening handshake of `request`, which arrived on `sock`: checks that it is a WebSocket upgrade
 * (GET, HTTP/1.1, `Upgrade: websocket`, `Connection: Upgrade`, a Sec-WebSocket-Key, version 13, an allowed
 * origin: by default the request's own origin or none, see {@link AcceptOptions.origins}), picks the
 * subprotocol and negotiates permessage-deflate, writes the 101 response and returns the WebSocket, which owns
 * `sock` from then on.
 *
 * A request that does not qualify is answered with 400 (malformed), 403 (origin refused) or 426 (another
 * protocol version, with `Sec-WebSocket-Version: 13`), and a {@link HandshakeError} with that status and reason
 * is thrown; `sock` stays open and the caller's (close it).
 *
 * Switch point: while the response is written.
 */
export function acceptWebSocket(sock: ByteStream, request: UpgradeRequest, options: AcceptOptions = {}): WebSocket {
  checkAcceptOptions(options);
  const header = headerReader(request.headers);
  const refuse = (status: number, reason: string, extra: string[] = []) => rejectRequest(sock, status, reason, extra);
  if (request.method !== 'GET') throw refuse(400, `a WebSocket handshake is a GET, not ${request.method}`);
  const version = request.httpVersion ?? '1.1';
  if (version !== '1.1') throw refuse(400, `a WebSocket handshake needs HTTP/1.1, not HTTP/${version}`);
  const host = header('host');
  if (host === null) throw refuse(400, 'the request has no Host header');
  if (!hasToken(header('upgrade'), 'websocket')) throw refuse(400, 'the request does not ask to upgrade to websocket (Upgrade: websocket)');
  if (!hasToken(header('connection'), 'upgrade')) throw refuse(400, 'the request does not ask for an upgrade (Connection: Upgrade)');
  const wsVersion = header('sec-websocket-version');
  if (wsVersion !== '13') {
    throw refuse(426, `this server speaks WebSocket version 13, not ${wsVersion === null ? 'an unnamed one' : JSON.stringify(wsVersion)}`, ['Sec-WebSocket-Version: 13']);
  }
  const key = header('sec-websocket-key');
  if (key === null || !KEY.test(key)) throw refuse(400, 'Sec-WebSocket-Key is missing or not 16 bytes of base64');
  const origin = header('origin');
  const originRefusal = refuseOrigin(options.origins, origin, host, isTls(sock));
  if (originRefusal !== null) throw refuse(403, originRefusal);
  const offered = listTokens(header('sec-websocket-protocol'));
  if (offered === null) throw refuse(400, 'Sec-WebSocket-Protocol is not a list of tokens');
  const protocol = chooseProtocol(options.protocols, offered);

  let deflate: { agreement: DeflateAgreement; response: string } | null = null;
  const extensionsHeader = header('sec-websocket-extensions');
  if (options.perMessageDeflate && extensionsHeader !== null) {
    let items;
    try {
      items = parseExtensions(extensionsHeader);
    } catch (error) {
      throw refuse(400, `Sec-WebSocket-Extensions is malformed: ${(error as Error).message}`);
    }
    deflate = acceptOffer(items, deflateOptions(options.perMessageDeflate));
  }

  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`];
  if (protocol !== null) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (deflate !== null) lines.push(`Sec-WebSocket-Extensions: ${deflate.response}`);
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  sock.sendAll(Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'));
  return new WebSocket(sock, {
    ...options,
    serverSide: true,
    protocol,
    extensions: deflate?.response ?? '',
    deflate: deflate?.agreement ?? null,
    deflateOptions: deflateOptions(options.perMessageDeflate),
    leftover: request.leftover,
  });
}

/** `true` stands for the defaults. */
export function deflateOptions(option: boolean | PerMessageDeflateOptions | undefined): PerMessageDeflateOptions {
  return typeof option === 'object' && option !== null ? option : {};
}

function checkAcceptOptions(options: AcceptOptions): void {
  const { origins, protocols, headers } = options;
  if (origins !== undefined && typeof origins !== 'function' && !Array.isArray(origins)) {
    throw new TypeError('origins is a list of origins or a function of the Origin header');
  }
  if (protocols !== undefined && typeof protocols !== 'function') {
    if (!Array.isArray(protocols) || !protocols.every((p) => typeof p === 'string' && TOKEN.test(p))) {
      throw new TypeError('protocols is a list of subprotocol names (HTTP tokens) or a function choosing one');
    }
  }
  if (typeof options.perMessageDeflate === 'object' && options.perMessageDeflate !== null) checkDeflateOptions(options.perMessageDeflate);
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!TOKEN.test(name) || typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new TypeError(`not a valid response header: ${JSON.stringify(name)}: ${JSON.stringify(value)}`);
    }
  }
}

type HeaderReader = (name: string) => string | null;

/** Reads a request's fields from a `Headers` or a record of lower-cased names; repeated fields joined with ", ". */
export function headerReader(headers: UpgradeRequest['headers']): HeaderReader {
  if (headers instanceof Headers) return (name) => headers.get(name);
  if (typeof headers !== 'object' || headers === null) throw new TypeError('request.headers is a Headers or a record of lower-cased names');
  return (name) => {
    const value = headers[name];
    if (value === undefined) return null;
    return typeof value === 'string' ? value : value.join(', ');
  };
}

/** True when the comma-separated `value` has `token` (case-insensitive). */
export function hasToken(value: string | null, token: string): boolean {
  return value !== null && value.split(',').some((item) => item.trim().toLowerCase() === token);
}

// The tokens of a comma-separated list; [] when absent, null when an item is not a token.
function listTokens(value: string | null): string[] | null {
  if (value === null) return [];
  const items = value.split(',').map((item) => item.trim()).filter((item) => item !== '');
  return items.every((item) => TOKEN.test(item)) ? items : null;
}

// Why `origin` is refused (the 403's reason), or null when it may connect: by the `origins` option when given,
// else by the same-origin default.
function refuseOrigin(origins: AcceptOptions['origins'], origin: string | null, host: string, secure: boolean | null): string | null {
  if (origins !== undefined) {
    if (originAllowed(origins, origin)) return null;
    return origin === null ? 'requests without an Origin are not accepted' : `the origin ${origin} is not allowed`;
  }
  if (origin === null || isSameOrigin(origin, host, secure)) return null;
  return crossOriginReason(origin, host, secure);
}

// True for a TLS connection; null when that cannot be told from the stream (a plain socket may be behind a proxy
// that terminates TLS, and a stream of the caller's own says nothing).
function isTls(sock: ByteStream): true | null {
  return sock instanceof TlsSocket ? true : null;
}

function originAllowed(origins: NonNullable<AcceptOptions['origins']>, origin: string | null): boolean {
  if (typeof origins === 'function') return origins(origin) === true;
  if (origin === null) return false;
  const wanted = origin.toLowerCase();
  return origins.some((allowed) => allowed.toLowerCase() === wanted);
}

function chooseProtocol(protocols: AcceptOptions['protocols'], offered: readonly string[]): string | null {
  if (protocols === undefined || offered.length === 0) return null;
  if (typeof protocols !== 'function') return protocols.find((p) => offered.includes(p)) ?? null;
  const chosen = protocols(offered);
  if (chosen !== null && !offered.includes(chosen)) {
    throw new TypeError(`the protocols function chose ${JSON.stringify(chosen)}, which the client did not offer (${offered.join(', ')})`);
  }
  return chosen;
}
