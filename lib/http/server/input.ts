/**
 * A connection's receive buffer: the bytes read from the socket and not yet consumed. Heads are parsed in place
 * (pipelined requests wait here), bodies are taken from it first and then read straight from the socket.
 * @internal
 */
import type { GreenSocket } from '../../net/socket';
import type { TlsSocket } from '../../net/tls/socket';

/** What a server connection runs over: a plain or a TLS socket. */
export type Connection = GreenSocket | TlsSocket;

const INITIAL_SIZE = 16 * 1024;

export class ConnectionInput {
  buf: Buffer;
  start = 0;
  end = 0;
  readonly #sock: Connection;
  readonly #maxSize: number;

  /** `maxSize` bounds the buffer: the head parser refuses heads that would need more. */
  constructor(sock: Connection, maxSize: number) {
    this.#sock = sock;
    this.#maxSize = Math.max(maxSize, INITIAL_SIZE);
    this.buf = Buffer.allocUnsafe(INITIAL_SIZE);
  }

  get available(): number {
    return this.end - this.start;
  }

  /** Reads what the socket has (blocking the green thread); false at end of stream. */
  fill(): boolean {
    if (this.start === this.end) {
      this.start = this.end = 0;
    } else if (this.end === this.buf.length) {
      if (this.start > 0) {
        this.buf.copy(this.buf, 0, this.start, this.end);
        this.end -= this.start;
        this.start = 0;
      } else {
        // The head parser failed anything longer than its limits, so this stays bounded.
        const bigger = Buffer.allocUnsafe(Math.min(this.buf.length * 2, this.#maxSize + INITIAL_SIZE));
        this.buf.copy(bigger, 0, 0, this.end);
        this.buf = bigger;
      }
    }
    const n = this.#sock.recvInto(this.buf.subarray(this.end));
    this.end += n;
    return n > 0;
  }

  /** Up to `max` buffered bytes, consumed (a view: copy before the next fill). */
  take(max: number): Buffer {
    const n = Math.min(max, this.available);
    const out = this.buf.subarray(this.start, this.start + n);
    this.start += n;
    return out;
  }

  /** Whatever is buffered, copied out (for a connection taken over by the handler). */
  drainCopy(): Buffer {
    const out = Buffer.from(this.buf.subarray(this.start, this.end));
    this.start = this.end = 0;
    return out;
  }
}
