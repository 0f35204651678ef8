/**
 * The request body as a blocking reader: Content-Length or chunked framing, the 100-continue interim response
 * sent on the first read, and the size limit. {@link BodyReader.read} blocks the calling green thread.
 * @internal
 */
import { BadRequestError, BodyTooLargeError, IncompleteBodyError } from './errors';
import type { Connection, ConnectionInput } from './input';
import type { HeadParser } from './parser';

const CONTINUE = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
const READ_SIZE = 64 * 1024;

type State = 'size' | 'data' | 'data-crlf' | 'trailers' | 'done';

export class BodyReader {
  /** Trailer fields of a chunked body, flat (name, value, ...), once it has been read to the end. */
  trailers: string[] = [];
  #state: State;
  #remaining: number;
  #received = 0;
  #continuePending: boolean;
  readonly #chunked: boolean;

  constructor(
    private readonly input: ConnectionInput,
    private readonly sock: Connection,
    private readonly parser: HeadParser,
    framing: { chunked: boolean; contentLength: number; expectContinue: boolean },
    private readonly maxSize: number,
  ) {
    this.#chunked = framing.chunked;
    this.#remaining = framing.chunked ? 0 : Math.max(framing.contentLength, 0);
    this.#state = framing.chunked ? 'size' : this.#remaining > 0 ? 'data' : 'done';
    this.#continuePending = framing.expectContinue && this.#state !== 'done';
    if (!framing.chunked && framing.contentLength > maxSize) throw new BodyTooLargeError(maxSize);
  }

  get done(): boolean {
    return this.#state === 'done';
  }

  /** Whether the client is still waiting for "100 Continue" (nothing read yet). */
  get continuePending(): boolean {
    return this.#continuePending;
  }

  /** Why reading the body failed, if it did: the connection answers that, not the handler's response. */
  failure: Error | null = null;

  /** The next piece of the body (a fresh Buffer), or null at its end. */
  read(): Buffer | null {
    try {
      return this.#read();
    } catch (error) {
      this.failure = error as Error;
      throw error;
    }
  }

  #read(): Buffer | null {
    if (this.#continuePending) {
      this.#continuePending = false;
      this.sock.sendAll(CONTINUE);
    }
    while (this.#state !== 'done') {
      if (this.#state === 'data') return this.#readData();
      if (this.#state === 'size') this.#readSize();
      else if (this.#state === 'data-crlf') this.#readCrlf();
      else this.#readTrailers();
    }
    return null;
  }

  /** Reads the whole rest of the body into one Buffer. */
  readAll(): Buffer {
    const parts: Buffer[] = [];
    for (let piece = this.read(); piece !== null; piece = this.read()) parts.push(piece);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  /**
   * Reads and drops the rest, so that the next request on the connection can be parsed. Returns false (the
   * connection must close instead) when more than `limit` bytes would have to be read, or when the client still
   * waits for 100 Continue (it never sent the body: RFC 9110 10.1.1 lets us close instead).
   */
  discard(limit: number): boolean {
    if (this.#state === 'done') return true;
    if (this.#continuePending) return false;
    if (!this.#chunked && this.#remaining - this.input.available > limit) return false;
    let dropped = 0;
    for (let piece = this.read(); piece !== null; piece = this.read()) {
      dropped += piece.length;
      if (dropped > limit) return false;
    }
    return true;
  }

  #need(): void {
    if (!this.input.fill()) throw new IncompleteBodyError();
  }

  #readData(): Buffer {
    let piece: Buffer;
    if (this.input.available > 0) {
      piece = Buffer.from(this.input.take(this.#remaining));
    } else {
      piece = this.sock.recv(Math.min(this.#remaining, READ_SIZE));
      if (piece.length === 0) throw new IncompleteBodyError();
    }
    this.#remaining -= piece.length;
    this.#received += piece.length;
    if (this.#received > this.maxSize) throw new BodyTooLargeError(this.maxSize);
    if (this.#remaining === 0) this.#state = this.#chunked ? 'data-crlf' : 'done';
    return piece;
  }

  #readSize(): void {
    for (;;) {
      const parsed = this.parser.chunkSize(this.input.buf, this.input.start, this.input.end);
      if (parsed !== null) {
        this.input.start += parsed[0];
        this.#remaining = parsed[1];
        this.#state = parsed[1] === 0 ? 'trailers' : 'data';
        return;
      }
      this.#need();
    }
  }

  #readCrlf(): void {
    while (this.input.available < 2) this.#need();
    const b = this.input.buf;
    if (b[this.input.start] !== 13 || b[this.input.start + 1] !== 10) {
      throw new BadRequestError(400, 'a chunk of the request body is not followed by CRLF');
    }
    this.input.start += 2;
    this.#state = 'size';
  }

  #readTrailers(): void {
    for (;;) {
      const parsed = this.parser.trailers(this.input.buf, this.input.start, this.input.end);
      if (parsed !== null) {
        this.input.start += parsed[0];
        this.trailers = parsed[1];
        this.#state = 'done';
        return;
      }
      this.#need();
    }
  }
}
