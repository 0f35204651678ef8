/**
 * The default origin rule of the server's handshake: a browser's upgrade is accepted only from a page of the
 * server's own origin, so that a page on another site cannot open a WebSocket to us carrying the user's cookies
 * (cross-site WebSocket hijacking). Browsers always send Origin on a WebSocket handshake and a page cannot forge
 * it; clients that send none (ws, undici, curl, our own connectWebSocket) are not browsers and are not affected.
 */

/** The parts of an origin or a Host header that same-origin compares. */
interface Authority {
  /** Lower-cased; an IPv6 address keeps its brackets. */
  readonly hostname: string;
  /** Null when absent (the scheme's default applies). */
  readonly port: number | null;
}

// A host (a name, an IPv4 address or a bracketed IPv6 address) and an optional port; nothing else: no userinfo,
// path, query or whitespace, which a browser never puts in a Host or an Origin.
const AUTHORITY = /^(\[[0-9A-Fa-f:.]+\]|[^\s/?#@[\]\\:]+)(?::(\d{1,5}))?$/;
const ORIGIN = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/;

// ws: and wss: are the WebSocket spellings of http: and https: (RFC 6455 §3); browsers send http(s) origins.
const SECURE_SCHEMES: Readonly<Record<string, boolean>> = { http: false, ws: false, https: true, wss: true };

function parseAuthority(text: string): Authority | null {
  const match = AUTHORITY.exec(text);
  if (match === null) return null;
  const port = match[2] === undefined ? null : Number(match[2]);
  if (port !== null && port > 65535) return null;
  return { hostname: match[1].toLowerCase(), port };
}

function defaultPort(secure: boolean): number {
  return secure ? 443 : 80;
}

/**
 * True when `origin` (an Origin header) is the origin of a request that came with `host` (its Host header).
 * `secure` says whether the connection is TLS, or null when that cannot be known: a plain connection may sit
 * behind a proxy that terminates TLS, so the browser's scheme is then unknown and only host and port are
 * compared, a Host without a port taking the default port of the Origin's scheme. Scheme and host compare
 * without regard to case; default ports are normalised (80 for http, 443 for https). `null` (an opaque origin)
 * and anything that is not a serialised http(s) origin never match.
 */
export function isSameOrigin(origin: string, host: string, secure: boolean | null): boolean {
  const parts = ORIGIN.exec(origin);
  if (parts === null) return false;
  const originSecure = SECURE_SCHEMES[parts[1].toLowerCase()];
  if (originSecure === undefined) return false;
  if (secure !== null && secure !== originSecure) return false;
  const from = parseAuthority(parts[2]);
  const to = parseAuthority(host);
  if (from === null || to === null || from.hostname !== to.hostname) return false;
  const requestSecure = secure ?? originSecure;
  return (from.port ?? defaultPort(originSecure)) === (to.port ?? defaultPort(requestSecure));
}

/** The 403's reason when the default rule refuses `origin`: what was refused, why, and how to allow it. */
export function crossOriginReason(origin: string, host: string, secure: boolean | null): string {
  const what = origin === 'null' ? 'Origin null (an opaque origin: a sandboxed page, a file or a data: URL)' : `Origin ${origin}`;
  const target = secure === true ? `https://${host} (this connection is TLS)` : `host ${host}`;
  return `cross-origin WebSocket upgrade refused: ${what} does not match ${target}; allow it with the origins option`;
}
