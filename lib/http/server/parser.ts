/**
 * The native request parser (native/http/parser.h), seen from TypeScript: one {@link HeadParser} per connection
 * keeps the Int32Array the parser writes offsets into, and turns them into strings only once a head is whole.
 * @internal
 */
import { native } from '../native';
import type { HeadLimits } from '../limits';
import { BadRequestError } from './errors';

const C = native.http_constants;


/** A parsed request head. `headers` is flat: name, value, name, value..., names as the client spelt them. */
export interface RequestHead {
  method: string;
  target: string;
  versionMinor: number;
  headers: string[];
  keepAlive: boolean;
  chunked: boolean;
  /** -1 when there is no Content-Length. */
  contentLength: number;
  upgrade: boolean;
  expectContinue: boolean;
  /** Bytes the head took, leading empty lines included. */
  size: number;
}

const LOW_LIMIT = 2 ** C.LENGTH_SPLIT_BITS;

function fail(result: number, out: Int32Array): never {
  throw new BadRequestError(-result, native.http_reasons[out[C.SLOT_REASON]] ?? 'malformed request');
}

function readFields(buf: Buffer, base: number, out: Int32Array): string[] {
  const count = out[C.SLOT_HEADER_COUNT];
  const fields = new Array<string>(count * 2);
  for (let i = 0, slot = C.SLOT_HEADERS; i < count; i++, slot += C.FIELD_SLOTS) {
    fields[2 * i] = buf.toString('latin1', base + out[slot], base + out[slot] + out[slot + 1]);
    fields[2 * i + 1] = buf.toString('latin1', base + out[slot + 2], base + out[slot + 2] + out[slot + 3]);
  }
  return fields;
}

/** Parses heads, chunk-size lines and trailers out of a connection's buffer. */
export class HeadParser {
  readonly #limits: HeadLimits;
  readonly #out: Int32Array;

  constructor(limits: HeadLimits) {
    this.#limits = limits;
    this.#out = new Int32Array(C.SLOT_HEADERS + C.FIELD_SLOTS * limits.maxHeaders);
  }

  /** The head at buf[start, end), or null while incomplete; throws {@link BadRequestError}. */
  head(buf: Buffer, start: number, end: number): RequestHead | null {
    const out = this.#out;
    const l = this.#limits;
    const result = native.http_parse_request(buf, start, end - start, out, l.maxRequestLine, l.maxHeaderLine, l.maxHead, l.maxHeaders);
    if (result === 0) return null;
    if (result < 0) fail(result, out);
    const flags = out[C.SLOT_FLAGS];
    return {
      method: buf.toString('latin1', start + out[C.SLOT_METHOD], start + out[C.SLOT_METHOD] + out[C.SLOT_METHOD + 1]),
      target: buf.toString('latin1', start + out[C.SLOT_TARGET], start + out[C.SLOT_TARGET] + out[C.SLOT_TARGET + 1]),
      versionMinor: out[C.SLOT_VERSION_MINOR],
      headers: readFields(buf, start, out),
      keepAlive: (flags & C.KEEP_ALIVE) !== 0,
      chunked: (flags & C.CHUNKED) !== 0,
      contentLength: flags & C.HAS_CONTENT_LENGTH ? out[C.SLOT_LENGTH_LOW] + out[C.SLOT_LENGTH_HIGH] * LOW_LIMIT : -1,
      upgrade: (flags & C.UPGRADE) !== 0,
      expectContinue: (flags & C.EXPECT_CONTINUE) !== 0,
      size: result,
    };
  }

  /** A chunk-size line at buf[start, end): [bytes it took, chunk size], or null while incomplete. */
  chunkSize(buf: Buffer, start: number, end: number): [number, number] | null {
    const out = this.#out;
    const result = native.http_parse_chunk_size(buf, start, end - start, out);
    if (result === 0) return null;
    if (result < 0) fail(result, out);
    return [result, out[1] + out[2] * LOW_LIMIT];
  }

  /** A trailer section: [bytes it took, flat fields], or null while incomplete. */
  trailers(buf: Buffer, start: number, end: number): [number, string[]] | null {
    const out = this.#out;
    const l = this.#limits;
    const result = native.http_parse_trailers(buf, start, end - start, out, l.maxHeaderLine, l.maxHead, l.maxHeaders);
    if (result === 0) return null;
    if (result < 0) fail(result, out);
    return [result, readFields(buf, start, out)];
  }
}
