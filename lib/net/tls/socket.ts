/**
 * TLS on green sockets: {@link wrapTls} turns a connected GreenSocket into a {@link TlsSocket} (client or server)
 * and {@link connectTls} connects and wraps in one call. A TlsSocket has a GreenSocket's blocking stream API
 * (`recv`, `recvInto`, `send`, `sendAll`, `makefile`, `shutdown`, `close`, timeouts), and only the calling green
 * thread waits: each OpenSSL step is non-blocking (native/tls/), and when it needs the socket to become
 * readable or writable the green thread parks on the fd in the hub, then retries.
 *
 * Verification is on by default for clients: the server's certificate must chain to a trusted CA (the system's
 * store unless `ca` says otherwise) and be for the server name. Failures are typed: {@link TlsError},
 * {@link CertificateVerificationError}, and the socket errors (ConnectionResetError, SocketTimeoutError,
 * ClosedError, ...).
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { native as ioNative } from '../../io/native';
import { native } from './native';
import { FdHandle, type FdFileHooks } from '../../io/fd-handle';
import { ClosedError, IOError, WouldBlockError } from '../../io/errors';
import { MAX_READ, checkReadSize, freshCopy, freshTarget } from '../../io/fresh-read';
import { type AddressInput, type SocketAddress, type SocketFamily, fromRaw, parseAddress, peerLabel } from '../address';
import { type ConnectToOptions, connect } from '../convenience';
import { GreenFile, type FileMode, type GreenFileOptions } from '../file';
import { GreenSocket, type SendData } from '../socket';
import { CertificateVerificationError, TlsError } from './errors';
import {
  type TlsContextOptions,
  type TlsVersion,
  TlsContext,
  alpnWire,
  checkVersion,
  createTlsContext,
  defaultClientContext,
  versionNumber,
} from './context';

const T = native.tls_constants;
const C = ioNative.io_constants;
const tlsRead = native.tls_read;
const tlsWrite = native.tls_write;
// A TLS record carries at most 16 KiB, and one read returns at most one record's worth: a bigger buffer would
// only be allocated to be copied out of.
const MAX_RECV_BUFFER = 64 * 1024;

// Options that make a context of their own (the rest are per connection).
const CONTEXT_OPTIONS = ['cert', 'key', 'passphrase', 'ca', 'ciphers', 'contexts', 'SNICallback'] as const;

export interface WrapTlsOptions extends TlsContextOptions {
  /**
   * The context to use (from {@link createTlsContext}); then the context options above (cert, key, ca, ciphers,
   * contexts, SNICallback) must not be given. Without one, a server or a client with context options gets a
   * context of its own, and other clients share a default one that trusts the system's CAs.
   */
  context?: TlsContext;
  /**
   * Client: the server's name, sent as SNI and checked against its certificate (an IP literal is checked
   * against the certificate's IP addresses, and not sent). Default: the host the socket connected to (as the
   * caller named it). `null`: neither (allowed only with `rejectUnauthorized: false`).
   */
  servername?: string | null;
  /** Client: a session from an earlier connection's {@link TlsSocket.getSession}, to resume. */
  session?: Uint8Array | null;
  /**
   * Run the handshake now, within the socket's timeout (default true); otherwise on first use or
   * {@link TlsSocket.handshake}. A non-blocking socket (timeout 0) needs `false`, then `handshake()` again after
   * each WouldBlockError.
   */
  doHandshake?: boolean;
}

export interface CipherInfo {
  /** OpenSSL's name ('TLS_AES_256_GCM_SHA384', 'ECDHE-RSA-AES128-GCM-SHA256'). */
  name: string;
  /** The IANA name. */
  standardName: string;
  /** The protocol version it runs under ('TLSv1.3'). */
  version: string;
}

const make: unique symbol = Symbol('make');

// A dropped TlsSocket's OpenSSL connection is freed; its fd is not closed (as a dropped GreenSocket's is not).
const finalizer = new FinalizationRegistry<number>((id) => native.tls_connection_free(id));

interface TlsSocketInit {
  fd: number;
  family: SocketFamily;
  conn: number;
  context: TlsContext;
  serverSide: boolean;
  expectedHost: string | undefined;
}

/**
 * The fd under a TlsSocket: an {@link FdHandle}, which owns the fd's open/closed state, its timeout, the wait on
 * it and the files made by makefile(). The TlsSocket holds one rather than being one, because none of the
 * plain-syscall read and write loops of GreenFd fit it: OpenSSL makes the syscalls, and a TLS step may need the
 * fd readable or writable whatever its own direction (a read may have to write, and the reverse), so the record
 * layer runs its own loop (TlsSocket's #run) and takes from the fd only what is the fd's.
 *
 * FdHandle keeps those calls protected (GreenSocket and GreenPipe do not show them); this subclass opens them to
 * the TlsSocket that holds it, names the fd by its peer's address in errors, and runs `release` (close_notify if
 * it can, then free the OpenSSL connection) just before the fd closes: when the TlsSocket and its last file are
 * both closed.
 */
class TlsFd extends FdHandle {
  #label: string | undefined;
  readonly #release: () => void;

  constructor(fd: number, release: () => void) {
    super(fd);
    this.#release = release;
  }

  /** The fd as it is: still open after close() while files made from it are, -1 once really closed. */
  get current(): number {
    return this.fd;
  }

  override openFd(syscall: string): number {
    return super.openFd(syscall);
  }

  override waitReady(write: boolean, syscall: string, timeout?: number | null, deadline?: number): number {
    return super.waitReady(write, syscall, timeout, deadline);
  }

  override deadline(timeout?: number | null): number {
    return super.deadline(timeout);
  }

  override fail(result: number, syscall: string): IOError {
    return super.fail(result, syscall);
  }

  override fileHooks(): FdFileHooks {
    return super.fileHooks();
  }

  override checkNoFiles(syscall: string): void {
    super.checkNoFiles(syscall);
  }

  override takeFd(syscall: string): number {
    return super.takeFd(syscall);
  }

  override describe(): string | undefined {
    if (this.#label === undefined && this.fd >= 0) this.#label = peerLabel(this.fd);
    return this.#label;
  }

  // A ClosedError names what the caller holds: the TlsSocket, not this class.
  protected override kind(): string {
    return 'TlsSocket';
  }

  protected override closeFd(): void {
    this.#release();
    super.closeFd();
  }
}

/**
 * A TLS connection over a socket it owns. Made by {@link wrapTls} (or {@link connectTls}).
 *
 * Several green threads may use one TlsSocket as they may a GreenSocket (one reading while another writes);
 * closing it wakes those waiting on it with a ClosedError.
 */
export class TlsSocket {
  readonly serverSide: boolean;
  readonly family: SocketFamily;
  // The fd: its state, timeout, waits and files (see TlsFd).
  readonly #fd: TlsFd;
  /** -1 once freed. */
  #conn: number;
  #context: TlsContext;
  #expectedHost: string | undefined;
  #handshaken = false;
  #closeNotifySent = false;
  // A send cut short after OpenSSL had framed part of its bytes: the stream cannot go on (see #writeSome).
  #writeInterrupted = false;

  /** @internal Use {@link wrapTls}. */
  constructor(token: typeof make, init: TlsSocketInit) {
    if (token !== make) throw new TypeError('use wrapTls(socket, options) to make a TlsSocket');
    this.#fd = new TlsFd(init.fd, () => this.#release());
    this.family = init.family;
    this.serverSide = init.serverSide;
    this.#conn = init.conn;
    this.#context = init.context;
    this.#expectedHost = init.expectedHost;
    finalizer.register(this, init.conn, this);
  }

  /** The context it was made from (a server's may have switched by SNI to one of its `contexts`). */
  get context(): TlsContext {
    return this.#context;
  }

  /**
   * Runs the handshake if it has not run yet; the socket's timeout bounds it as a whole. wrapTls does this
   * unless given `doHandshake: false`; `recv` and `send` do it on first use.
   *
   * Switch point: unless the handshake is done. Errors: {@link CertificateVerificationError}, {@link TlsError},
   * SocketTimeoutError, ConnectionResetError, ClosedError.
   */
  handshake(): void {
    this.#fd.openFd('handshake');
    this.#handshake();
  }

  // The handshake on first use: also reached through a file (makefile) after the TlsSocket itself was closed.
  #handshake(): void {
    if (this.#handshaken) return;
    const r = this.#run('handshake', (conn) => native.tls_handshake(conn));
    if (r !== 0) throw this.#failure(r, 'handshake');
    this.#handshaken = true;
  }

  /**
   * Receives up to `size` bytes of decrypted data; an empty Buffer means the peer ended the TLS stream cleanly
   * (close_notify). A peer that closes the connection without close_notify is a {@link TlsError}
   * (`ERR_TLS_UNEXPECTED_EOF`): the data may have been cut short. `flags` must be 0.
   *
   * Switch point: when no whole record has arrived yet.
   */
  recv(size: number, flags = 0): Buffer {
    checkReadSize(size, 'recv');
    checkNoFlags(flags, 'recv');
    this.#fd.openFd('recv');
    const length = Math.min(size, MAX_RECV_BUFFER);
    const target = freshTarget(length);
    return freshCopy(target, length, this.#readSome(target, 0, length, 'recv'));
  }

  /** Receives into `buffer` (at most `nbytes`) and returns the byte count; 0 at the clean end of the stream. */
  recvInto(buffer: ArrayBufferView, nbytes = buffer.byteLength, flags = 0): number {
    if (!ArrayBuffer.isView(buffer)) throw new TypeError('recvInto needs a Buffer, a typed array or a DataView');
    if (!Number.isInteger(nbytes) || nbytes < 0 || nbytes > buffer.byteLength) {
      throw new RangeError(`recvInto: ${nbytes} bytes do not fit in a ${buffer.byteLength}-byte buffer`);
    }
    checkNoFlags(flags, 'recvInto');
    this.#fd.openFd('recv');
    return this.#readSome(buffer, 0, Math.min(nbytes, MAX_READ), 'recv');
  }

  /** Sends some of `data` (at least one TLS record's worth, waiting until it can) and returns how many bytes. */
  send(data: SendData, flags = 0): number {
    checkNoFlags(flags, 'send');
    const bytes = toBytes(data);
    this.#fd.openFd('send');
    return this.#writeSome(bytes, 0, bytes.byteLength, 'send');
  }

  /**
   * Sends all of `data`; the socket's timeout bounds the whole call. On an error `error.bytesWritten` says how
   * much went out.
   *
   * Switch point: when the send buffer is full.
   */
  sendAll(data: SendData, flags = 0): void {
    checkNoFlags(flags, 'sendAll');
    const bytes = toBytes(data);
    this.#fd.openFd('send');
    this.#writeAll(bytes, 0, bytes.byteLength, 'send');
  }

  /**
   * A buffered file over the TLS stream, as GreenSocket's: closing the file leaves the socket open, and closing
   * the socket leaves the file working; the TLS connection ends (close_notify) and the fd closes when both are
   * closed.
   */
  makefile(mode: FileMode = 'rw', options: GreenFileOptions = {}): GreenFile {
    return new GreenFile(
      {
        read: (view, offset, length) => this.#readSome(view, offset, length, 'recv'),
        write: (view, offset, length) => this.#writeAll(view, offset, length, 'send'),
        ...this.#fd.fileHooks(),
      },
      mode,
      options,
    );
  }

  /**
   * Ends the TLS stream in one or both directions: 'write' sends close_notify (the peer's `recv` returns empty)
   * and half-closes the TCP connection; 'read' shuts the TCP connection for reading; 'both' does both. The fd
   * stays open until {@link TlsSocket.close}.
   */
  shutdown(how: 'read' | 'write' | 'both' = 'both'): void {
    const value = how === 'read' ? C.SHUT_RD : how === 'write' ? C.SHUT_WR : how === 'both' ? C.SHUT_RDWR : -1;
    if (value < 0) throw new TypeError(`shutdown takes 'read', 'write' or 'both', not ${JSON.stringify(how)}`);
    this.#fd.openFd('shutdown');
    if (how !== 'read') this.#sendCloseNotify('shutdown');
    const r = ioNative.io_shutdown(this.#fd.current, value);
    if (r < 0) throw this.#fd.fail(r, 'shutdown');
  }

  /**
   * Ends TLS in both directions (sends close_notify and waits for the peer's) and returns the plain socket, which
   * now owns the fd; this TlsSocket is closed. For protocols that drop TLS (Python's `SSLSocket.unwrap`).
   */
  unwrap(): GreenSocket {
    this.#fd.openFd('unwrap');
    this.#fd.checkNoFiles('unwrap');
    let r = this.#sendCloseNotify('unwrap');
    let deadline = Number.NaN;
    while (r === 0) {
      r = this.#run('unwrap', (conn) => native.tls_shutdown(conn), deadline);
      if (r === 0) {
        if (Number.isNaN(deadline)) deadline = this.#fd.deadline();
        this.#fd.waitReady(false, 'unwrap', undefined, deadline);
      } else if (r !== 1) {
        throw this.#failure(r, 'unwrap');
      }
    }
    const timeout = this.#fd.getTimeout();
    this.#free();
    const fd = this.#fd.takeFd('unwrap');
    const plain = GreenSocket.fromFd(fd);
    plain.setTimeout(timeout);
    return plain;
  }

  /**
   * Closes it: sends close_notify if it can without waiting (so the peer reads a clean end), frees the TLS
   * connection and closes the fd; while files made from it are open, all that waits for the last of them (as a
   * GreenSocket's close does). Green threads waiting on it wake with a ClosedError. Closing twice is harmless.
   */
  close(): void {
    this.#fd.close();
  }

  /** @internal As GreenSocket's: closes it and the fd now, even while files made from it are open. */
  closeWithFiles(): void {
    this.#fd.closeWithFiles();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  /** The file descriptor, or -1 once closed (even while files made from it keep the fd itself open). */
  fileno(): number {
    return this.#fd.fileno();
  }

  /** True once {@link TlsSocket.close} ran (or {@link TlsSocket.unwrap} handed the fd over). */
  get closed(): boolean {
    return this.#fd.closed;
  }

  /**
   * Sets the limit for every blocking call on it (a handshake, a send, a read), in seconds: `null` waits without
   * limit; 0 makes it non-blocking (WouldBlockError). As GreenSocket's.
   */
  setTimeout(seconds: number | null): void {
    this.#fd.setTimeout(seconds);
  }

  /** The limit of each blocking call, in seconds (`null`: none; 0: non-blocking). */
  getTimeout(): number | null {
    return this.#fd.getTimeout();
  }

  /** `setBlocking(true)` is `setTimeout(null)`; `setBlocking(false)` is `setTimeout(0)`. */
  setBlocking(blocking: boolean): void {
    this.#fd.setBlocking(blocking);
  }

  /** False when its timeout is 0. */
  getBlocking(): boolean {
    return this.#fd.getBlocking();
  }

  // Run by the TlsFd just before the fd really closes (the TlsSocket and its files all closed).
  #release(): void {
    if (this.#conn > 0 && this.#handshaken && !this.#closeNotifySent && !this.#writeInterrupted && this.#fd.current >= 0) {
      this.#closeNotifySent = true;
      native.tls_shutdown(this.#conn); // one non-blocking attempt; nothing to do if it cannot go out now
    }
    this.#free();
  }

  /** The peer's certificate (after the handshake; null if it sent none), with Node's X509Certificate API. */
  getPeerCert(): X509Certificate | null {
    this.#fd.openFd('getPeerCert');
    const der = native.tls_peer_certificate(this.#live('getPeerCert'));
    return der === null ? null : new X509Certificate(Buffer.from(der.buffer, der.byteOffset, der.byteLength));
  }

  /** The ALPN protocol agreed on, or null if none was. */
  get alpnProtocol(): string | null {
    return this.#info()?.[3] || null;
  }

  /** The protocol version ('TLSv1.3', 'TLSv1.2'), or null before the handshake. */
  get protocol(): string | null {
    return this.#handshaken ? (this.#info()?.[0] ?? null) : null;
  }

  /** The cipher in use, or null before the handshake. */
  get cipher(): CipherInfo | null {
    const info = this.#info();
    if (!this.#handshaken || info === null || info[1] === '') return null;
    return { name: info[1], standardName: info[2], version: info[0] };
  }

  /** Client: the server name it sent (SNI); server: the one the client sent. Null if none. */
  get servername(): string | null {
    return this.#info()?.[4] || null;
  }

  /** True if the peer's certificate verified (with `rejectUnauthorized: false` a client may go on without). */
  get authorized(): boolean {
    const info = this.#info();
    return this.#handshaken && info !== null && info[6] === 0 && native.tls_peer_certificate(this.#conn) !== null;
  }

  /** Why the peer's certificate did not verify (`CERT_HAS_EXPIRED`, ...), or null if it did or was not checked. */
  get authorizationError(): string | null {
    const info = this.#info();
    if (!this.#handshaken || info === null || info[6] === 0) return null;
    return info[7] || `X509_V_ERR_${info[6]}`;
  }

  /**
   * Client: the session to resume in a later connection (`wrapTls(sock, { session })`), or null if the server
   * gave none. Under TLS 1.3 the server sends it after the handshake, so it is there once some data was read.
   */
  getSession(): Buffer | null {
    this.#fd.openFd('getSession');
    const bytes = native.tls_get_session(this.#live('getSession'));
    return bytes === null ? null : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** True if the handshake resumed an earlier session. */
  isSessionReused(): boolean {
    return this.#info()?.[5] ?? false;
  }

  /** The local address. */
  getSockName(): SocketAddress {
    return this.#address(false);
  }

  /** The peer's address. */
  getPeerName(): SocketAddress {
    return this.#address(true);
  }

  toString(): string {
    if (this.closed) return 'TlsSocket(closed)';
    const label = this.#fd.describe();
    return `TlsSocket(fd ${this.#fd.current}, ${this.serverSide ? 'server' : 'client'}${label ? `, ${label}` : ''})`;
  }

  /**
   * One operation to completion: the step, then on WANT_READ / WANT_WRITE a wait for that readiness and the
   * step again, all within `deadline` (taken from the timeout at the first wait when not given). Returns the
   * step's result, or a code other than the waits for the caller to turn into an error.
   */
  #run(syscall: string, step: (conn: number) => number, deadline = Number.NaN): number {
    for (;;) {
      const r = step(this.#live(syscall));
      if (r === T.WANT_READ || r === T.WANT_WRITE) {
        if (Number.isNaN(deadline)) deadline = this.#fd.deadline();
        this.#fd.waitReady(r === T.WANT_WRITE, syscall, undefined, deadline);
      } else if (r === T.WANT_HELLO) {
        this.#chooseContext();
      } else {
        return r;
      }
    }
  }

  #readSome(view: ArrayBufferView, offset: number, length: number, syscall: string): number {
    this.#live(syscall);
    this.#handshake();
    if (length === 0) return 0;
    const r = this.#run(syscall, (conn) => tlsRead(conn, view, offset, length));
    if (r >= 0) return r;
    if (r === T.CLOSED) return 0;
    throw this.#failure(r, syscall);
  }

  #writeSome(view: ArrayBufferView, offset: number, length: number, syscall: string, deadline = Number.NaN): number {
    this.#live(syscall);
    this.#handshake();
    if (length === 0) return 0;
    if (this.#writeInterrupted) {
      throw new TlsError('ERR_TLS_WRITE_INTERRUPTED', syscall, `${syscall}: an earlier send was interrupted mid-record, so this TLS stream cannot go on`, { address: this.#fd.describe() });
    }
    if (this.#closeNotifySent) throw new TlsError('ERR_TLS_SHUTDOWN', syscall, `${syscall} after this side ended the TLS stream (shutdown)`, { address: this.#fd.describe() });
    let waited = false;
    try {
      const r = this.#run(syscall, (conn) => {
        const n = tlsWrite(conn, view, offset, length);
        if (n === T.WANT_READ || n === T.WANT_WRITE) waited = true;
        return n;
      }, deadline);
      if (r >= 0) return r;
      throw this.#failure(r, syscall);
    } catch (error) {
      // OpenSSL keeps the record it began and expects the same bytes again; a later send of other bytes would go
      // out in their place. Refuse further sends instead, except after a WouldBlockError (timeout 0), whose
      // caller retries with the same bytes, as with OpenSSL itself.
      if (waited && !(error instanceof WouldBlockError)) this.#writeInterrupted = true;
      throw error;
    }
  }

  #writeAll(view: ArrayBufferView, offset: number, length: number, syscall: string): void {
    let done = 0;
    const deadline = this.#fd.deadline();
    while (done < length) {
      try {
        done += this.#writeSome(view, offset + done, length - done, syscall, deadline);
      } catch (error) {
        if (error instanceof IOError) (error as IOError & { bytesWritten?: number }).bytesWritten = done;
        throw error;
      }
    }
  }

  // Returns 0 (sent, the peer's not seen yet) or 1 (both done); nothing to send before the handshake.
  #sendCloseNotify(syscall: string): number {
    this.#live(syscall);
    if (!this.#handshaken) return 1;
    if (this.#closeNotifySent) return 0;
    const r = this.#run(syscall, (conn) => native.tls_shutdown(conn));
    if (r < 0) throw this.#failure(r, syscall);
    this.#closeNotifySent = true;
    return r;
  }

  // Server, paused at the ClientHello: switch to the context for the name the client asked for.
  #chooseContext(): void {
    const conn = this.#live('handshake');
    const chosen = this.#context.contextFor(native.tls_hello_servername(conn));
    if (chosen === this.#context) return;
    if (!native.tls_set_context(conn, chosen.id)) {
      throw new TlsError('ERR_TLS_SNI', 'handshake', 'handshake: cannot switch to the TLS context chosen for the server name', { address: this.#fd.describe() });
    }
    this.#context = chosen;
  }

  #live(syscall: string): number {
    if (this.#conn < 0 || this.#fd.current < 0) throw new ClosedError(syscall, false, { address: this.#fd.describe() });
    return this.#conn;
  }

  #info(): ReturnType<typeof native.tls_info> | null {
    return this.#conn < 0 ? null : native.tls_info(this.#conn);
  }

  #free(): void {
    const conn = this.#conn;
    if (conn < 0) return;
    this.#conn = -1;
    finalizer.unregister(this);
    native.tls_connection_free(conn);
  }

  #address(peer: boolean): SocketAddress {
    const raw = ioNative.io_address(this.#fd.openFd(peer ? 'getpeername' : 'getsockname'), peer);
    if (typeof raw === 'number') throw this.#fd.fail(raw, peer ? 'getpeername' : 'getsockname');
    return fromRaw(raw);
  }

  // The error for a step's result other than success.
  #failure(r: number, syscall: string): IOError {
    const address = this.#fd.describe();
    const where = address ? ` (${address})` : '';
    if (r === T.CLOSED) {
      return new TlsError('ERR_TLS_CLOSED', syscall, `${syscall}: the peer ended the TLS stream (close_notify)${where}`, { address });
    }
    if (r === T.EOF) {
      const message = this.#handshaken
        ? `${syscall}: the peer closed the connection without ending TLS (no close_notify); the data may be cut short${where}`
        : `${syscall}: the peer closed the connection during the TLS handshake${where}`;
      return new TlsError('ERR_TLS_UNEXPECTED_EOF', syscall, message, { address });
    }
    if (r !== T.FAILED) return this.#fd.fail(r, syscall);
    const [, reason, opensslMessage] = native.tls_error(this.#conn);
    const info = native.tls_info(this.#conn);
    const verifyResult = info[6];
    if (verifyResult !== 0 && /certificate verify failed/i.test(reason)) {
      const verifyCode = info[7] || `X509_V_ERR_${verifyResult}`;
      const why =
        verifyCode === 'HOSTNAME_MISMATCH' || verifyCode === 'IP_ADDRESS_MISMATCH'
          ? `${verifyCode === 'HOSTNAME_MISMATCH' ? 'hostname' : 'IP address'} mismatch: the certificate is for ${this.#peerNames()}, not ${this.#expectedHost ?? '?'}`
          : `certificate verification failed: ${info[8]} (${verifyCode})`;
      return new CertificateVerificationError(verifyCode, verifyResult, syscall, `${syscall}: ${why}${where}`, { address, reason, opensslMessage });
    }
    const code = `ERR_SSL_${reason.toUpperCase().replace(/[^A-Z0-9]+/g, '_').replace(/^_|_$/g, '')}`;
    return new TlsError(code, syscall, `${syscall}: ${reason}${where}`, { address, reason, opensslMessage });
  }

  // What the peer's certificate names, for a mismatch message: its subjectAltName entries, else its subject's CN.
  #peerNames(): string {
    try {
      const cert = this.getPeerCert();
      if (cert === null) return 'no name (no certificate)';
      const alt = cert.subjectAltName;
      if (alt) {
        const names = alt.split(', ').map((entry) => entry.replace(/^(DNS|IP Address):/, ''));
        return names.join(', ');
      }
      const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject);
      return cn?.[1] ?? 'no name';
    } catch {
      return 'an unreadable name';
    }
  }
}

/**
 * Wraps a connected socket in TLS and returns the {@link TlsSocket}. The TlsSocket takes over the socket's fd
 * (`sock` is detached: closed without closing the fd), and its timeout; if the handshake fails, the TlsSocket
 * closes and the error is thrown.
 *
 * ```ts
 * const tls = wrapTls(connect('example.com:443'));          // verifies example.com's certificate
 * const conn = wrapTls(accepted, { context: serverContext }); // server side
 * ```
 *
 * Switch point: during the handshake (unless `doHandshake: false`). Errors: TypeError for bad options, then as
 * {@link TlsSocket.handshake}.
 */
export function wrapTls(sock: GreenSocket, options: WrapTlsOptions = {}): TlsSocket {
  if (!(sock instanceof GreenSocket)) throw new TypeError('wrapTls needs a GreenSocket');
  if (options === null || typeof options !== 'object') throw new TypeError('wrapTls options must be an object');
  if (sock.type !== 'stream') throw new TypeError('TLS runs over stream sockets, not datagram ones');
  if (sock.closed) throw new ClosedError('wrapTls', false);
  const context = contextOf(options);
  const serverSide = context.serverSide;
  const rejectUnauthorized = options.rejectUnauthorized ?? context.rejectUnauthorized;
  checkVersion(options.minVersion, 'minVersion');
  checkVersion(options.maxVersion, 'maxVersion');
  if (options.session != null && !(options.session instanceof Uint8Array)) throw new TypeError('session must be a Buffer from getSession()');
  if (options.servername != null && (typeof options.servername !== 'string' || options.servername === '')) {
    throw new TypeError('servername must be a non-empty string (or null)');
  }
  let servername: string | undefined;
  if (!serverSide) {
    servername = (options.servername === undefined ? sock.connectHost : options.servername) ?? undefined;
    if (servername !== undefined && servername.startsWith('[') && servername.endsWith(']')) servername = servername.slice(1, -1);
    if (rejectUnauthorized && servername === undefined) {
      throw new TypeError(
        'wrapTls: verifying the server needs its name: pass servername (the host the socket connected to is used when known), or rejectUnauthorized: false (dangerous)',
      );
    }
  } else if (options.alpnProtocols !== undefined && options.context !== undefined) {
    throw new TypeError("a server's alpnProtocols belong to its TlsContext (createTlsContext)");
  }
  const alpn = serverSide ? undefined : options.alpnProtocols ?? context.alpnProtocols;
  const alpnBytes = alpn !== undefined && alpn.length > 0 ? alpnWire(alpn) : null;

  const family = sock.family;
  const timeout = sock.getTimeout();
  const fd = sock.detach();
  const conn = native.tls_connection_new(context.id, fd, serverSide);
  if (typeof conn === 'string') {
    ioNative.io_close(fd);
    throw new TlsError('ERR_TLS_INVALID_CONTEXT', 'wrapTls', `wrapTls: ${conn}`);
  }
  const tls = new TlsSocket(make, { fd, family, conn, context, serverSide, expectedHost: servername });
  tls.setTimeout(timeout);
  try {
    configureConnection(conn, options, { serverSide, rejectUnauthorized, servername, alpnBytes, context });
    if (options.doHandshake !== false) tls.handshake();
    return tls;
  } catch (error) {
    tls.close();
    throw error;
  }
}

function configureConnection(
  conn: number,
  options: WrapTlsOptions,
  resolved: { serverSide: boolean; rejectUnauthorized: boolean; servername: string | undefined; alpnBytes: Uint8Array | null; context: TlsContext },
): void {
  const fail = (what: string): never => {
    throw new TlsError('ERR_TLS_INVALID_OPTION', 'wrapTls', `wrapTls: cannot set ${what}`);
  };
  if (resolved.serverSide) {
    const requestCert = options.requestCert ?? resolved.context.requestCert;
    const mode = !requestCert ? T.VERIFY_NONE : resolved.rejectUnauthorized ? T.VERIFY_REQUIRE : T.VERIFY_RECORD;
    if (!native.tls_set_verify(conn, mode, '', false)) fail('the verify mode');
  } else {
    const host = resolved.servername ?? '';
    const isIp = host !== '' && isIP(host) !== 0;
    if (host !== '' && !isIp && !native.tls_set_sni(conn, host)) fail(`the server name ${host}`);
    if (!native.tls_set_verify(conn, resolved.rejectUnauthorized ? T.VERIFY_PEER : T.VERIFY_NONE, host, isIp)) {
      fail(`the name to verify (${host})`);
    }
    if (resolved.alpnBytes !== null && !native.tls_set_alpn(conn, resolved.alpnBytes)) fail('the ALPN protocols');
    if (options.session != null && !native.tls_set_session(conn, options.session)) {
      throw new TypeError('session is not a TLS session from getSession()');
    }
  }
  if (options.minVersion !== undefined || options.maxVersion !== undefined) {
    if (!native.tls_set_versions(conn, versionNumber(options.minVersion) || T.TLS1_2_VERSION, versionNumber(options.maxVersion))) {
      fail('the TLS versions');
    }
  }
}

// The context a wrapTls call uses: the one given, a new one from its options, or the shared client default.
function contextOf(options: WrapTlsOptions): TlsContext {
  const contextOptions = CONTEXT_OPTIONS.filter((name) => options[name] !== undefined);
  if (options.context !== undefined) {
    if (!(options.context instanceof TlsContext)) throw new TypeError('context must be a TlsContext (from createTlsContext)');
    if (contextOptions.length > 0) {
      throw new TypeError(`with a context, ${contextOptions.join(', ')} belong to it (createTlsContext), not to wrapTls`);
    }
    if (options.serverSide !== undefined && options.serverSide !== options.context.serverSide) {
      throw new TypeError(`serverSide is ${options.serverSide}, but the context is a ${options.context.serverSide ? 'server' : 'client'} one`);
    }
    return options.context;
  }
  if (options.serverSide === true || contextOptions.length > 0) return createTlsContext(options);
  return defaultClientContext();
}

export interface ConnectTlsOptions extends ConnectToOptions, WrapTlsOptions {}

/**
 * Connects to `address` and wraps the socket in TLS as a client: `connectTls('example.com:443')`. The server
 * name defaults to the address's host. `timeout` bounds connection and handshake together; the socket keeps
 * its previous timeout afterwards, as {@link connect}'s does.
 *
 * Switch point: always.
 */
export function connectTls(address: AddressInput, options: ConnectTlsOptions = {}): TlsSocket {
  if (options.serverSide === true) throw new TypeError('connectTls is for clients; a server wraps accepted sockets with wrapTls');
  const parsed = parseAddress(address, 'localhost');
  const deadline = options.timeout == null ? -1 : performance.now() + options.timeout * 1000;
  const sock = connect(address, options);
  try {
    const previous = sock.getTimeout();
    if (deadline >= 0) sock.setTimeout(Math.max(0.001, (deadline - performance.now()) / 1000));
    const servername = options.servername !== undefined ? options.servername : parsed.path === undefined ? parsed.host : undefined;
    const tls = wrapTls(sock, { ...options, servername });
    tls.setTimeout(previous);
    return tls;
  } catch (error) {
    sock.close(); // harmless once wrapTls took the fd (it closes its TlsSocket on failure)
    throw error;
  }
}

function checkNoFlags(flags: number, what: string): void {
  if (flags !== 0) throw new TypeError(`${what}: a TlsSocket takes no flags (got ${flags})`);
}

function toBytes(data: SendData): ArrayBufferView {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return data;
  throw new TypeError(`can only send a string, a Buffer, a typed array or a DataView, not ${data === null ? 'null' : typeof data}`);
}

export type { TlsVersion };
