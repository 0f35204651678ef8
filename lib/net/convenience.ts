/**
 * eventlet's convenience functions: `listen(addr)` for a ready server socket and `connect(addr)` for a connected
 * client one.
 */
import { IOError } from '../io/errors';
import { type AddressInput, type SocketFamily, literalFamily, parseAddress } from './address';
import { lookup } from './dns';
import { DEFAULT_BACKLOG, GreenSocket } from './socket';

export interface ListenOptions {
  /** Default 511, as Node's (eventlet's 50 is small for busy servers; the kernel caps it at somaxconn). */
  backlog?: number;
  /** SO_REUSEADDR, default true: a restarted server can bind at once. */
  reuseAddr?: boolean;
  /** SO_REUSEPORT: several processes (or sockets) share the port; default false. */
  reusePort?: boolean;
  /** Family of a listener on a port number or a name; default 'IPv4' ('IPv6' listens on both where allowed). */
  family?: SocketFamily;
}

/**
 * A socket bound to `address` and listening: a port alone listens on every IPv4 interface, `{ path }` (or a
 * string with a `/`) on a Unix socket (an existing socket file there is an AddressInUseError: remove it first).
 */
export function listen(address: AddressInput, options: ListenOptions = {}): GreenSocket {
  const parsed = parseAddress(address, '');
  const family: SocketFamily =
    parsed.path !== undefined ? 'unix' : (literalFamily(parsed.host) ?? options.family ?? 'IPv4');
  const sock = new GreenSocket({ family });
  try {
    if (family !== 'unix') {
      if (options.reuseAddr !== false) sock.setsockopt('SO_REUSEADDR', true);
      if (options.reusePort) sock.setsockopt('SO_REUSEPORT', true);
    }
    sock.bind(address);
    sock.listen(options.backlog ?? DEFAULT_BACKLOG);
    return sock;
  } catch (error) {
    sock.close();
    throw error;
  }
}

export interface ConnectToOptions {
  /** Seconds for resolution and connection together; absent or null: no limit. */
  timeout?: number | null;
  /** Only this family's addresses of a name; default both, in the order getaddrinfo gives them. */
  family?: 4 | 6;
  /** Bind the client socket to this local address first. */
  bindAddress?: AddressInput;
  /** TCP_NODELAY on the new socket; default false. */
  noDelay?: boolean;
}

/**
 * A socket connected to `address`. A name is resolved with getaddrinfo and each of its addresses tried in turn
 * (as Python's `create_connection`); the last failure is thrown if none answers. The socket keeps no timeout
 * afterwards (set one with `setTimeout`).
 *
 * Switch point: always, unless a Unix socket connects at once.
 */
export function connect(address: AddressInput, options: ConnectToOptions = {}): GreenSocket {
  const parsed = parseAddress(address, 'localhost');
  if (parsed.path !== undefined) return open('unix', address, options, null);
  const literal = literalFamily(parsed.host);
  if (literal !== null) return open(literal, address, options, options.timeout ?? null);
  const deadline = options.timeout == null ? -1 : performance.now() + options.timeout * 1000;
  const candidates = lookup(parsed.host, { family: options.family ?? 0, timeout: options.timeout });
  let last: unknown;
  for (const candidate of candidates) {
    const left = deadline < 0 ? null : Math.max(0, deadline - performance.now()) / 1000;
    try {
      const sock = open(candidate.family === 6 ? 'IPv6' : 'IPv4', { host: candidate.address, port: parsed.port }, options, left);
      sock.connectHost = parsed.host; // the name, not the address it resolved to (TLS checks certificates against it)
      return sock;
    } catch (error) {
      if (!(error instanceof IOError)) throw error;
      last = error;
    }
  }
  throw last;
}

function open(family: SocketFamily, address: AddressInput, options: ConnectToOptions, timeout: number | null): GreenSocket {
  const sock = new GreenSocket({ family });
  try {
    if (options.bindAddress !== undefined) sock.bind(options.bindAddress);
    sock.connect(address, { timeout });
    if (options.noDelay && family !== 'unix') sock.setsockopt('TCP_NODELAY', true);
    return sock;
  } catch (error) {
    sock.close();
    throw error;
  }
}
