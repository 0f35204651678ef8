/**
 * Transports: how the client opens a byte stream to an origin. Plain http: is a green TCP socket; https: is
 * whatever TLS connector has been registered (lib/net/tls registers one), so the HTTP code never depends on TLS.
 */
import { connect } from '../../net/convenience';
import { HttpError } from './errors';

/** Where a connection goes: the scheme, the host (a name or an IP literal, without brackets) and the port. */
export interface Origin {
  readonly protocol: 'http:' | 'https:';
  readonly host: string;
  readonly port: number;
}

/**
 * The calls the client makes on a connection. A GreenSocket has them, and so does a green TLS stream; all block
 * only the calling green thread.
 */
export interface HttpStream {
  /** Reads at most `nbytes` into `buffer` from offset 0, waiting for some; 0 at end of stream. */
  recvInto(buffer: Uint8Array, nbytes?: number): number;
  /** Writes all of `data`, waiting as needed. */
  sendAll(data: Uint8Array): void;
  /** The limit of each later blocking call, in seconds (`null`: none). */
  setTimeout(seconds: number | null): void;
  /** Closes it; closing twice is harmless. */
  close(): void;
}

/**
 * Opens a connected stream to `origin`, within `timeout` seconds (name resolution included; `null`: no limit).
 * Throws the I/O error of the failure (ConnectionRefusedError, SocketTimeoutError, DnsError, ...).
 */
export type Connector = (origin: Origin, timeout: number | null) => HttpStream;

/** The http: transport: a TCP connection to each of the host's addresses in turn, with TCP_NODELAY. */
export const tcpConnector: Connector = (origin, timeout) => connect({ host: origin.host, port: origin.port }, { timeout, noDelay: true });

let tlsConnector: Connector | null = null;

/**
 * @internal Installs the https: transport (done once by the TLS module); `null` removes it. The connector must
 * verify the server's certificate for `origin.host` (the servername).
 */
export function registerTlsConnector(connector: Connector | null): void {
  if (connector !== null && typeof connector !== 'function') throw new TypeError('registerTlsConnector takes a function');
  tlsConnector = connector;
}

/** The default transport of `origin`'s scheme. */
export function defaultConnector(origin: Origin, url: string): Connector {
  if (origin.protocol === 'http:') return tcpConnector;
  if (tlsConnector === null) throw new HttpError(url, `${url}: https needs TLS support (lib/net/tls), which is not loaded`);
  return tlsConnector;
}
