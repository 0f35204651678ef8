/**
 * The client's half of the opening handshake (RFC 6455 §4.1): {@link connectWebSocket} connects to a ws: or wss:
 * URL (wss through lib/net's TLS), sends the upgrade request, checks the server's answer and returns the
 * WebSocket.
 */
import { randomBytes } from 'node:crypto';
import { connect } from '../../net/convenience';
import { type GreenSocket } from '../../net/socket';
import { type TlsSocket, type WrapTlsOptions, connectTls } from '../../net/tls/socket';
import { type DeflateAgreement, EXTENSION_NAME, type PerMessageDeflateOptions, checkDeflateOptions, makeOffer, readResponse } from './deflate';
import { HandshakeError } from './errors';
import { parseExtensions } from './extensions';
import { acceptKey, deflateOptions, hasToken } from './handshake';
import { DEFAULT_MAX_HEAD_BYTES, readHead } from './head';
import { WebSocket, type WebSocketOptions } from './websocket';

export interface ConnectWebSocketOptions extends WebSocketOptions {
  /** Subprotocols to offer, most preferred first; the server picks one (or none). */
  protocols?: string | readonly string[];
  /** More request headers (name to value). */
  headers?: Readonly<Record<string, string>> | Headers;
  /** The Origin header to send (browsers send the page's origin; servers may check it). */
  origin?: string;
  /** Seconds for connecting and the handshake together; default none. Later calls are not limited by it. */
  timeout?: number | null;
  /** TLS settings of a wss: connection: `ca`, `rejectUnauthorized`, `servername`, client `cert` and `key`, ... */
  tls?: Omit<WrapTlsOptions, 'serverSide' | 'doHandshake'>;
  /** Offer permessage-deflate (true, or what to ask for); default false. */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  /** The most bytes the server's response head may take; default 16 KiB. */
  maxHeadBytes?: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: (.*))?$/;

/**
 * Connects to a WebSocket server: `connectWebSocket('ws://127.0.0.1:8080/chat')`. Throws a {@link HandshakeError}
 * when the server does not accept (its status, or what was wrong with its 101), TypeError for a bad URL or
 * option, and the network's errors (ConnectionRefusedError, SocketTimeoutError, TLS errors, DnsError).
 *
 * Switch point: always.
 */
export function connectWebSocket(url: string | URL, options: ConnectWebSocketOptions = {}): WebSocket {
  const target = parseWebSocketUrl(url);
  const protocols = typeof options.protocols === 'string' ? [options.protocols] : [...(options.protocols ?? [])];
  if (!protocols.every((p) => typeof p === 'string' && TOKEN.test(p)) || new Set(protocols).size !== protocols.length) {
    throw new TypeError(`protocols must be distinct subprotocol names (HTTP tokens): ${JSON.stringify(protocols)}`);
  }
  const deflate = options.perMessageDeflate ? deflateOptions(options.perMessageDeflate) : null;
  if (deflate !== null) checkDeflateOptions(deflate);
  const key = randomBytes(16).toString('base64');
  const request = requestHead(target, key, protocols, deflate, options);

  const timeout = options.timeout ?? null;
  const deadline = timeout === null ? -1 : performance.now() + timeout * 1000;
  const address = { host: target.host, port: target.port };
  const sock: GreenSocket | TlsSocket = target.secure
    ? connectTls(address, { ...options.tls, timeout, noDelay: true })
    : connect(address, { timeout, noDelay: true });
  try {
    const previous = sock.getTimeout();
    if (deadline >= 0) sock.setTimeout(Math.max(0.001, (deadline - performance.now()) / 1000));
    sock.sendAll(request);
    const head = readHead(sock, options.maxHeadBytes ?? DEFAULT_MAX_HEAD_BYTES);
    sock.setTimeout(previous);
    if (head === null) throw new HandshakeError(0, `${target.href}: the server closed the connection without answering`);
    if (typeof head === 'string') throw new HandshakeError(0, `${target.href}: a malformed response: ${head}`);
    const status = STATUS_LINE.exec(head.startLine);
    if (status === null) throw new HandshakeError(0, `${target.href}: not an HTTP response: ${JSON.stringify(head.startLine.slice(0, 100))}`);
    if (status[1] !== '101') {
      throw new HandshakeError(Number(status[1]), `${target.href}: the server answered ${status[1]}${status[2] ? ` ${status[2]}` : ''} instead of 101`);
    }
    const fail = (problem: string) => new HandshakeError(101, `${target.href}: ${problem}`);
    const headers = head.headers;
    if (!hasToken(headers.get('upgrade'), 'websocket')) throw fail('the 101 response does not upgrade to websocket');
    if (!hasToken(headers.get('connection'), 'upgrade')) throw fail('the 101 response lacks Connection: Upgrade');
    if (headers.get('sec-websocket-accept') !== acceptKey(key)) throw fail('Sec-WebSocket-Accept does not match the key sent');
    const protocol = headers.get('sec-websocket-protocol');
    if (protocol !== null && !protocols.includes(protocol)) throw fail(`the server chose the subprotocol ${JSON.stringify(protocol)}, which was not offered`);
    const extensions = headers.get('sec-websocket-extensions');
    const agreement = extensions === null ? null : readExtensions(extensions, deflate, fail);
    return new WebSocket(sock, {
      ...options,
      serverSide: false,
      protocol,
      extensions: extensions ?? '',
      deflate: agreement,
      deflateOptions: deflate ?? undefined,
      leftover: head.leftover,
    });
  } catch (error) {
    sock.close();
    throw error;
  }
}

interface WebSocketTarget {
  readonly href: string;
  readonly secure: boolean;
  readonly host: string;
  readonly port: number;
  /** The Host header. */
  readonly hostHeader: string;
  readonly path: string;
}

function parseWebSocketUrl(input: string | URL): WebSocketTarget {
  let url: URL;
  try {
    url = new URL(String(input));
  } catch {
    throw new TypeError(`not a URL: ${JSON.stringify(String(input))}`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new TypeError(`a WebSocket URL is ws: or wss:, not ${url.protocol} (${url.href})`);
  if (url.hash !== '') throw new TypeError(`a WebSocket URL has no fragment (${url.href})`);
  if (url.hostname === '') throw new TypeError(`a WebSocket URL without a host: ${url.href}`);
  const secure = url.protocol === 'wss:';
  return {
    href: url.href,
    secure,
    host: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    port: url.port === '' ? (secure ? 443 : 80) : Number(url.port),
    hostHeader: url.host,
    path: `${url.pathname || '/'}${url.search}`,
  };
}

function requestHead(
  target: WebSocketTarget,
  key: string,
  protocols: readonly string[],
  deflate: PerMessageDeflateOptions | null,
  options: ConnectWebSocketOptions,
): Buffer {
  const fields: [string, string][] = [
    ['Host', target.hostHeader],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', key],
    ['Sec-WebSocket-Version', '13'],
  ];
  if (options.origin !== undefined) fields.push(['Origin', options.origin]);
  if (protocols.length > 0) fields.push(['Sec-WebSocket-Protocol', protocols.join(', ')]);
  if (deflate !== null) fields.push(['Sec-WebSocket-Extensions', makeOffer(deflate)]);
  const extra = options.headers instanceof Headers ? [...options.headers] : Object.entries(options.headers ?? {});
  const ours = new Set(fields.map(([name]) => name.toLowerCase()));
  for (const [name, value] of extra) {
    if (!TOKEN.test(name) || typeof value !== 'string' || /[\r\n\0]/.test(value)) {
      throw new TypeError(`not a valid request header: ${JSON.stringify(name)}: ${JSON.stringify(value)}`);
    }
    if (ours.has(name.toLowerCase())) throw new TypeError(`the ${name} header is the handshake's own; use the option for it if there is one`);
    fields.push([name, value]);
  }
  const text = [`GET ${target.path} HTTP/1.1`, ...fields.map(([name, value]) => `${name}: ${value}`)].join('\r\n');
  return Buffer.from(`${text}\r\n\r\n`, 'latin1');
}

function readExtensions(
  value: string,
  offered: PerMessageDeflateOptions | null,
  fail: (problem: string) => HandshakeError,
): DeflateAgreement | null {
  let items;
  try {
    items = parseExtensions(value);
  } catch (error) {
    throw fail(`Sec-WebSocket-Extensions is malformed: ${(error as Error).message}`);
  }
  if (items.length === 0) return null;
  if (offered === null || items.length > 1 || items[0].name !== EXTENSION_NAME) {
    throw fail(`the server agreed to extensions that were not offered: ${value}`);
  }
  const agreement = readResponse(items[0], offered);
  if (typeof agreement === 'string') throw fail(`the server's permessage-deflate response is unacceptable: ${agreement}`);
  return agreement;
}
