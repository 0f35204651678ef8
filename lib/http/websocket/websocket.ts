/**
 * The WebSocket: one connection after its opening handshake, in blocking style. `receive()` blocks the calling
 * green thread until a whole message has arrived; pings are answered, fragments reassembled, compressed
 * messages inflated and text validated on the way. Protocol violations fail the connection with the close code
 * RFC 6455 §7.4 gives them, and `receive()` throws a {@link WebSocketProtocolError} saying what the peer did.
 *
 * One green thread may receive while others send: frames of one message are never interleaved with another
 * message's (a write lock), and receiving is serialized (a read lock).
 */
import { isUtf8 } from 'node:buffer';
import { ClosedError, ConnectionResetError, IOError } from '../../io/errors';
import { Lock } from '../../sync/lock';
import { Timeout } from '../../time/timeout';
import { ABNORMAL, closePayload, parseClosePayload } from './close-code';
import { type DeflateAgreement, InflateFailure, MessageDeflate, type PerMessageDeflateOptions, checkDeflateOptions } from './deflate';
import { WebSocketClosedError, WebSocketError, WebSocketProtocolError } from './errors';
import { MAX_CONTROL_PAYLOAD, Opcode, encodeFrame, isControl, isKnownOpcode, type FrameHeader } from './frame';
import { type ByteStream, FrameReader } from './frame-reader';
import { Utf8Validator } from './utf8';

/** The options every WebSocket takes, on either side. */
export interface WebSocketOptions {
  /**
   * The largest message `receive` accepts, in bytes (after decompression for a compressed one); a bigger one
   * fails the connection with 1009 before its payload is read. Default 16 MiB.
   */
  maxMessageSize?: number;
  /** Split each sent message into frames of at most this many payload bytes; default 0 (one frame each). */
  fragmentSize?: number;
  /** Seconds `close()` waits for the peer's close frame before it drops the connection; default 5. */
  closeTimeout?: number;
}

/** How to wrap a connection whose opening handshake is done (what {@link acceptWebSocket} and {@link connectWebSocket} do). */
export interface WebSocketInit extends WebSocketOptions {
  /** True on the server side: it requires masked frames and sends unmasked ones (a client the reverse). */
  serverSide: boolean;
  /** The subprotocol agreed on, if any. */
  protocol?: string | null;
  /** The Sec-WebSocket-Extensions value agreed on ("" for none). */
  extensions?: string;
  /** The permessage-deflate parameters agreed on, or null for none. */
  deflate?: DeflateAgreement | null;
  /** Our own permessage-deflate settings (threshold, level). */
  deflateOptions?: PerMessageDeflateOptions;
  /** Bytes already read from the connection past the handshake. */
  leftover?: Uint8Array;
}

/** Options of {@link WebSocket.send}. */
export interface SendOptions {
  /** This message's fragment size (overrides the WebSocket's `fragmentSize`; 0: one frame). */
  fragmentSize?: number;
  /** false: send it uncompressed even under permessage-deflate. Default: compress if it reaches the threshold. */
  compress?: boolean;
}

/** A message: text arrives as a string, binary as a Buffer. */
export type Message = string | Buffer;
/** What `send` takes: a string goes as a text message, bytes as a binary one. */
export type MessageData = string | ArrayBufferView | ArrayBuffer;

export type WebSocketState = 'open' | 'closing' | 'closed';

const DEFAULT_MAX_MESSAGE = 16 * 1024 * 1024;
const MAX_BUFFER = 2 ** 31 - 1;

/** Seconds of silence after which a peer we failed is taken to have sent all it was sending. */
const DISCARD_IDLE = 0.1;

/** One WebSocket connection; made by {@link acceptWebSocket} or {@link connectWebSocket}, or over a stream whose handshake is done. */
export class WebSocket implements Iterable<Message> {
  /** True on the server side of the connection. */
  readonly serverSide: boolean;
  /** The subprotocol agreed on in the handshake, or null. */
  readonly protocol: string | null;
  /** The extensions agreed on in the handshake ("" for none). */
  readonly extensions: string;
  readonly #stream: ByteStream;
  readonly #reader: FrameReader;
  readonly #deflate: MessageDeflate | null;
  readonly #maxMessageSize: number;
  readonly #fragmentSize: number;
  readonly #closeTimeout: number;
  readonly #readLock = new Lock();
  readonly #writeLock = new Lock();
  #closeSent = false;
  #finished = false;
  #closeCode: number | null = null;
  #closeReason = '';
  // The message being reassembled: its opcode (0: none), fragments, size so far, and whether it is compressed.
  #opcode = 0;
  #fragments: Buffer[] = [];
  #size = 0;
  #compressed = false;
  #utf8: Utf8Validator | null = null;

  /** Wraps `stream`, whose opening handshake is done, as a WebSocket. The WebSocket owns the stream from then on. */
  constructor(stream: ByteStream, init: WebSocketInit) {
    const maxMessageSize = init.maxMessageSize ?? DEFAULT_MAX_MESSAGE;
    if (!Number.isInteger(maxMessageSize) || maxMessageSize < 0 || maxMessageSize > MAX_BUFFER) {
      throw new RangeError(`maxMessageSize is an integer from 0 to ${MAX_BUFFER}, not ${maxMessageSize}`);
    }
    this.#maxMessageSize = maxMessageSize;
    this.#fragmentSize = checkFragmentSize(init.fragmentSize ?? 0);
    const closeTimeout = init.closeTimeout ?? 5;
    if (typeof closeTimeout !== 'number' || !(closeTimeout >= 0) || closeTimeout === Infinity) {
      throw new RangeError(`closeTimeout is a number of seconds >= 0, not ${closeTimeout}`);
    }
    this.#closeTimeout = closeTimeout;
    if (init.deflateOptions !== undefined) checkDeflateOptions(init.deflateOptions);
    this.serverSide = init.serverSide;
    this.protocol = init.protocol ?? null;
    this.extensions = init.extensions ?? '';
    this.#stream = stream;
    this.#reader = new FrameReader(stream, init.leftover);
    this.#deflate = init.deflate ? new MessageDeflate(init.serverSide, init.deflate, init.deflateOptions ?? {}) : null;
  }

  /** The connection under it (a GreenSocket or a TlsSocket): for its addresses, or a timeout on every receive. */
  get socket(): ByteStream {
    return this.#stream;
  }

  /** 'open'; 'closing' once a close frame was sent; 'closed' once the connection is gone. */
  get state(): WebSocketState {
    return this.#finished ? 'closed' : this.#closeSent ? 'closing' : 'open';
  }

  /**
   * The status of the connection's end, null until it ended: the code of the peer's close frame (1005 if it had
   * none), the code we failed the connection with (1002, 1007, 1009), or 1006 if it ended without a close
   * handshake.
   */
  get closeCode(): number | null {
    return this.#closeCode;
  }

  /** The reason of the peer's close frame (or of our failure), "" if none. */
  get closeReason(): string {
    return this.#closeReason;
  }

  /** True when permessage-deflate was agreed on. */
  get compressed(): boolean {
    return this.#deflate !== null;
  }

  /**
   * Waits for the next message: a string for a text message, a Buffer for a binary one. Returns null once the
   * connection has closed (after the peer's close frame, or if the connection ended without one:
   * {@link WebSocket.closeCode} tells which). Pings that arrive meanwhile are answered with pongs.
   *
   * Switch point: until a whole message has arrived. Cancel safety: a timeout or kill loses nothing; the next
   * call goes on with the frame or message under way. Errors: {@link WebSocketProtocolError} when the peer broke
   * the protocol (the connection is then closed); the socket's own errors (SocketTimeoutError when it has a
   * timeout).
   */
  receive(): Message | null {
    if (this.#finished) return null;
    this.#readLock.acquire();
    try {
      return this.#nextMessage();
    } finally {
      this.#readLock.release();
    }
  }

  /** Iterates over the messages until the connection closes: `for (const message of ws) ...`. */
  *[Symbol.iterator](): Iterator<Message> {
    for (;;) {
      const message = this.receive();
      if (message === null) return;
      yield message;
    }
  }

  /**
   * Sends a message: a string as text, bytes (a Buffer, a typed array, an ArrayBuffer) as binary. Compressed when
   * permessage-deflate was agreed on and it is at least the threshold long; split into frames when a fragment
   * size applies.
   *
   * Switch point: when the socket's send buffer is full. Cancel safety: none; a send interrupted in the middle
   * of a frame leaves the stream unusable, so the connection is dropped. Errors: {@link WebSocketClosedError}
   * once closing or closed; the socket's errors (BrokenPipeError, ...).
   */
  send(data: MessageData, options: SendOptions = {}): void {
    const text = typeof data === 'string';
    const bytes = toBytes(data);
    const fragmentSize = options.fragmentSize === undefined ? this.#fragmentSize : checkFragmentSize(options.fragmentSize);
    this.#checkOpen('send');
    this.#writeLock.acquire();
    try {
      this.#checkOpen('send');
      // Compressed under the lock: the compressor's history must follow the order messages go out in.
      const compress = this.#deflate !== null && options.compress !== false && bytes.length >= this.#deflate.threshold;
      const payload = compress ? this.#deflate!.compress(bytes) : bytes;
      const step = fragmentSize > 0 ? fragmentSize : Math.max(payload.length, 1);
      let offset = 0;
      do {
        const end = Math.min(payload.length, offset + step);
        const opcode = offset === 0 ? (text ? Opcode.Text : Opcode.Binary) : Opcode.Continuation;
        this.#write(opcode, end === payload.length, compress && offset === 0, payload.subarray(offset, end));
        offset = end;
      } while (offset < payload.length);
    } finally {
      this.#writeLock.release();
    }
  }

  /** Sends a ping (at most 125 bytes of payload); the peer answers with a pong, which `receive` absorbs. */
  ping(data: MessageData = ''): void {
    this.#sendControl(Opcode.Ping, data, 'ping');
  }

  /** Sends an unsolicited pong (a heartbeat that expects no answer). */
  pong(data: MessageData = ''): void {
    this.#sendControl(Opcode.Pong, data, 'pong');
  }

  /**
   * Starts the closing handshake with `code` (1000, 1001-1003, 1007-1014 or 3000-4999) and `reason` (at most
   * 123 bytes of UTF-8), then waits for the peer's close frame and closes the connection. `closeTimeout` seconds
   * bound it all (a turn to send behind another green thread's message included); past them the connection is
   * dropped (closeCode 1006). Messages that arrive meanwhile are dropped. If another green thread is receiving, it gets the
   * peer's close frame and its `receive` returns null. Closing a closed WebSocket does nothing.
   *
   * Switch point: always, unless already closed.
   */
  close(code = 1000, reason = ''): void {
    const payload = closePayload(code, reason);
    if (this.#finished) return;
    // One deadline for the whole of it: waiting for our turn to send (another green thread may be stuck sending
    // to a peer that does not read) and waiting for the peer's answer.
    const timer = new Timeout(this.#closeTimeout);
    try {
      this.#sendCloseOnce(payload);
      while (!this.#finished) {
        this.#readLock.acquire();
        try {
          if (!this.#finished) this.#nextMessage();
        } finally {
          this.#readLock.release();
        }
      }
    } catch (error) {
      if (error !== timer && !(error instanceof WebSocketError) && !(error instanceof IOError)) throw error;
    } finally {
      timer.cancel();
      this.#finish(ABNORMAL, '');
    }
  }

  toString(): string {
    return `WebSocket(${this.serverSide ? 'server' : 'client'}, ${this.state}${this.#closeCode === null ? '' : ` ${this.#closeCode}`})`;
  }

  // Reads frames until a message is whole, answering control frames on the way; null once closed.
  #nextMessage(): Message | null {
    for (;;) {
      if (this.#finished) return null;
      let frame;
      try {
        frame = this.#reader.next((header) => this.#checkHeader(header));
      } catch (error) {
        if (error instanceof WebSocketProtocolError) throw error;
        // Our own close (after close's timeout) wakes a receiver with ClosedError; a peer gone abruptly is the
        // same as one gone without a close frame.
        if ((error instanceof ClosedError && this.#finished) || error instanceof ConnectionResetError) {
          this.#finish(ABNORMAL, '');
          return null;
        }
        throw error;
      }
      if (frame === null) {
        this.#finish(ABNORMAL, '');
        return null;
      }
      const { opcode, payload } = frame;
      if (opcode === Opcode.Ping) {
        this.#answerPing(payload);
        continue;
      }
      if (opcode === Opcode.Pong) continue;
      if (opcode === Opcode.Close) {
        this.#peerClosed(payload);
        return null;
      }
      if (opcode !== Opcode.Continuation) {
        this.#opcode = opcode;
        this.#compressed = frame.rsv1;
        this.#fragments = [];
        this.#size = 0;
        this.#utf8 = opcode === Opcode.Text && !frame.rsv1 && !frame.fin ? new Utf8Validator() : null;
      }
      this.#fragments.push(payload);
      this.#size += payload.length;
      if (this.#utf8 !== null && !this.#utf8.feed(payload)) this.#fail(1007, 'a text message that is not UTF-8');
      if (frame.fin) return this.#completeMessage();
    }
  }

  // Refuses a frame from its header alone, before its payload is read (throws).
  #checkHeader(h: FrameHeader): void {
    if (h.rsv23) this.#fail(1002, 'a frame with RSV2 or RSV3 set (no extension defines them)');
    if (!isKnownOpcode(h.opcode)) this.#fail(1002, `a frame with the reserved opcode 0x${h.opcode.toString(16)}`);
    if (h.masked !== this.serverSide) {
      this.#fail(1002, this.serverSide ? 'an unmasked frame from the client' : 'a masked frame from the server');
    }
    if (h.length < 0) this.#fail(1002, 'a 64-bit payload length with its most significant bit set');
    if (isControl(h.opcode)) {
      if (!h.fin) this.#fail(1002, 'a fragmented control frame');
      if (h.length > MAX_CONTROL_PAYLOAD) this.#fail(1002, `a control frame with ${h.length} bytes of payload (at most 125)`);
      if (h.rsv1) this.#fail(1002, 'a control frame with RSV1 set');
      return;
    }
    if (h.opcode === Opcode.Continuation) {
      if (this.#opcode === 0) this.#fail(1002, 'a continuation frame with no message to continue');
      if (h.rsv1) this.#fail(1002, 'a continuation frame with RSV1 set');
    } else {
      if (this.#opcode !== 0) this.#fail(1002, 'a new data frame in the middle of a fragmented message');
      if (h.rsv1 && this.#deflate === null) this.#fail(1002, 'a frame with RSV1 set without permessage-deflate');
    }
    const compressed = h.opcode === Opcode.Continuation ? this.#compressed : h.rsv1;
    const sizeSoFar = h.opcode === Opcode.Continuation ? this.#size : 0;
    // A compressed message is bounded after inflation (zip bombs); its compressed bytes only need a bound that
    // incompressible data at the limit stays under (deflate's stored blocks add 5 bytes per 64 KiB).
    const limit = compressed ? this.#maxMessageSize + (this.#maxMessageSize >>> 10) + 64 : this.#maxMessageSize;
    if (sizeSoFar + h.length > limit) {
      this.#fail(1009, `a message of more than ${this.#maxMessageSize} bytes${compressed ? ' (compressed)' : ''}`);
    }
  }

  #completeMessage(): Message {
    const opcode = this.#opcode;
    let data = this.#fragments.length === 1 ? this.#fragments[0] : Buffer.concat(this.#fragments, this.#size);
    const validated = this.#utf8;
    this.#opcode = 0;
    this.#fragments = [];
    this.#size = 0;
    this.#utf8 = null;
    if (this.#compressed) {
      const inflated = this.#deflate!.decompress(data, this.#maxMessageSize);
      if (inflated instanceof InflateFailure) this.#fail(inflated.tooBig ? 1009 : 1007, inflated.problem);
      data = inflated as Buffer;
    }
    if (opcode === Opcode.Binary) return data;
    if (validated !== null ? !validated.complete : !isUtf8(data)) this.#fail(1007, 'a text message that is not UTF-8');
    return data.toString('utf8');
  }

  #answerPing(payload: Buffer): void {
    if (this.#closeSent) return;
    this.#writeLock.acquire();
    try {
      if (!this.#closeSent && !this.#finished) this.#write(Opcode.Pong, true, false, payload);
    } finally {
      this.#writeLock.release();
    }
  }

  // The peer's close frame: check it, answer it unless we started the closing, and end the connection.
  #peerClosed(payload: Buffer): void {
    const parsed = parseClosePayload(payload);
    if ('failCode' in parsed) this.#fail(parsed.failCode, parsed.problem);
    const { code, reason } = parsed as { code: number; reason: string };
    this.#record(code, reason);
    try {
      // Echo the code (§5.5.1) and the reason with it; a close without a code is answered without one.
      this.#sendCloseOnce(payload);
    } catch (error) {
      if (!(error instanceof IOError)) throw error;
    }
    this.#finish(code, reason);
  }

  /** Sends our close frame unless one was sent already, waiting for our turn behind other senders. */
  #sendCloseOnce(payload: Buffer): void {
    if (this.#closeSent) return;
    this.#writeLock.acquire();
    try {
      if (!this.#closeSent && !this.#finished) {
        this.#closeSent = true;
        this.#write(Opcode.Close, true, false, payload);
      }
    } finally {
      this.#writeLock.release();
    }
  }

  /**
   * Fails the connection (§7.1.7): a close frame with `code` if we can still send one without waiting behind
   * another green thread's message, then the socket closes. Throws the WebSocketProtocolError.
   */
  #fail(code: number, problem: string): never {
    const error = new WebSocketProtocolError(code, `the ${this.serverSide ? 'client' : 'server'} sent ${problem}`);
    this.#record(code, '');
    if (!this.#closeSent && !this.#finished && this.#writeLock.acquire({ blocking: false })) {
      this.#closeSent = true;
      const timer = new Timeout(this.#closeTimeout);
      try {
        this.#write(Opcode.Close, true, false, closePayload(code, ''));
        this.#discardUntilPeerCloses();
      } catch (sendError) {
        if (sendError !== timer && !(sendError instanceof IOError) && !(sendError instanceof ClosedError)) throw sendError;
      } finally {
        timer.cancel();
        this.#writeLock.release();
      }
    }
    this.#finish(code, '');
    throw error;
  }

  /**
   * After failing the connection, reads and drops what the peer still sends (the rest of an over-size message)
   * until it closes or pauses for {@link DISCARD_IDLE} seconds, within the caller's deadline. Closing with its
   * bytes unread would make the kernel answer with a reset, which can destroy our close frame before the peer
   * reads it: the peer would see 1006, not our code.
   */
  #discardUntilPeerCloses(): void {
    const scratch = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const idle = new Timeout(DISCARD_IDLE);
      try {
        if (this.#stream.recvInto(scratch) === 0) return;
      } catch (error) {
        if (error === idle) return;
        throw error;
      } finally {
        idle.cancel();
      }
    }
  }

  #sendControl(opcode: Opcode, data: MessageData, what: string): void {
    const payload = toBytes(data);
    if (payload.length > MAX_CONTROL_PAYLOAD) throw new RangeError(`a ${what} carries at most ${MAX_CONTROL_PAYLOAD} bytes, not ${payload.length}`);
    this.#checkOpen(what);
    this.#writeLock.acquire();
    try {
      this.#checkOpen(what);
      this.#write(opcode, true, false, payload);
    } finally {
      this.#writeLock.release();
    }
  }

  // One frame on the wire (the write lock held). Anything that stops it half-way leaves the peer mid-frame, so
  // the connection is dropped.
  #write(opcode: number, fin: boolean, rsv1: boolean, payload: Uint8Array): void {
    try {
      for (const chunk of encodeFrame(opcode, fin, rsv1, payload, !this.serverSide)) this.#stream.sendAll(chunk);
    } catch (error) {
      const wasFinished = this.#finished;
      this.#finish(ABNORMAL, '');
      if (error instanceof ClosedError && wasFinished) throw new WebSocketClosedError('send', this.#closeCode, this.#closeReason);
      throw error;
    }
  }

  #checkOpen(what: string): void {
    if (this.#closeSent || this.#finished) throw new WebSocketClosedError(what, this.#closeCode, this.#closeReason);
  }

  // How the connection ended: the first account wins.
  #record(code: number, reason: string): void {
    if (this.#closeCode !== null) return;
    this.#closeCode = code;
    this.#closeReason = reason;
  }

  // The connection is over: record how, if nothing has yet, and close the socket.
  #finish(code: number, reason: string): void {
    this.#record(code, reason);
    if (this.#finished) return;
    this.#finished = true;
    this.#stream.close();
  }
}

function toBytes(data: MessageData): Buffer {
  if (typeof data === 'string') return Buffer.from(data, 'utf8');
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  throw new TypeError(`a WebSocket sends a string, a Buffer, a typed array or an ArrayBuffer, not ${data === null ? 'null' : typeof data}`);
}

function checkFragmentSize(size: number): number {
  if (!Number.isInteger(size) || size < 0) throw new RangeError(`fragmentSize is an integer >= 0, not ${size}`);
  return size;
}
