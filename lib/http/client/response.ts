/**
 * Response: what `request` returns once the status line and headers have arrived. The body stays on the
 * connection until asked for, read whole (`text()`, `json()`, `buffer()`, `arrayBuffer()`) or piece by piece
 * (`for (const piece of response)`). Once the body has been read to its end the connection goes back to its
 * pool, if the server lets it be reused; a response dropped half read closes it.
 */
import type { BodyReader } from './response-body';
import { HttpError, HttpStatusError, ResponseTooLargeError } from './errors';
import type { Lease } from './pool';
import type { ResponseHead } from './response-head';

// Bytes `discard()` reads to save a connection by default; beyond, closing it and opening another is cheaper.
const DISCARD_LIMIT = 64 * 1024;

// A response garbage-collected with its body unread still holds a connection (and, in a bounded pool, a slot):
// close it then, so a forgotten response cannot leak a socket.
const abandoned = new FinalizationRegistry<Lease>((lease) => lease.release(false));

/** @internal What the client gives a Response. */
export interface ResponseInit {
  readonly head: ResponseHead;
  readonly url: string;
  readonly redirected: boolean;
  readonly body: BodyReader;
  readonly reusable: boolean;
  /** True when the framing says there is no body at all. */
  readonly empty: boolean;
  /** The body's declared length (Content-Length), or -1. */
  readonly length: number;
  /** The most bytes a whole-body read may gather (Infinity: no limit). */
  readonly maxBodySize: number;
  readonly lease: Lease;
}

export class Response implements Iterable<Buffer> {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** The URL of this response: the last one requested, after redirects (without credentials or fragment). */
  readonly url: string;
  /** True if redirects were followed to get here. */
  readonly redirected: boolean;
  /** "1.1" or "1.0". */
  readonly httpVersion: string;
  #body: BodyReader;
  #reusable: boolean;
  #lease: Lease | null;
  #used = false;
  readonly #length: number;
  readonly #maxBodySize: number;

  /** @internal Made by `request`. */
  constructor(init: ResponseInit) {
    this.status = init.head.status;
    this.statusText = init.head.statusText;
    this.headers = init.head.headers;
    this.url = init.url;
    this.redirected = init.redirected;
    this.httpVersion = `1.${init.head.minorVersion}`;
    this.#body = init.body;
    this.#reusable = init.reusable;
    this.#lease = init.lease;
    this.#length = init.length;
    this.#maxBodySize = init.maxBodySize;
    abandoned.register(this, init.lease, this);
    // No body (HEAD, 204, 304, Content-Length: 0): the connection is free at once.
    if (init.empty) this.#finish(init.reusable);
  }

  /** True for a 2xx status. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** True once reading the body has begun (it can be read once). */
  get bodyUsed(): boolean {
    return this.#used;
  }

  /**
   * The body's pieces as they arrive, each a Buffer. Stopping early (`break`) closes the connection.
   *
   * Switch point: when the next piece has not arrived.
   */
  *[Symbol.iterator](): Iterator<Buffer> {
    this.#use('iterate over');
    try {
      for (;;) {
        const piece = this.#next();
        if (piece === null) return;
        yield piece;
      }
    } finally {
      this.close();
    }
  }

  /**
   * The whole body. A body larger than the request's `maxBodySize` (64 MiB by default) is a
   * {@link ResponseTooLargeError}, thrown before reading when the Content-Length says so, else as soon as the
   * limit is passed: iterate over the response to read a larger one piece by piece.
   *
   * Switch point: until it has all arrived.
   */
  buffer(): Buffer {
    this.#use('read');
    const limit = this.#maxBodySize;
    if (this.#length > limit) this.#tooLarge(this.#length);
    const pieces: Buffer[] = [];
    let total = 0;
    for (let piece = this.#next(); piece !== null; piece = this.#next()) {
      total += piece.length;
      if (total > limit) this.#tooLarge(null);
      pieces.push(piece);
    }
    return pieces.length === 1 ? pieces[0] : Buffer.concat(pieces, total);
  }

  /** The whole body in an ArrayBuffer of its own. */
  arrayBuffer(): ArrayBuffer {
    const bytes = this.buffer();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  /** The whole body decoded as UTF-8 (as `fetch` does, whatever the charset says); limited as {@link buffer}. */
  text(): string {
    return new TextDecoder().decode(this.buffer());
  }

  /** The whole body parsed as JSON. Throws a SyntaxError (naming the URL) when it is not JSON. */
  json<T = unknown>(): T {
    const text = this.text();
    try {
      return JSON.parse(text) as T;
    } catch (error) {
      throw new SyntaxError(`${this.url}: the body is not JSON: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Throws an {@link HttpStatusError} for a 4xx or 5xx status, else returns the response. Reads nothing. */
  raiseForStatus(): this {
    if (this.status >= 400) {
      this.close();
      throw new HttpStatusError(this.url, this.status, this.statusText);
    }
    return this;
  }

  /**
   * Reads the rest of the body and drops it, so the connection can serve another request; with more than
   * `maxBytes` (default 64 KiB) left, closes the connection instead. For a response whose body is of no interest.
   *
   * Switch point: while it reads.
   */
  discard(maxBytes = DISCARD_LIMIT): void {
    if (this.#lease === null) return;
    this.#used = true;
    let read = 0;
    try {
      while (read <= maxBytes) {
        const piece = this.#next();
        if (piece === null) return;
        read += piece.length;
      }
    } catch {
      // The connection is closed by #next on an error; a discarded body's errors do not matter.
      return;
    }
    this.close();
  }

  /** Lets go of the connection: back to the pool if the body was read whole, else closed. Idempotent. */
  close(): void {
    this.#finish(false);
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #tooLarge(declared: number | null): never {
    this.close();
    throw new ResponseTooLargeError(this.url, this.#maxBodySize, declared);
  }

  #use(what: string): void {
    if (this.#used) throw new HttpError(this.url, `${this.url}: cannot ${what} the body: it has already been read`);
    this.#used = true;
  }

  // The next piece; at the end, the connection goes back to the pool. Any error closes it.
  #next(): Buffer | null {
    if (this.#lease === null) return null;
    let piece: Buffer | null;
    try {
      piece = this.#body.next();
    } catch (error) {
      this.#finish(false);
      throw error;
    }
    if (piece === null) this.#finish(this.#reusable);
    return piece;
  }

  #finish(reusable: boolean): void {
    const lease = this.#lease;
    if (lease === null) return;
    this.#lease = null;
    abandoned.unregister(this);
    lease.release(reusable);
  }
}
