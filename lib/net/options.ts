/**
 * Socket options by name: `sock.setsockopt('TCP_NODELAY', true)`. Numbers (level, name) work too, for anything
 * this table does not list.
 */
import { native } from '../io/native';

const C = native.io_constants;

/** The options {@link GreenSocket.setsockopt} knows by name; booleans are flags, the rest integers. */
export const SOCKET_OPTIONS = {
  SO_REUSEADDR: { level: C.SOL_SOCKET, name: C.SO_REUSEADDR, flag: true },
  SO_REUSEPORT: { level: C.SOL_SOCKET, name: C.SO_REUSEPORT, flag: true },
  SO_KEEPALIVE: { level: C.SOL_SOCKET, name: C.SO_KEEPALIVE, flag: true },
  SO_BROADCAST: { level: C.SOL_SOCKET, name: C.SO_BROADCAST, flag: true },
  SO_RCVBUF: { level: C.SOL_SOCKET, name: C.SO_RCVBUF, flag: false },
  SO_SNDBUF: { level: C.SOL_SOCKET, name: C.SO_SNDBUF, flag: false },
  SO_RCVLOWAT: { level: C.SOL_SOCKET, name: C.SO_RCVLOWAT, flag: false },
  SO_SNDLOWAT: { level: C.SOL_SOCKET, name: C.SO_SNDLOWAT, flag: false },
  SO_ERROR: { level: C.SOL_SOCKET, name: C.SO_ERROR, flag: false },
  SO_TYPE: { level: C.SOL_SOCKET, name: C.SO_TYPE, flag: false },
  TCP_NODELAY: { level: C.IPPROTO_TCP, name: C.TCP_NODELAY, flag: true },
  TCP_KEEPIDLE: { level: C.IPPROTO_TCP, name: C.TCP_KEEPIDLE, flag: false },
  TCP_KEEPINTVL: { level: C.IPPROTO_TCP, name: C.TCP_KEEPINTVL, flag: false },
  TCP_KEEPCNT: { level: C.IPPROTO_TCP, name: C.TCP_KEEPCNT, flag: false },
  IPV6_V6ONLY: { level: C.IPPROTO_IPV6, name: C.IPV6_V6ONLY, flag: true },
  IP_TTL: { level: C.IPPROTO_IP, name: C.IP_TTL, flag: false },
} as const;

export type SocketOptionName = keyof typeof SOCKET_OPTIONS;

/** The (level, name, flag) of an option given by name, or by level and name numbers. */
export function optionOf(levelOrName: SocketOptionName | number, name?: number): { level: number; name: number; flag: boolean } {
  if (typeof levelOrName === 'string') {
    const option = SOCKET_OPTIONS[levelOrName];
    if (option === undefined) {
      throw new TypeError(`unknown socket option ${JSON.stringify(levelOrName)}; known: ${Object.keys(SOCKET_OPTIONS).join(', ')}`);
    }
    return option;
  }
  if (!Number.isInteger(levelOrName) || !Number.isInteger(name)) {
    throw new TypeError('setsockopt/getsockopt take an option name, or a level and an option number');
  }
  return { level: levelOrName, name: name!, flag: false };
}
