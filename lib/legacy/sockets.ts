/**
 * eventlet's early socket helpers: `api.tcpListener`, `api.connectTcp`, `api.sslListener`, `api.connectSsl`, on
 * lib/net's listen, connect, wrapTls and connectTls.
 */
import { readFileSync } from 'node:fs';
import type { AddressInput, SocketAddress } from '../net/address';
import { connect, listen } from '../net/convenience';
import type { GreenSocket } from '../net/socket';
import { type ConnectTlsOptions, type TlsSocket, connectTls, wrapTls } from '../net/tls/socket';
import { type TlsContext, createTlsContext } from '../net/tls/context';

/**
 * A listening socket on `address` (`[host, port]`, `'host:port'`, a port...), with eventlet's backlog of 50
 * unless told otherwise. The modern `listen`.
 *
 * Switch point: never.
 */
export function tcpListener(address: AddressInput, backlog = 50): GreenSocket {
  return listen(address, { backlog });
}

/**
 * A socket connected to `address`, bound first to `localAddress` if given. The modern `connect`.
 *
 * Switch point: always, unless a Unix socket connects at once.
 */
export function connectTcp(address: AddressInput, localAddress?: AddressInput): GreenSocket {
  return connect(address, localAddress === undefined ? {} : { bindAddress: localAddress });
}

/**
 * A TLS listener: `accept()` gives TLS connections. Each accepted connection's handshake runs on its first use,
 * in the green thread that uses it, so a slow or hostile client holds up its own handler and not the accept
 * loop (eventlet's `ssl_listener` handshook inside accept).
 */
export class SslListener {
  /** The listening TCP socket. */
  readonly socket: GreenSocket;
  /** The server context every accepted connection shares. */
  readonly context: TlsContext;

  /** @internal Use {@link sslListener}. */
  constructor(socket: GreenSocket, context: TlsContext) {
    this.socket = socket;
    this.context = context;
  }

  /**
   * Waits for a client and returns its connection, not yet handshaken, with the client's address.
   *
   * Switch point: when no client is waiting.
   */
  accept(): [TlsSocket, SocketAddress] {
    const [conn, address] = this.socket.accept();
    try {
      return [wrapTls(conn, { context: this.context, doHandshake: false }), address];
    } catch (error) {
      conn.close();
      throw error;
    }
  }

  /** Where it listens. */
  getSockName(): SocketAddress {
    return this.socket.getSockName();
  }

  fileno(): number {
    return this.socket.fileno();
  }

  get closed(): boolean {
    return this.socket.closed;
  }

  /** Stops listening; a green thread waiting in `accept` gets a ClosedError. */
  close(): void {
    this.socket.close();
  }
}

/**
 * A TLS listener on `address` with the certificate and private key in `certificate` and `privateKey`: file
 * paths, as eventlet takes, or the PEM text itself. The files are read once, here, synchronously (a server's
 * start-up, before it serves anyone).
 *
 * Errors: the file system's (ENOENT...), TlsError for a certificate or key OpenSSL rejects, the socket errors of
 * listening (AddressInUseError...).
 *
 * Switch point: never.
 */
export function sslListener(address: AddressInput, certificate: string, privateKey: string, backlog = 50): SslListener {
  const context = createTlsContext({ serverSide: true, cert: pem(certificate, 'certificate'), key: pem(privateKey, 'privateKey') });
  return new SslListener(listen(address, { backlog }), context);
}

/**
 * A TLS connection to `address`. Unlike eventlet's, it verifies the server's certificate and name by default,
 * as the modern `connectTls` does; `options` takes connectTls's options (`ca`, `servername`, `timeout`...).
 *
 * Switch point: always.
 */
export function connectSsl(address: AddressInput, options: ConnectTlsOptions = {}): TlsSocket {
  return connectTls(address, options);
}

// PEM text is used as it is; anything else names a file.
function pem(source: string, what: string): string {
  if (typeof source !== 'string' || source === '') throw new TypeError(`api.sslListener: ${what} must be a file path or PEM text`);
  return source.includes('-----BEGIN ') ? source : readFileSync(source, 'utf8');
}
