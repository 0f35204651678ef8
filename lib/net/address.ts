/**
 * Socket addresses: what callers may pass (a port, "host:port", [host, port], { host, port }, { path }), and what
 * sockets report (Node's AddressInfo shape, or { family: 'unix', path }).
 */
import { isIP } from 'node:net';
import { native, type RawAddress } from '../io/native';

const { AF_INET, AF_INET6, AF_UNIX } = native.io_constants;

/** The address families of a GreenSocket. */
export type SocketFamily = 'IPv4' | 'IPv6' | 'unix';

/**
 * An address to bind or connect to:
 * - a port number (all interfaces for `bind`/`listen`, localhost for `connect`);
 * - `"host:port"`, `"[v6]:port"`, or a path containing a `/` for a Unix socket;
 * - `[host, port]`, as eventlet's tuples;
 * - `{ host, port }` (or Node's `{ address, port }`), or `{ path }` for a Unix socket (a leading `"\0"` names an
 *   abstract socket on Linux).
 * Hosts are IP literals or names; names are resolved with getaddrinfo (see `dns.lookup`).
 */
export type AddressInput =
  | number
  | string
  | readonly [host: string, port: number]
  | { host?: string; address?: string; port: number }
  | { path: string };

/** An address a socket reports (local or peer, or the sender of a datagram). */
export type SocketAddress =
  | { family: 'IPv4' | 'IPv6'; address: string; port: number; flowinfo?: number; scopeId?: number }
  | { family: 'unix'; path: string };

/** An address taken apart: `host` may still be a name; `path` is set for Unix sockets. */
export interface ParsedAddress {
  host: string;
  port: number;
  path?: string;
}

/** Takes an {@link AddressInput} apart; `anyHost` stands in for a missing host. Throws a TypeError on nonsense. */
export function parseAddress(input: AddressInput, anyHost: string): ParsedAddress {
  if (typeof input === 'number') return { host: anyHost, port: checkPort(input, input) };
  if (typeof input === 'string') {
    if (input.includes('/') || input.startsWith('\0')) return { host: '', port: 0, path: input };
    const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(input);
    if (match === null) throw new TypeError(`not an address: ${JSON.stringify(input)} (expected "host:port" or a path)`);
    return { host: match[1] ?? (match[2] || anyHost), port: checkPort(Number(match[3]), input) };
  }
  if (Array.isArray(input)) {
    const [host, port] = input as readonly [unknown, unknown];
    if (typeof host !== 'string') throw new TypeError(`the host of an address must be a string, not ${typeof host}`);
    return { host: host || anyHost, port: checkPort(port, input) };
  }
  if (input !== null && typeof input === 'object') {
    if ('path' in input && typeof input.path === 'string') return { host: '', port: 0, path: input.path };
    const { host, address, port } = input as { host?: unknown; address?: unknown; port?: unknown };
    const name = host ?? address ?? '';
    if (typeof name !== 'string') throw new TypeError(`the host of an address must be a string, not ${typeof name}`);
    return { host: name || anyHost, port: checkPort(port, input) };
  }
  throw new TypeError(`not an address: ${String(input)}`);
}

function checkPort(port: unknown, input: unknown): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`the port of ${JSON.stringify(input)} must be an integer from 0 to 65535`);
  }
  return port;
}

/** The native family number of a socket family. */
export function familyNumber(family: SocketFamily): number {
  return family === 'IPv4' ? AF_INET : family === 'IPv6' ? AF_INET6 : AF_UNIX;
}

/** The family of an IP literal (a scope suffix allowed), or null for a name. */
export function literalFamily(host: string): 'IPv4' | 'IPv6' | null {
  const bare = host.includes('%') ? host.slice(0, host.indexOf('%')) : host;
  const kind = isIP(bare);
  return kind === 4 ? 'IPv4' : kind === 6 ? 'IPv6' : null;
}

/** A native address as a {@link SocketAddress}. */
export function fromRaw(raw: RawAddress | readonly number[] | unknown[], start = 0): SocketAddress {
  const family = raw[start] as number;
  const host = raw[start + 1] as string;
  if (family === AF_UNIX) return { family: 'unix', path: host };
  const out: SocketAddress = { family: family === AF_INET6 ? 'IPv6' : 'IPv4', address: host, port: raw[start + 2] as number };
  if (family === AF_INET6) {
    out.flowinfo = raw[start + 3] as number;
    out.scopeId = raw[start + 4] as number;
  }
  return out;
}

/** "127.0.0.1:80", "[::1]:80" or the path, for messages. */
export function formatAddress(address: SocketAddress | ParsedAddress): string {
  if ('path' in address && address.path !== undefined) return address.path || '(unnamed unix socket)';
  const { port } = address as { port: number };
  const host = 'address' in address ? address.address : (address as ParsedAddress).host;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * The connected peer of `fd` as error messages name it ("127.0.0.1:8080"), or undefined when it has none (not
 * connected, closed).
 */
export function peerLabel(fd: number): string | undefined {
  const peer = native.io_address(fd, true);
  return typeof peer === 'number' ? undefined : formatAddress(fromRaw(peer));
}
