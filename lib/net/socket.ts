/**
 * GreenSocket: a BSD socket whose blocking calls block only the calling green thread (eventlet's GreenSocket).
 * TCP over IPv4 and IPv6, Unix stream sockets, UDP. Every call goes straight to a non-blocking syscall in the
 * addon (native/io); on EAGAIN the green thread parks on the fd in the hub and retries when it is ready. The
 * socket's syscalls (io_recv, io_send) are given to its GreenFd (lib/io/green-fd.ts), whose loops own the waiting.
 */
import { native } from '../io/native';
import { EAGAIN, GreenFd } from '../io/green-fd';
import { IOError, SocketTimeoutError, WouldBlockError, ioError } from '../io/errors';
import { checkReadSize } from '../io/fresh-read';
import { DnsError, lookup } from './dns';
import {
  type AddressInput,
  type ParsedAddress,
  type SocketAddress,
  type SocketFamily,
  familyNumber,
  formatAddress,
  fromRaw,
  literalFamily,
  parseAddress,
  peerLabel,
} from './address';
import { type SocketOptionName, optionOf } from './options';
import { GreenFile, type GreenFileOptions, type FileMode } from './file';
import type { AcceptBalance } from './accept-balance';

const C = native.io_constants;
const ioRecv = native.io_recv;
const ioSend = native.io_send;
const EINPROGRESS = -C.EINPROGRESS;
const ECONNABORTED = -C.ECONNABORTED;
// Python's limit for getsockopt's buffer length.
const MAX_OPTION_BYTES = 1024;
// Where recv(0) peeks (the byte stays in the socket).
const PEEK_BYTE = Buffer.alloc(1);

// recvfrom as GreenFd.readSome calls a syscall: the byte count (or -errno), the sender's address left in
// `lastFrom`, which recvFromInto reads as soon as readSome returns (nothing can switch in between). A function of
// the module, not a closure per call.
let lastFrom: ReturnType<typeof native.io_recvfrom> = 0;
function recvFromSyscall(fd: number, view: ArrayBufferView, offset: number, length: number, flags: number): number {
  const r = native.io_recvfrom(fd, view, offset, length, flags);
  if (typeof r === 'number') return r;
  lastFrom = r;
  return r[0];
}

/** recv/send flags, for the `flags` arguments. */
export const MSG = { PEEK: C.MSG_PEEK, OOB: C.MSG_OOB, WAITALL: C.MSG_WAITALL, DONTWAIT: C.MSG_DONTWAIT } as const;

export type SocketType = 'stream' | 'dgram';

export interface SocketOptions {
  /** Default 'IPv4'. */
  family?: SocketFamily;
  /** 'stream' (TCP, or a Unix stream socket; the default) or 'dgram' (UDP). */
  type?: SocketType;
}

/** Bytes to send: a Buffer or any typed array / DataView, or a string (sent as UTF-8). */
export type SendData = string | ArrayBufferView;

export interface ConnectOptions {
  /** Seconds for this connect (name resolution included); default: the socket's timeout. */
  timeout?: number | null;
}

/**
 * The listen backlog when none is given: Node's (511). A burst of connections larger than the backlog waits for
 * SYN retries (a second or more) however fast the server accepts, and 128 is small for a busy server.
 */
export const DEFAULT_BACKLOG = 511;

/** What {@link GreenSocket.accept} asks before taking a connection (lib/net/accept-balance.ts implements it). */
export interface AcceptGate {
  /**
   * Returns when this process should try to take a connection from the listening socket `fd`; may block the
   * calling green thread (and wait on `fd`).
   */
  admit(fd: number): void;
}

const adopt: unique symbol = Symbol('adopt');

export class GreenSocket extends GreenFd {
  readonly family: SocketFamily;
  readonly type: SocketType;
  /** The address it was last bound or connected to, for error messages. */
  #label: string | undefined;
  /**
   * @internal The host it was last connected to, as the caller named it (a name or a literal): TLS's default
   * server name (lib/net/tls/socket.ts).
   */
  connectHost: string | undefined;

  /** Opens a new socket: `new GreenSocket({ family: 'IPv6', type: 'dgram' })`. */
  constructor(options?: SocketOptions);
  /** @internal */
  constructor(options: SocketOptions, fd: number, token: typeof adopt);
  constructor(options: SocketOptions = {}, fd = -1, token?: typeof adopt) {
    const family = options.family ?? 'IPv4';
    const type = options.type ?? 'stream';
    if (family !== 'IPv4' && family !== 'IPv6' && family !== 'unix') {
      throw new TypeError(`a socket's family is 'IPv4', 'IPv6' or 'unix', not ${JSON.stringify(family)}`);
    }
    if (type !== 'stream' && type !== 'dgram') throw new TypeError(`a socket's type is 'stream' or 'dgram', not ${JSON.stringify(type)}`);
    if (token !== adopt) {
      fd = native.io_socket(familyNumber(family), type === 'stream' ? C.SOCK_STREAM : C.SOCK_DGRAM, 0);
      if (fd < 0) throw ioError(fd, 'socket');
    }
    super(fd, type === 'stream', ioRecv, ioSend);
    this.family = family;
    this.type = type;
  }

  /**
   * Adopts an open socket fd (inherited from a parent process, say): makes it non-blocking and reads its family
   * and type from the kernel. The GreenSocket owns the fd from then on.
   */
  static fromFd(fd: number): GreenSocket {
    if (!Number.isInteger(fd) || fd < 0) throw new TypeError(`not a file descriptor: ${fd}`);
    const type = native.io_getsockopt(fd, C.SOL_SOCKET, C.SO_TYPE);
    if (type < 0) throw ioError(type, 'getsockopt');
    const raw = native.io_address(fd, false);
    if (typeof raw === 'number') throw ioError(raw, 'getsockname');
    const blocking = native.io_set_blocking(fd, false);
    if (blocking < 0) throw ioError(blocking, 'fcntl');
    const family = fromRaw(raw).family;
    return new GreenSocket({ family, type: type === C.SOCK_DGRAM ? 'dgram' : 'stream' }, fd, adopt);
  }

  /**
   * A pair of connected sockets (Unix stream sockets by default), as Python's `socket.socketpair()`: handy for
   * tests and for waking a green thread from another.
   */
  static pair(type: SocketType = 'stream'): [GreenSocket, GreenSocket] {
    const fds = native.io_socketpair(C.AF_UNIX, type === 'dgram' ? C.SOCK_DGRAM : C.SOCK_STREAM);
    if (typeof fds === 'number') throw ioError(fds, 'socketpair');
    return [new GreenSocket({ family: 'unix', type }, fds[0], adopt), new GreenSocket({ family: 'unix', type }, fds[1], adopt)];
  }

  /** Binds it to a local address (a port alone: every interface). */
  bind(address: AddressInput): void {
    this.openFd('bind');
    const target = this.#literal(address, 'bind', this.family === 'IPv6' ? '::' : '0.0.0.0');
    const r = native.io_bind(this.openFd('bind'), familyNumber(this.family), target.path ?? target.host, target.port);
    this.#label = formatAddress(target);
    if (r < 0) throw this.fail(r, 'bind');
  }

  /** Starts listening for connections (backlog default {@link DEFAULT_BACKLOG}; the kernel caps it at somaxconn). */
  listen(backlog = DEFAULT_BACKLOG): void {
    if (!Number.isInteger(backlog) || backlog < 0) throw new RangeError(`listen's backlog must be an integer >= 0, not ${backlog}`);
    const r = native.io_listen(this.openFd('listen'), backlog);
    if (r < 0) throw this.fail(r, 'listen');
  }

  /**
   * Waits for a connection and returns the new socket with the peer's address. Out of file descriptors, it
   * throws (EMFILE/ENFILE as an IOError) rather than wait: {@link serve} backs off and retries.
   *
   * `gate`, when given, is asked before each try and may block: processes sharing this listening socket take
   * turns that way (an {@link AcceptBalance}).
   *
   * Switch point: when no connection is pending, or the gate blocks.
   */
  accept(gate?: AcceptGate): [GreenSocket, SocketAddress] {
    this.openFd('accept');
    for (;;) {
      gate?.admit(this.fd);
      const fd = native.io_accept(this.fd);
      if (fd >= 0) {
        const conn = new GreenSocket({ family: this.family, type: this.type }, fd, adopt);
        return [conn, conn.#peerOrPlaceholder()];
      }
      // ECONNABORTED: the client gave up before we took it; take the next one.
      if (fd === ECONNABORTED) continue;
      if (fd !== EAGAIN) throw this.fail(fd, 'accept');
      this.waitReady(false, 'accept');
    }
  }

  /**
   * Connects to `address`. Host names are resolved with getaddrinfo (`dns.lookup`) for this socket's family, and
   * the first address is used; {@link connect} (the function) tries every address instead. The timeout bounds
   * resolution and connection together.
   *
   * Switch point: always, unless the connection completes at once (Unix sockets).
   */
  connect(address: AddressInput, options: ConnectOptions = {}): void {
    this.openFd('connect');
    const timeout = options.timeout === undefined ? this.getTimeout() : options.timeout;
    const deadline = this.deadline(timeout);
    const requested = parseAddress(address, '');
    this.connectHost = requested.path === undefined && requested.host !== '' ? requested.host : undefined;
    const target = this.#resolve(address, timeout, deadline);
    this.#label = formatAddress(target);
    const r = native.io_connect(this.openFd('connect'), familyNumber(this.family), target.path ?? target.host, target.port);
    if (r === 0) return;
    if (r !== EINPROGRESS) throw this.fail(r, 'connect');
    this.waitReady(true, 'connect', timeout, deadline);
    const error = native.io_getsockopt(this.fd, C.SOL_SOCKET, C.SO_ERROR);
    if (error !== 0) throw this.fail(error < 0 ? error : -error, 'connect');
  }

  /**
   * Connects as {@link GreenSocket.connect} does, but returns a failure to connect as an errno code instead of
   * throwing it (Python's `connect_ex`): 0 once connected, else the positive errno, as Python returns it and as
   * `os.constants.errno` lists it (`ECONNREFUSED`...): the negation of the `errno` of the IOError `connect` would
   * have thrown, which is negative as Node's are. Running out of the socket's timeout is `EAGAIN` (Python's
   * answer); on a non-blocking socket (timeout 0) a connection still under way is `EINPROGRESS`: wait until the
   * socket is writable (`select`) and read `SO_ERROR`, or call connectEx again (`EALREADY` while it is under
   * way; once it is done, 0 and then `EISCONN` on Linux, `EISCONN` at once elsewhere). A closed socket is `EBADF`.
   *
   * Still thrown: a name that does not resolve ({@link DnsError}, Python's gaierror), bad arguments (TypeError,
   * RangeError), and a Timeout armed around the call.
   *
   * Switch point: as connect.
   */
  connectEx(address: AddressInput, options: ConnectOptions = {}): number {
    try {
      this.connect(address, options);
      return 0;
    } catch (error) {
      if (!(error instanceof IOError) || error instanceof DnsError) throw error;
      if (error instanceof SocketTimeoutError) return C.EAGAIN;
      if (error instanceof WouldBlockError && error.syscall === 'connect') return C.EINPROGRESS;
      return -error.errno;
    }
  }

  /**
   * Receives up to `size` bytes; an empty Buffer means the peer closed its side (end of stream). `recv(0)` on a
   * stream socket waits (within the timeout) until the socket is readable, then returns an empty Buffer without
   * taking anything, as eventlet's does.
   *
   * Switch point: when nothing has arrived yet.
   */
  recv(size: number, flags = 0): Buffer {
    checkReadSize(size, 'recv');
    this.openFd('recv');
    if (size === 0 && this.#zeroOnStream()) return Buffer.alloc(0);
    return this.readFresh(size, flags, 'recv');
  }

  /**
   * Receives into `buffer` (at most `nbytes`, default its length) and returns the byte count; 0 at end of
   * stream. The allocation-free way to read. An empty buffer waits until the socket is readable, as `recv(0)`.
   *
   * Switch point: when nothing has arrived yet.
   */
  recvInto(buffer: ArrayBufferView, nbytes = buffer.byteLength, flags = 0): number {
    if (nbytes > buffer.byteLength) throw new RangeError(`recvInto: ${nbytes} bytes do not fit in a ${buffer.byteLength}-byte buffer`);
    this.openFd('recv');
    if (nbytes === 0 && this.#zeroOnStream()) return 0;
    return this.readSome(buffer, 0, nbytes, flags, 'recv');
  }

  /** Receives one datagram (at most `size` bytes of it) and its sender. Switch point: when none has arrived. */
  recvFrom(size: number, flags = 0): [Buffer, SocketAddress] {
    checkReadSize(size, 'recvfrom');
    const buffer = Buffer.allocUnsafe(size);
    const [n, from] = this.recvFromInto(buffer, size, flags);
    return [n === size ? buffer : Buffer.from(buffer.subarray(0, n)), from];
  }

  /** Like {@link GreenSocket.recvFrom}, into `buffer`; returns the byte count and the sender. */
  recvFromInto(buffer: ArrayBufferView, nbytes = buffer.byteLength, flags = 0): [number, SocketAddress] {
    if (nbytes > buffer.byteLength) throw new RangeError(`recvFromInto: ${nbytes} bytes do not fit in a ${buffer.byteLength}-byte buffer`);
    this.openFd('recvfrom');
    const n = this.readSome(buffer, 0, nbytes, flags, 'recvfrom', recvFromSyscall);
    const from = lastFrom as Exclude<typeof lastFrom, number>;
    lastFrom = 0;
    return [n, fromRaw(from, 1)];
  }

  /**
   * Sends what the kernel takes now (at least one byte, waiting until it can) and returns how many bytes went.
   * Use {@link GreenSocket.sendAll} to send everything.
   */
  send(data: SendData, flags = 0): number {
    const bytes = toBytes(data);
    this.openFd('send');
    return this.writeSome(bytes, 0, bytes.byteLength, flags, 'send');
  }

  /**
   * Sends all of `data`, waiting as often as needed; the socket's timeout bounds the whole call. On an error,
   * `error.bytesWritten` says how much went out.
   *
   * Switch point: when the send buffer is full.
   */
  sendAll(data: SendData, flags = 0): void {
    const bytes = toBytes(data);
    this.openFd('send');
    this.writeAll(bytes, 0, bytes.byteLength, flags, 'send');
  }

  /** Sends one datagram to `address` (names are resolved first). Switch point: when the buffer is full. */
  sendTo(data: SendData, address: AddressInput, flags = 0): number {
    const bytes = toBytes(data);
    this.openFd('sendto');
    const target = this.#resolve(address, this.getTimeout(), this.deadline());
    const family = familyNumber(this.family);
    for (;;) {
      const r = native.io_sendto(this.fd, bytes, 0, bytes.byteLength, flags, family, target.path ?? target.host, target.port);
      if (r >= 0) return r;
      if (r !== EAGAIN) throw this.fail(r, 'sendto');
      this.waitReady(true, 'sendto');
    }
  }

  /**
   * Shuts down reading, writing (the peer reads end of stream; a half-close), or both. The fd stays open until
   * {@link GreenSocket.close}.
   */
  shutdown(how: 'read' | 'write' | 'both' = 'both'): void {
    const value = how === 'read' ? C.SHUT_RD : how === 'write' ? C.SHUT_WR : how === 'both' ? C.SHUT_RDWR : -1;
    if (value < 0) throw new TypeError(`shutdown takes 'read', 'write' or 'both', not ${JSON.stringify(how)}`);
    const r = native.io_shutdown(this.openFd('shutdown'), value);
    if (r < 0) throw this.fail(r, 'shutdown');
  }

  /** Sets an option: `setsockopt('TCP_NODELAY', true)`, `setsockopt('SO_RCVBUF', 1 << 20)`, or by numbers. */
  setsockopt(name: SocketOptionName, value: boolean | number): void;
  setsockopt(level: number, name: number, value: number): void;
  setsockopt(levelOrName: SocketOptionName | number, a: boolean | number, b?: number): void {
    const option = optionOf(levelOrName, typeof levelOrName === 'number' ? (a as number) : undefined);
    const value = typeof levelOrName === 'number' ? b : a;
    const int = typeof value === 'boolean' ? Number(value) : value;
    if (!Number.isInteger(int)) throw new TypeError(`setsockopt: the value must be a boolean or an integer, not ${String(value)}`);
    const r = native.io_setsockopt(this.openFd('setsockopt'), option.level, option.name, int!);
    if (r < 0) throw this.fail(r, 'setsockopt');
  }

  /**
   * Reads an option: flags come back as booleans, the rest as numbers. With `buflen` (1 to 1024, as Python's),
   * the option's raw bytes instead, as many as the kernel gives (at most `buflen`): the way to read options that
   * are structures (`SO_LINGER`, `SO_PEERCRED`...).
   */
  getsockopt(name: SocketOptionName): boolean | number;
  getsockopt(name: SocketOptionName, buflen: number): Buffer;
  getsockopt(level: number, name: number): number;
  getsockopt(level: number, name: number, buflen: number): Buffer;
  getsockopt(levelOrName: SocketOptionName | number, a?: number, b?: number): boolean | number | Buffer {
    const byName = typeof levelOrName === 'string';
    const option = optionOf(levelOrName, byName ? undefined : a);
    const buflen = byName ? a : b;
    const fd = this.openFd('getsockopt');
    if (buflen !== undefined) {
      if (!Number.isInteger(buflen) || buflen < 1 || buflen > MAX_OPTION_BYTES) {
        throw new RangeError(`getsockopt: buflen must be an integer from 1 to ${MAX_OPTION_BYTES}, not ${buflen}`);
      }
      const bytes = Buffer.alloc(buflen);
      const n = native.io_getsockopt_bytes(fd, option.level, option.name, bytes, 0, buflen);
      if (n < 0) throw this.fail(n, 'getsockopt');
      return n === buflen ? bytes : bytes.subarray(0, n);
    }
    const r = native.io_getsockopt(fd, option.level, option.name);
    if (r < 0) throw this.fail(r, 'getsockopt');
    return option.flag ? r !== 0 : r;
  }

  /** A new GreenSocket on a duplicate of the fd (same connection, its own timeout and its own close). */
  dup(): GreenSocket {
    const fd = native.io_dup(this.openFd('dup'));
    if (fd < 0) throw this.fail(fd, 'dup');
    const copy = new GreenSocket({ family: this.family, type: this.type }, fd, adopt);
    copy.setTimeout(this.getTimeout());
    return copy;
  }

  /**
   * Puts it in the closed state without closing the fd, and returns the fd (Python's `socket.detach()`): whoever
   * takes the fd owns it from then on (`wrapTls` does this). Green threads already waiting on it are not woken.
   * Returns -1 if it was closed; an IOError EBUSY while files made by {@link GreenSocket.makefile} are open.
   */
  detach(): number {
    return this.takeFd('detach');
  }

  /** The local address (after bind, listen or connect). */
  getSockName(): SocketAddress {
    return this.#address(false);
  }

  /** The peer's address; throws ENOTCONN when not connected. */
  getPeerName(): SocketAddress {
    return this.#address(true);
  }

  /**
   * A buffered file over this socket: `read(n)`, `readline()`, iteration over lines, `write`, `writelines`,
   * `flush`. It shares the socket's fd and timeout. Closing the file flushes it but leaves the socket open; closing
   * the socket leaves the file working: the fd is closed when the socket and all its files are (Python's rule).
   * So close the files you make: JS does not close a dropped one at once, as CPython's refcounting does, but only
   * when the garbage collector finds it ({@link serve} closes a connection's files with it).
   */
  makefile(mode: FileMode = 'rw', options: GreenFileOptions = {}): GreenFile {
    return new GreenFile(
      {
        read: (view, offset, length) => this.readSome(view, offset, length, 0, 'recv'),
        write: (view, offset, length) => this.writeAll(view, offset, length, 0, 'send'),
        ...this.fileHooks(),
      },
      mode,
      options,
    );
  }

  override toString(): string {
    if (this.closed) return `GreenSocket(closed)`;
    return `GreenSocket(fd ${this.fd}, ${this.family} ${this.type}${this.#label ? `, ${this.#label}` : ''})`;
  }

  protected override describe(): string | undefined {
    if (this.#label === undefined && this.fd >= 0) this.#label = peerLabel(this.fd);
    return this.#label;
  }

  // A zero-byte recv on a stream: the kernel's returns 0 at once, which reads as end of stream, while CPython
  // (with a timeout) and eventlet wait until the socket is readable. Peeking a byte waits so and leaves it there;
  // a non-blocking socket answers at once, as CPython's. True when handled; datagrams take the plain path (a
  // zero-byte recv takes a datagram).
  #zeroOnStream(): boolean {
    if (this.type !== 'stream') return false;
    if (this.getTimeout() !== 0) this.readSome(PEEK_BYTE, 0, 1, C.MSG_PEEK, 'recv');
    return true;
  }

  #address(peer: boolean): SocketAddress {
    const raw = native.io_address(this.openFd(peer ? 'getpeername' : 'getsockname'), peer);
    if (typeof raw === 'number') throw this.fail(raw, peer ? 'getpeername' : 'getsockname');
    return fromRaw(raw);
  }

  // A peer that reset before we asked has no name any more; the connection is still handed over (reads fail).
  #peerOrPlaceholder(): SocketAddress {
    const raw = native.io_address(this.fd, true);
    if (typeof raw !== 'number') return fromRaw(raw);
    return this.family === 'unix' ? { family: 'unix', path: '' } : { family: this.family, address: '', port: 0 };
  }

  // The address to bind to: IP literals (or '' for any) and paths only.
  #literal(address: AddressInput, syscall: string, anyHost: string): ParsedAddress {
    const target = parseAddress(address, anyHost);
    this.#checkKind(target, syscall);
    if (target.path === undefined && literalFamily(target.host) === null) {
      // bind takes a name too (Python does): resolve it without a limit.
      return this.#resolve(address, null, -1);
    }
    return target;
  }

  // The address to connect or send to, with its host resolved for this socket's family.
  #resolve(address: AddressInput, timeout: number | null, deadline: number): ParsedAddress {
    const target = parseAddress(address, this.family === 'IPv6' ? '::1' : '127.0.0.1');
    this.#checkKind(target, 'connect');
    if (target.path !== undefined || literalFamily(target.host) !== null) return target;
    const limit = deadline >= 0 ? Math.max(0, deadline - performance.now()) / 1000 : timeout;
    const [first] = lookup(target.host, { family: this.family === 'IPv6' ? 6 : 4, timeout: limit });
    return { host: first.address, port: target.port };
  }

  #checkKind(target: ParsedAddress, syscall: string): void {
    const isPath = target.path !== undefined;
    if (isPath !== (this.family === 'unix')) {
      throw new TypeError(
        `${syscall}: a${this.family === 'unix' ? ' unix socket takes a path' : `n ${this.family} socket takes a host and a port`}, not ${formatAddress(target)}`,
      );
    }
  }
}

/** What {@link shutdownSafe} takes: a GreenSocket, a TlsSocket, or anything with their `shutdown`. */
export interface Shutdownable {
  shutdown(how?: 'read' | 'write' | 'both'): void;
}

// A socket that is not connected, already closed (ClosedError is EBADF), or not a socket at all.
const NOTHING_TO_SHUT_DOWN = new Set(['ENOTCONN', 'EBADF', 'ENOTSOCK']);

/**
 * Shuts `sock` down both ways, ignoring that it is not connected (ENOTCONN), already closed or not a socket
 * (eventlet's `shutdown_safe`): for code that ends connections in whatever state they are, as servers do. Other
 * failures throw. It does not close the socket.
 *
 * Switch point: a TlsSocket's may wait to send its close_notify; a GreenSocket's never.
 */
export function shutdownSafe(sock: Shutdownable): void {
  try {
    sock.shutdown('both');
  } catch (error) {
    if (error instanceof IOError && NOTHING_TO_SHUT_DOWN.has(error.code)) return;
    throw error;
  }
}

function toBytes(data: SendData): ArrayBufferView {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return data;
  throw new TypeError(`can only send a string, a Buffer, a typed array or a DataView, not ${data === null ? 'null' : typeof data}`);
}

