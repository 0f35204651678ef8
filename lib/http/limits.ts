/**
 * How large an HTTP/1.1 head may be, for the server's requests and the client's responses alike: the one place
 * these defaults are set. (native/http/parser.h repeats them as the defaults of its C++ tests and fuzzers;
 * test/http/limits.test.ts checks that the two agree.)
 */

/** Limits on what a peer may send before its head is refused (RFC 9112 leaves them to implementations). */
export interface HeadLimits {
  /** The request line, in bytes (414 beyond). Default 8 KiB. */
  maxRequestLine: number;
  /** One header line, in bytes (431 beyond). Default 8 KiB. */
  maxHeaderLine: number;
  /** The whole head (431 beyond). Default 64 KiB. */
  maxHead: number;
  /** Header fields (431 beyond). Default 100. */
  maxHeaders: number;
}

export const DEFAULT_HEAD_LIMITS: Readonly<HeadLimits> = Object.freeze({
  maxRequestLine: 8 * 1024,
  maxHeaderLine: 8 * 1024,
  maxHead: 64 * 1024,
  maxHeaders: 100,
});
