/**
 * Name resolution for green threads. `lookup` is getaddrinfo, run on the libuv threadpool (Node's dns.lookup): it
 * honours /etc/hosts, nsswitch and the system's resolver configuration, as the rest of the system does (the lesson
 * of eventlet's greendns, which did not). `resolve` asks DNS servers directly (Node's c-ares resolver). Both block
 * only the calling green thread, and both take a timeout.
 */
import dns from 'node:dns';
import { waitFor } from '../runtime/completion';
import { Timeout } from '../time/timeout';
import { checkTimeout } from '../runtime/seconds';
import { IOError, SocketTimeoutError } from '../io/errors';

/** One address of a name. */
export interface LookupAddress {
  address: string;
  family: 4 | 6;
}

export interface LookupOptions {
  /** 4 or 6 for only that family; 0 (default) for both. */
  family?: 0 | 4 | 6;
  /** Seconds; absent or null: no limit (getaddrinfo's own timeouts apply). */
  timeout?: number | null;
}

/**
 * The name could not be resolved: `code` is Node's (`ENOTFOUND`, `EAI_AGAIN`, `ENODATA`, ...), `hostname` the
 * name.
 */
export class DnsError extends IOError {
  readonly hostname: string;
  constructor(cause: NodeJS.ErrnoException, syscall: string, hostname: string) {
    super(typeof cause.errno === 'number' ? cause.errno : 0, syscall, { cause }, `${syscall} ${cause.code} ${hostname}`);
    (this as { code: string }).code = String(cause.code);
    this.hostname = hostname;
  }
}

/**
 * All the addresses of `hostname` (getaddrinfo, on the libuv threadpool), in the order the system prefers. A
 * literal IP comes back as itself. Throws {@link DnsError}, or {@link SocketTimeoutError} past `timeout` (the
 * lookup itself cannot be cancelled; it finishes on the threadpool and its answer is dropped).
 *
 * Switch point: always.
 */
export function lookup(hostname: string, options: LookupOptions = {}): LookupAddress[] {
  if (typeof hostname !== 'string' || hostname === '') throw new TypeError('lookup takes a non-empty host name');
  checkTimeout(options.timeout, 'lookup');
  const family = options.family ?? 0;
  return withDeadline('getaddrinfo', hostname, options.timeout, () =>
    waitFor<LookupAddress[]>(`getaddrinfo ${hostname}`, (resolve, reject) => {
      dns.lookup(hostname, { family, all: true }, (error, addresses) => {
        if (error) reject(new DnsError(error, 'getaddrinfo', hostname));
        else resolve(addresses as LookupAddress[]);
      });
    }),
  );
}

/** The record types {@link resolve} answers, with what each returns. */
export interface ResolveRecords {
  A: string[];
  AAAA: string[];
  CNAME: string[];
  MX: dns.MxRecord[];
  NS: string[];
  PTR: string[];
  SRV: dns.SrvRecord[];
  TXT: string[][];
  CAA: dns.CaaRecord[];
  NAPTR: dns.NaptrRecord[];
  SOA: dns.SoaRecord;
}

export interface ResolveOptions {
  /** Seconds for the whole query, retries included; absent or null: the resolver's defaults. */
  timeout?: number | null;
  /** DNS servers to ask ("1.2.3.4", "[::1]:53"); default: the system's. */
  servers?: string[];
}

/**
 * Asks DNS for the `rrtype` records of `hostname` (Node's c-ares resolver: /etc/hosts is not consulted; use
 * {@link lookup} for what the system would connect to). Throws {@link DnsError}, or {@link SocketTimeoutError}
 * past `timeout`, which cancels the query.
 *
 * Switch point: always.
 */
export function resolve<T extends keyof ResolveRecords = 'A'>(
  hostname: string,
  rrtype: T = 'A' as T,
  options: ResolveOptions = {},
): ResolveRecords[T] {
  if (typeof hostname !== 'string' || hostname === '') throw new TypeError('resolve takes a non-empty host name');
  checkTimeout(options.timeout, 'resolve');
  const resolver = new dns.Resolver();
  if (options.servers) resolver.setServers(options.servers);
  return withDeadline(
    `query${rrtype}`,
    hostname,
    options.timeout,
    () =>
      waitFor<ResolveRecords[T]>(
        `resolve ${rrtype} ${hostname}`,
        (ok, fail) => {
          resolver.resolve(hostname, rrtype, (error: NodeJS.ErrnoException | null, records: unknown) => {
            if (error) fail(new DnsError(error, `query${rrtype}`, hostname));
            else ok(records as ResolveRecords[T]);
          });
        },
        () => resolver.cancel(),
      ),
  );
}

function withDeadline<T>(syscall: string, hostname: string, seconds: number | null | undefined, fn: () => T): T {
  if (seconds === null || seconds === undefined) return fn();
  const error = new SocketTimeoutError(syscall, seconds, { address: hostname });
  const timeout = new Timeout(seconds, error);
  try {
    return fn();
  } finally {
    timeout.cancel();
  }
}
