/**
 * The HTTP parser's part of the native addon (native/http/bindings.cc, native/http/parser.h).
 * @internal
 */
import { addon } from '../runtime/addon';

/** The HTTP parser's constants (native/http/bindings.cc). */
export type HttpConstant =
  | 'SLOT_REASON' | 'SLOT_METHOD' | 'SLOT_TARGET' | 'SLOT_VERSION_MINOR' | 'SLOT_FLAGS' | 'SLOT_LENGTH_LOW'
  | 'SLOT_LENGTH_HIGH' | 'SLOT_HEADER_COUNT' | 'SLOT_HEADERS' | 'FIELD_SLOTS' | 'LENGTH_SPLIT_BITS'
  | 'CHUNKED' | 'KEEP_ALIVE' | 'UPGRADE' | 'EXPECT_CONTINUE' | 'HAS_CONTENT_LENGTH';

export interface HttpBinding {
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
}

export const native = addon as HttpBinding;
