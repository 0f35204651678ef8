/**
 * A response body as the pieces it yields, for a sender that must put each piece on the wire before it waits for
 * the next (a stream that yields `first`, waits two seconds, then `second` must not hold `first` back) and that
 * still sends pieces ready together in one write, and a one-piece body with a Content-Length.
 * @internal
 */
import { wait } from '../../runtime/promise';
import { yieldNow } from '../../runtime/hub';
import { InvalidResponseError } from './errors';

/** A body a handler may return besides what a WHATWG Response holds. */
export type BodyInit = string | Uint8Array | ReadableStream<Uint8Array> | Iterable<string | Uint8Array> | null;

/** What {@link BodySource.ready} says when the next piece is not there yet. */
export const PENDING = Symbol('pending');

export interface BodySource {
  /** The next piece, null at the end. May block the green thread. */
  next(): Uint8Array | null;
  /**
   * The next piece if it can be had without waiting (null at the end), else PENDING; the sender then writes what
   * it holds and calls next(). May let the event loop run once, never longer.
   */
  ready(): Uint8Array | null | typeof PENDING;
  /** Stops a body that will not be read to its end (a write failed, the response has no body). */
  cancel(): void;
}

export function bytes(chunk: unknown): Uint8Array {
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  throw new InvalidResponseError(`a response body chunk must be a string or bytes, not ${typeof chunk}`);
}

/** Pieces all there already (a string, bytes, an array): never pending. */
function listSource(pieces: readonly unknown[]): BodySource {
  let i = 0;
  const next = () => (i < pieces.length ? bytes(pieces[i++]) : null);
  return { next, ready: next, cancel: () => {} };
}

/**
 * A ReadableStream: a read is a Promise. ready() starts the next read and lets the event loop turn once, which
 * runs the microtasks a stream settles queued chunks and its end with; a read still unsettled then is kept for
 * next().
 */
type ReadResult = { done: true; value?: undefined } | { done: false; value: Uint8Array };

function streamSource(stream: ReadableStream<Uint8Array>): BodySource {
  const reader = stream.getReader();
  let inFlight: Promise<ReadResult> | null = null;
  let settled: ReadResult | null = null;
  let failure: { error: unknown } | null = null;
  const take = (result: ReadResult): Uint8Array | null => {
    inFlight = null;
    settled = null;
    return result.done ? null : bytes(result.value);
  };
  const start = (): void => {
    if (inFlight !== null) return;
    const read = reader.read() as Promise<ReadResult>;
    inFlight = read;
    read.then((result) => {
      if (inFlight === read) settled = result;
    }, (error: unknown) => {
      if (inFlight === read) failure = { error };
    });
  };
  return {
    next() {
      if (settled !== null) return take(settled);
      start();
      return take(wait(inFlight!));
    },
    ready() {
      start();
      if (settled === null && failure === null) yieldNow();
      if (failure !== null) throw (failure as { error: unknown }).error;
      return settled === null ? PENDING : take(settled);
    },
    cancel() {
      reader.cancel().catch(() => {});
    },
  };
}

/** Any other iterable (a generator that may block between pieces): nothing can be known ahead of next(). */
function iterableSource(iterable: Iterable<unknown>): BodySource {
  const it = iterable[Symbol.iterator]();
  let ended = false;
  return {
    next() {
      const result = it.next();
      if (result.done) ended = true;
      return result.done ? null : bytes(result.value);
    },
    ready: () => PENDING,
    cancel() {
      if (!ended) it.return?.();
    },
  };
}

export function sourceOf(body: BodyInit | undefined): BodySource {
  if (body === null || body === undefined) return listSource([]);
  if (typeof body === 'string' || body instanceof Uint8Array) return listSource([body]);
  if (Array.isArray(body)) return listSource(body);
  if (body instanceof ReadableStream) return streamSource(body);
  if (typeof (body as Iterable<unknown>)[Symbol.iterator] === 'function') return iterableSource(body as Iterable<unknown>);
  throw new InvalidResponseError('a response body must be a string, bytes, a ReadableStream or an iterable of chunks');
}

/** Stops a body that will not be read at all (a HEAD response, one refused before sending). */
export function cancelBody(body: unknown): void {
  if (body instanceof ReadableStream && !body.locked) body.cancel().catch(() => {});
}
