// A strict HTTP/1.1 request parser (RFC 9110, RFC 9112) for the green HTTP server: the request head, a chunk-size
// line and a trailer section. Node-independent and allocation-free: it reads a byte range and writes offsets into
// a caller's array, so the binding (native/http/bindings.cc) hands them to lib/http/server without copying, and
// the native tests and the fuzzer drive it directly.
//
// Each call parses from the start of what the connection has buffered and either finishes (how many bytes the
// head took), needs more bytes, or fails with the HTTP status the server must answer (400, 414, 431, 501, 505,
// 417) and a reason. Limits are checked on incomplete input too, so a client cannot make the server buffer
// more than the limits by never finishing a line.
//
// What it refuses and why (request smuggling and desync are what strictness buys):
//   - bare LF or CR line endings, whitespace around the request line's single spaces, obs-fold, whitespace
//     between a field name and its colon, control characters in values, non-token methods and field names;
//   - Content-Length with Transfer-Encoding, differing Content-Lengths, a Transfer-Encoding whose last coding
//     is not chunked (400) or that has codings we cannot decode before it (501), Transfer-Encoding in HTTP/1.0;
//   - HTTP/1.1 without exactly one Host; an Expect other than 100-continue (417);
//   - a chunk-size line other than hex digits and well-formed extensions (RFC 9112 7.1.1).
#pragma once

#include <cstddef>
#include <cstdint>

namespace verdant::http {

// The defaults are what the C++ tests and fuzzers use; lib/http/limits.ts owns the server's (it always passes its
// limits), and test/http/limits.test.ts checks that the two agree.
struct Limits {
  uint32_t max_request_line = 8 * 1024;  // 414 beyond
  uint32_t max_header_line = 8 * 1024;   // 431 beyond
  uint32_t max_head = 64 * 1024;         // the whole head, request line and fields: 431 beyond
  uint32_t max_headers = 100;            // field lines: 431 beyond
};

// Why a parse failed. ReasonMessage words each for the error lib/http/server reports.
enum class Reason : int32_t {
  kNone = 0,
  kBadLineEnding,
  kBadMethod,
  kBadTarget,
  kTargetTooLong,
  kBadVersion,
  kUnsupportedVersion,
  kBadHeaderName,
  kBadHeaderValue,
  kObsoleteLineFolding,
  kHeaderLineTooLong,
  kHeadTooLarge,
  kTooManyHeaders,
  kBadContentLength,
  kContentLengthAndTransferEncoding,
  kBadTransferEncoding,
  kUnsupportedTransferEncoding,
  kTransferEncodingInHttp10,
  kMissingHost,
  kMultipleHost,
  kUnsupportedExpectation,
  kBadChunkSize,
  kChunkSizeLineTooLong,
  kCount,  // not a reason: how many there are
};

// A short sentence for each reason ("the request line has a bare LF or CR line ending", ...).
const char* ReasonMessage(Reason reason);

// Flags of a parsed head.
enum HeadFlags : int32_t {
  kChunked = 1,
  kKeepAlive = 2,         // the connection may carry another request after this one
  kUpgrade = 4,           // Connection: upgrade with an Upgrade field
  kExpectContinue = 8,    // HTTP/1.1 Expect: 100-continue
  kHasContentLength = 16,
};

// The layout of the output array (int32 slots). Offsets are relative to the start of the parsed range.
enum Slot : int {
  kSlotReason = 0,        // a Reason when the result is an error
  kSlotMethod = 1,        // offset, length
  kSlotTarget = 3,        // offset, length
  kSlotVersionMinor = 5,  // 0 or 1
  kSlotFlags = 6,
  kSlotLengthLow = 7,     // Content-Length, split in two 26-bit halves so each fits an int32
  kSlotLengthHigh = 8,
  kSlotHeaderCount = 9,
  kSlotHeaders = 10,      // per field: name offset, name length, value offset, value length
};
constexpr int kFieldSlots = 4;
constexpr int kLengthSplitBits = 26;
// Content-Length above this is refused (2^53 - 1, the largest integer a JS number holds exactly).
constexpr uint64_t kMaxContentLength = (uint64_t{1} << 53) - 1;

inline constexpr int OutputSlots(uint32_t max_headers) {
  return kSlotHeaders + kFieldSlots * static_cast<int>(max_headers);
}

// Result of a parse: > 0 bytes consumed; 0 incomplete; < 0 minus the HTTP status to answer (out[kSlotReason]
// says why).
using Result = int32_t;

// A request head: request line, field lines and the empty line. `out` has OutputSlots(limits.max_headers) slots.
Result ParseRequestHead(const uint8_t* data, size_t size, const Limits& limits, int32_t* out);

// A chunk-size line (size, optional extensions, CRLF). On success *chunk_size is the size (up to
// kMaxContentLength).
Result ParseChunkSize(const uint8_t* data, size_t size, uint64_t* chunk_size, int32_t* reason);

// A trailer section: field lines and the empty line, in the same output layout as a head (only the header slots
// and kSlotReason are written).
Result ParseTrailers(const uint8_t* data, size_t size, const Limits& limits, int32_t* out);

}  // namespace verdant::http
