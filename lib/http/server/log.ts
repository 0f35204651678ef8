/**
 * The access log and the client address behind trusted proxies. The error log is a plain callback
 * (`errorLog`), kept apart so a busy access log never hides a failure.
 * @internal
 */

/** One served request, as the access log sees it. */
export interface AccessLogEntry {
  /** The client: the peer's address, or the X-Forwarded-For address when the peer is a trusted proxy. */
  client: string;
  method: string;
  target: string;
  httpVersion: string;
  status: number;
  /** Body bytes sent. */
  bytes: number;
  referer: string | null;
  userAgent: string | null;
  /** Seconds from the head's arrival to the end of the response. */
  duration: number;
  time: Date;
}

export type AccessLogFormat = 'common' | 'combined' | ((entry: AccessLogEntry) => string);

/** `true`: combined format to stderr; a function receives each entry; or a format and a stream of lines. */
export type AccessLogOption =
  | boolean
  | ((entry: AccessLogEntry) => void)
  | { format?: AccessLogFormat; stream?: { write(line: string): unknown } };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function clfTime(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

const quote = (s: string | null) => (s === null ? '"-"' : JSON.stringify(s));

/** Apache's common log format. */
export function commonFormat(e: AccessLogEntry): string {
  return `${e.client} - - [${clfTime(e.time)}] "${e.method} ${e.target} ${e.httpVersion}" ${e.status} ${e.bytes}`;
}

/** Apache's combined log format, plus the duration in seconds. */
export function combinedFormat(e: AccessLogEntry): string {
  return `${commonFormat(e)} ${quote(e.referer)} ${quote(e.userAgent)} ${e.duration.toFixed(6)}`;
}

/** The function the server calls per request, or null when logging is off. */
export function accessLogger(option: AccessLogOption | undefined): ((entry: AccessLogEntry) => void) | null {
  if (option === undefined || option === false) return null;
  if (option === true) return (e) => process.stderr.write(combinedFormat(e) + '\n');
  if (typeof option === 'function') return option;
  const format = option.format ?? 'combined';
  const toLine = format === 'common' ? commonFormat : format === 'combined' ? combinedFormat : format;
  const stream = option.stream ?? process.stderr;
  return (e) => stream.write(toLine(e) + '\n');
}

/**
 * The client address: the peer's, unless the peer is a trusted proxy; then the right-most X-Forwarded-For entry
 * that is not itself a trusted proxy (entries further left are whatever the client claimed).
 */
export function clientAddress(peer: string, forwardedFor: string | null, trusted: ReadonlySet<string>): string {
  if (forwardedFor === null || !trusted.has(peer)) return peer;
  const hops = forwardedFor.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!trusted.has(hops[i])) return hops[i];
  }
  return hops.length > 0 ? hops[0] : peer;
}
