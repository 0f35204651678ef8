/**
 * Reading whole frames off a byte stream. All of the reader's progress (bytes buffered, the header of the frame
 * under way, how much of its payload has arrived) lives in the reader, not on the stack, so a read interrupted
 * by a timeout or a kill loses nothing: the next call carries on where it stopped.
 */
import type { FrameHeader } from './frame';
import { applyMask } from './frame';

/** The calls a WebSocket makes on its connection; a GreenSocket and a TlsSocket have them. */
export interface ByteStream {
  /** Reads at most `nbytes` into `buffer`, waiting for some; 0 at end of stream. */
  recvInto(buffer: Uint8Array, nbytes?: number): number;
  /** Writes all of `data`, waiting as needed. */
  sendAll(data: Uint8Array): void;
  /** Closes it; closing twice is harmless. */
  close(): void;
}

/** A received frame, its payload unmasked. */
export interface Frame extends FrameHeader {
  readonly payload: Buffer;
}

const BUFFER_SIZE = 16 * 1024;

export class FrameReader {
  readonly #stream: ByteStream;
  #buffer: Buffer;
  #start = 0;
  #end = 0;
  #header: FrameHeader | null = null;
  #maskKey: Buffer | null = null;
  #payload: Buffer | null = null;
  #filled = 0;

  /** `leftover`: bytes already read from the stream past the handshake, which come first. */
  constructor(stream: ByteStream, leftover?: Uint8Array) {
    this.#stream = stream;
    this.#buffer = Buffer.allocUnsafe(Math.max(BUFFER_SIZE, leftover?.length ?? 0));
    if (leftover !== undefined && leftover.length > 0) {
      this.#buffer.set(leftover);
      this.#end = leftover.length;
    }
  }

  /** True when the stream ended in the middle of a frame (rather than between frames). */
  get truncated(): boolean {
    return this.#header !== null || this.#end > this.#start;
  }

  /**
   * Reads the next frame; null at end of stream. `check` sees each header before its payload is read and throws
   * to refuse it (a payload over the size limit is never read).
   *
   * Switch point: when the frame has not fully arrived.
   */
  next(check: (header: FrameHeader) => void): Frame | null {
    if (this.#header === null) {
      const header = this.#readHeader();
      if (header === null) return null;
      check(header);
      this.#header = header;
      this.#payload = Buffer.allocUnsafe(header.length);
      this.#filled = 0;
    }
    const payload = this.#payload!;
    while (this.#filled < payload.length) {
      if (this.#end > this.#start) {
        const n = Math.min(this.#end - this.#start, payload.length - this.#filled);
        this.#buffer.copy(payload, this.#filled, this.#start, this.#start + n);
        this.#start += n;
        this.#filled += n;
      } else if (payload.length - this.#filled >= BUFFER_SIZE) {
        // A large payload goes straight from the socket into place.
        const n = this.#stream.recvInto(payload.subarray(this.#filled));
        if (n === 0) return null;
        this.#filled += n;
      } else if (!this.#fill()) return null;
    }
    const header = this.#header;
    if (this.#maskKey !== null) applyMask(payload, this.#maskKey);
    this.#header = null;
    this.#payload = null;
    this.#maskKey = null;
    return { ...header, payload };
  }

  // Parses a header once all its bytes are buffered (2 to 14 of them); null at end of stream.
  #readHeader(): FrameHeader | null {
    for (;;) {
      const available = this.#end - this.#start;
      if (available >= 2) {
        const b = this.#buffer;
        const s = this.#start;
        const masked = (b[s + 1] & 0x80) !== 0;
        const length7 = b[s + 1] & 0x7f;
        const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
        const size = 2 + extended + (masked ? 4 : 0);
        if (available >= size) {
          let length = length7;
          if (extended === 2) length = b.readUInt16BE(s + 2);
          else if (extended === 8) {
            // The top bit must be 0 (§5.2): -1 says it was not. Past 2^53 is over every limit, so it reads as "huge".
            const high = b.readUInt32BE(s + 2);
            if (high >= 0x80000000) length = -1;
            else length = high >= 0x200000 ? Number.MAX_SAFE_INTEGER : high * 0x100000000 + b.readUInt32BE(s + 6);
          }
          this.#maskKey = masked ? Buffer.from(b.subarray(s + size - 4, s + size)) : null;
          this.#start += size;
          return {
            fin: (b[s] & 0x80) !== 0,
            rsv1: (b[s] & 0x40) !== 0,
            rsv23: (b[s] & 0x30) !== 0,
            opcode: b[s] & 0x0f,
            masked,
            length,
          };
        }
      }
      if (!this.#fill()) return null;
    }
  }

  // Reads more into the buffer (moving what is left to its start first); false at end of stream.
  #fill(): boolean {
    if (this.#start === this.#end) this.#start = this.#end = 0;
    else if (this.#end === this.#buffer.length) {
      this.#buffer.copy(this.#buffer, 0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    const n = this.#stream.recvInto(this.#buffer.subarray(this.#end), this.#buffer.length - this.#end);
    if (n === 0) return false;
    this.#end += n;
    return true;
  }
}
