/**
 * Where a backdoor listens: loopback unless the caller insists otherwise.
 */
import { isIP } from 'node:net';
import { type AddressInput, formatAddress, parseAddress } from '../net/address';
import { BackdoorBindError } from './errors';

/**
 * The address to bind for `address`: a missing host (a port alone) and `localhost` become 127.0.0.1, so the
 * default is loopback only, unlike `listen(port)`, which takes every interface. Any other host that is not a
 * loopback literal (a name, 0.0.0.0, a LAN address) is a {@link BackdoorBindError} unless `allowRemote`: a
 * name could resolve to anything, so only literals are trusted. Unix sockets are local by nature.
 */
export function backdoorAddress(address: AddressInput, allowRemote: boolean): AddressInput {
  const parsed = parseAddress(address, '127.0.0.1');
  if (parsed.path !== undefined) return { path: parsed.path };
  const host = parsed.host === 'localhost' ? '127.0.0.1' : parsed.host;
  if (!allowRemote && !isLoopback(host)) throw new BackdoorBindError(formatAddress({ host, port: parsed.port }));
  return { host, port: parsed.port };
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.x.y.z). */
export function isLoopback(host: string): boolean {
  const kind = isIP(host);
  if (kind === 4) return host.startsWith('127.');
  if (kind !== 6) return false;
  const lower = host.toLowerCase();
  if (lower.startsWith('::ffff:')) return isLoopback(lower.slice('::ffff:'.length));
  // Every spelling of ::1 (0:0:0:0:0:0:0:1, ::0001) expands to seven zero groups and a 1.
  const groups = expandV6(lower);
  return groups !== null && groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1;
}

function expandV6(host: string): number[] | null {
  const [head, tail] = host.includes('::') ? host.split('::') : [host, undefined];
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  if (right.some((g) => g.includes('.')) || left.some((g) => g.includes('.'))) return null;
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 0) return null;
  return [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right].map((g) => parseInt(g, 16));
}
