/**
 * Loads the native addon and describes its surface. Internal: lib/ validates every argument before calling it.
 *
 * The addon is looked up at `$VERDANT_ADDON` (used by the Node matrix script to test one build per Node line),
 * then by node-gyp-build: the node-gyp (or cmake-js) build output of this package, then its prebuilt binaries.
 * @internal
 */
import { join } from 'node:path';

/** node-gyp-build (it ships no types): where the addon for this platform, architecture and ABI is. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeGypBuild: { path(packageDir: string): string } = require('node-gyp-build');

/** The native side of a greenlet; lib/runtime/greenlet.ts's `Greenlet` extends it. */
export interface GreenletHandle {
  readonly __greenletHandle?: never;
}

export interface NativeStats {
  switches: number;
  started: number;
  finished: number;
  active: number;
  stacksLive: number;
  stacksPooled: number;
  stackPoolHits: number;
  stackMmaps: number;
  stackBudget: number;
}

/** A socket address as native/io returns it. */
export type RawAddress = [family: number, host: string, port: number, flowinfo: number, scopeId: number];
/** What io_recvfrom returns: the byte count, then the sender's address. */
export type RawPacketFrom = [bytes: number, family: number, host: string, port: number, flowinfo: number, scopeId: number];

export type IoConstant =
  | 'AF_UNSPEC' | 'AF_INET' | 'AF_INET6' | 'AF_UNIX' | 'SOCK_STREAM' | 'SOCK_DGRAM'
  | 'SOL_SOCKET' | 'IPPROTO_TCP' | 'IPPROTO_IP' | 'IPPROTO_IPV6'
  | 'SO_REUSEADDR' | 'SO_REUSEPORT' | 'SO_KEEPALIVE' | 'SO_BROADCAST' | 'SO_RCVBUF' | 'SO_SNDBUF' | 'SO_ERROR'
  | 'SO_TYPE' | 'SO_RCVLOWAT' | 'SO_SNDLOWAT'
  | 'TCP_NODELAY' | 'TCP_KEEPIDLE' | 'TCP_KEEPINTVL' | 'TCP_KEEPCNT' | 'IPV6_V6ONLY' | 'IP_TTL'
  | 'MSG_PEEK' | 'MSG_OOB' | 'MSG_WAITALL' | 'MSG_DONTWAIT' | 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR'
  | 'EAGAIN' | 'EWOULDBLOCK' | 'EINPROGRESS' | 'EINTR' | 'EMFILE' | 'ENFILE' | 'ENOBUFS' | 'ENOMEM'
  | 'ECONNABORTED' | 'EBADF' | 'EPIPE' | 'ECONNRESET' | 'ENOTCONN' | 'EISCONN' | 'EALREADY' | 'ETIMEDOUT'
  | 'EINVAL' | 'ENOTSOCK' | 'ESPIPE' | 'SEEK_SET' | 'SEEK_CUR' | 'SEEK_END'
  | 'POLLIN' | 'POLLPRI' | 'POLLOUT' | 'POLLERR' | 'POLLHUP' | 'POLLNVAL';

export type TlsConstant =
  | 'WANT_READ' | 'WANT_WRITE' | 'CLOSED' | 'FAILED' | 'EOF' | 'WANT_HELLO'
  | 'VERIFY_NONE' | 'VERIFY_PEER' | 'VERIFY_REQUIRE' | 'VERIFY_RECORD' | 'TLS1_2_VERSION' | 'TLS1_3_VERSION';

/** The HTTP parser's constants (native/http/bindings.cc). */
export type HttpConstant =
  | 'SLOT_REASON' | 'SLOT_METHOD' | 'SLOT_TARGET' | 'SLOT_VERSION_MINOR' | 'SLOT_FLAGS' | 'SLOT_LENGTH_LOW'
  | 'SLOT_LENGTH_HIGH' | 'SLOT_HEADER_COUNT' | 'SLOT_HEADERS' | 'FIELD_SLOTS' | 'LENGTH_SPLIT_BITS'
  | 'CHUNKED' | 'KEEP_ALIVE' | 'UPGRADE' | 'EXPECT_CONTINUE' | 'HAS_CONTENT_LENGTH';

/** What tls_info returns. */
export type RawTlsInfo = [
  protocol: string, cipher: string, standardCipher: string, alpn: string, servername: string, sessionReused: boolean,
  verifyResult: number, verifyName: string, verifyMessage: string, handshakeDone: boolean,
];

export interface NativeBinding {
  GreenletHandle: new (stackSize: number) => GreenletHandle;
  greenlet_switch(target: GreenletHandle): void;
  greenlet_current(): GreenletHandle;
  greenlet_adopt_main(handle: GreenletHandle): void;
  greenlet_set_entry(
    entry: (this: GreenletHandle) => GreenletHandle,
    errorClass: new (message: string) => Error,
  ): void;
  runtime_backend(): [name: string, why: string];
  runtime_configure(
    defaultStackSize: number,
    stackMargin: number,
    stackPoolLimit: number,
    isMainThread: boolean,
    mainStackSizeKb: number,
  ): void;
  runtime_stats(): NativeStats;
  /** The cells of lib/runtime/shared-state.ts. */
  shared_state: ArrayBuffer;
  /** Starts this thread's hub (idempotent); returns the poller's name. */
  hub_init(onStartFailed: (g: GreenletHandle, message: string) => void): string;
  /** Parks the current greenlet; returns a wake code (lib/runtime/hub.ts `Wake`) or readiness bits. */
  hub_park(fd: number, flags: number, timeoutSeconds: number): number;
  hub_wake(g: GreenletHandle): boolean;
  hub_schedule(g: GreenletHandle, delaySeconds: number, ref: boolean): boolean;
  hub_unschedule(g: GreenletHandle): boolean;
  /** 0 not in the hub, 1 parked, 2 ready to run, 3 start pending on a timer. */
  hub_phase(g: GreenletHandle): number;
  hub_alarm_start(g: GreenletHandle, delaySeconds: number, ref: boolean): number;
  hub_alarm_cancel(id: number): boolean;
  hub_fd_closed(fd: number): void;
  hub_fd_opened(fd: number): void;
  /** Flat pairs: greenlet, events. */
  hub_fd_waiters(fd: number): unknown[];
  /** Flat triples: fd, events, greenlet. */
  hub_listeners(): unknown[];
  /** Flat quadruples: seconds left, kind (0 park timeout, 1 start, 2 alarm), greenlet, alarm id. */
  hub_timers(): unknown[];
  /** [turns, resumes, fdEvents, timersFired, ready] */
  hub_stats(): number[];
  /** Platform values of the socket constants and errnos lib/net uses (native/io/bindings.cc). */
  io_constants: Record<IoConstant, number>;
  // Green I/O syscalls: each returns its result (>= 0) or -errno; nothing blocks (native/io/bindings.cc).
  io_socket(family: number, type: number, protocol: number): number;
  io_socketpair(family: number, type: number): [number, number] | number;
  io_pipe(): [readFd: number, writeFd: number] | number;
  io_dup(fd: number): number;
  io_close(fd: number): number;
  io_bind(fd: number, family: number, host: string, port: number): number;
  io_connect(fd: number, family: number, host: string, port: number): number;
  io_listen(fd: number, backlog: number): number;
  io_accept(fd: number): number;
  /** The file's first `length` bytes mapped shared (the file must be that long): processes see each other's writes. */
  io_map_shared(fd: number, length: number): ArrayBuffer | number;
  io_recv(fd: number, view: ArrayBufferView, offset: number, length: number, flags: number): number;
  io_send(fd: number, view: ArrayBufferView, offset: number, length: number, flags: number): number;
  io_read(fd: number, view: ArrayBufferView, offset: number, length: number): number;
  io_write(fd: number, view: ArrayBufferView, offset: number, length: number): number;
  io_recvfrom(fd: number, view: ArrayBufferView, offset: number, length: number, flags: number): RawPacketFrom | number;
  io_sendto(
    fd: number, view: ArrayBufferView, offset: number, length: number, flags: number,
    family: number, host: string, port: number,
  ): number;
  io_shutdown(fd: number, how: number): number;
  io_set_blocking(fd: number, blocking: boolean): number;
  io_setsockopt(fd: number, level: number, name: number, value: number): number;
  io_getsockopt(fd: number, level: number, name: number): number;
  /** The option's raw bytes into view[offset, offset + length): how many the kernel gave, or -errno. */
  io_getsockopt_bytes(fd: number, level: number, name: number, view: ArrayBufferView, offset: number, length: number): number;
  io_address(fd: number, peer: boolean): RawAddress | number;
  /** lseek(2): the new offset, or -errno. */
  io_lseek(fd: number, offset: number, whence: number): number;
  /**
   * poll(2) with timeout 0 over `list`'s (fd, events) pairs (POLL* bits); each events slot becomes the fd's
   * revents. Returns how many fds have any, or -errno.
   */
  io_poll(list: Int32Array): number;
  /** Step codes, verify modes and protocol versions of the TLS bindings (native/io/tls.cc). */
  tls_constants: Record<TlsConstant, number>;
  // TLS contexts and connections are numbered handles; each step is one non-blocking OpenSSL call returning a
  // result (>= 0), -errno, or a tls_constants code (native/io/tls.cc).
  tls_context_new(server: boolean): number;
  tls_context_free(ctx: number): void;
  /** '' or an error message. */
  tls_context_use_certificate(ctx: number, certPem: string, keyPem: string, passphrase: string | null): string;
  /** The number of certificates added, or an error message. */
  tls_context_add_ca(ctx: number, pem: string): number | string;
  /** '' or an error message. */
  tls_context_set_ciphers(ctx: number, tls12List: string, tls13Suites: string): string;
  tls_context_set_versions(ctx: number, min: number, max: number): boolean;
  tls_context_set_alpn(ctx: number, wire: Uint8Array): void;
  tls_context_set_sni_pause(ctx: number, on: boolean): void;
  /** The connection's id, or an error message. */
  tls_connection_new(ctx: number, fd: number, server: boolean): number | string;
  tls_connection_free(conn: number): void;
  tls_set_sni(conn: number, name: string): boolean;
  tls_set_verify(conn: number, mode: number, host: string, hostIsIp: boolean): boolean;
  tls_set_alpn(conn: number, wire: Uint8Array): boolean;
  tls_set_versions(conn: number, min: number, max: number): boolean;
  tls_set_session(conn: number, session: Uint8Array): boolean;
  tls_set_context(conn: number, ctx: number): boolean;
  tls_hello_servername(conn: number): string;
  tls_handshake(conn: number): number;
  tls_read(conn: number, view: ArrayBufferView, offset: number, length: number): number;
  tls_write(conn: number, view: ArrayBufferView, offset: number, length: number): number;
  /** 0: close_notify sent; 1: both ways done. */
  tls_shutdown(conn: number): number;
  tls_info(conn: number): RawTlsInfo;
  tls_error(conn: number): [library: string, reason: string, message: string];
  tls_peer_certificate(conn: number): Uint8Array | null;
  tls_get_session(conn: number): Uint8Array | null;
  tls_stats(): [contexts: number, connections: number];
  /** Slots, flags and limits' layout of the HTTP parser (native/http/parser.h). */
  http_constants: Record<HttpConstant, number>;
  /** The message of each parse failure reason, by its number (out[SLOT_REASON]). */
  http_reasons: string[];
  /** > 0 bytes of the head, 0 incomplete, < 0 minus the status to answer; `out` per native/http/parser.h. */
  http_parse_request(
    view: ArrayBufferView, offset: number, length: number, out: Int32Array,
    maxRequestLine: number, maxHeaderLine: number, maxHead: number, maxHeaders: number,
  ): number;
  http_parse_trailers(
    view: ArrayBufferView, offset: number, length: number, out: Int32Array,
    maxHeaderLine: number, maxHead: number, maxHeaders: number,
  ): number;
  /** The same result; out[0] the reason, out[1] and out[2] the size's low 26 and high bits. */
  http_parse_chunk_size(view: ArrayBufferView, offset: number, length: number, out: Int32Array): number;
  /**
   * Starts this thread's watchdog (native/debug/watchdog.h); none may be running. `report` is called on the
   * loop once per blocking episode: greenlet that was running (or null), its stack lines (or null), seconds into
   * the episode when they were taken (-1: none), seconds the episode lasted.
   */
  debug_watchdog_start(
    maxBlockingSeconds: number,
    stuckPrintSeconds: number,
    report: (greenlet: GreenletHandle | null, lines: string[] | null, stackTakenAfter: number, blockedFor: number) => void,
  ): void;
  /**
   * Stops this thread's watchdog and returns its undelivered reports, flat: the 4 reporter arguments of each
   * (empty if none was running).
   */
  debug_watchdog_stop(): unknown[];
  /**
   * A greenlet's stack, innermost first: the running one's, or a suspended one's through a peek
   * (native/debug/stack_peek.h); null if it has none to show (not started, finished).
   */
  debug_stack_of(g: GreenletHandle, maxFrames: number): string[] | null;
  /**
   * Test hook: whether a cppgc object referenced only from a native frame survives `collect()` and then a full
   * cppgc collection that scans the stack (`scanStack`) or assumes it holds no pointers.
   */
  testing_cppgc_probe(collect: () => void, scanStack: boolean): boolean | undefined;
}

function addonPath(): string {
  const explicit = process.env.VERDANT_ADDON;
  if (explicit) return explicit;
  const root = join(__dirname, '..', '..', '..');
  try {
    // A source build (build/Release, build/Debug) first, then the package's prebuilds/<platform>-<arch>/ binary
    // for this Node ABI and libc.
    return nodeGypBuild.path(root);
  } catch (error) {
    throw new AddonNotFoundError(root, error instanceof Error ? error.message : String(error));
  }
}

/**
 * Neither a prebuilt binary for this platform, architecture and Node version nor a source build of the addon was
 * found. The message names what was looked for and how to build it.
 */
export class AddonNotFoundError extends Error {
  constructor(
    /** The package directory that was searched. */
    readonly packageDir: string,
    /** node-gyp-build's account of what it looked for. */
    readonly detail: string,
  ) {
    super(
      `verdant: no native addon for this system (${detail.trim()}). There is no prebuilt binary for it in ` +
        `${join(packageDir, 'prebuilds')} and no source build in ${join(packageDir, 'build')}: build one with ` +
        '`npm rebuild verdant --build-from-source` (needs a C++ compiler, make and python3).',
    );
    this.name = 'AddonNotFoundError';
  }
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const native: NativeBinding = require(addonPath());
