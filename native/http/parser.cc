#include "http/parser.h"

#include <cstring>

namespace verdant::http {
namespace {

// tchar (RFC 9110 5.6.2): what methods and field names are made of.
constexpr bool IsTokenChar(uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.':
    case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// A field value may hold visible characters, obs-text, spaces and tabs, nothing else.
constexpr bool IsValueChar(uint8_t c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

// Request-target: visible ASCII only (RFC 3986 characters and the few that clients send unescaped).
constexpr bool IsTargetChar(uint8_t c) { return c > 0x20 && c < 0x7f; }

constexpr uint8_t Lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? static_cast<uint8_t>(c + 32) : c; }

bool EqualsLower(const uint8_t* p, size_t n, const char* lower) {
  size_t m = std::strlen(lower);
  if (n != m) return false;
  for (size_t i = 0; i < n; i++) {
    if (Lower(p[i]) != static_cast<uint8_t>(lower[i])) return false;
  }
  return true;
}

struct Span {
  uint32_t offset = 0;
  uint32_t length = 0;
};

enum class LineScan { kLine, kIncomplete, kBadEnding };

// Where the line that starts at `from` ends: *cr is the index of its CR, which the LF follows.
LineScan FindLineEnd(const uint8_t* data, size_t size, size_t from, size_t* cr) {
  const void* hit = std::memchr(data + from, '\n', size - from);
  // A CR anywhere but right before the LF is a bad ending too; the callers' character checks reject a CR inside
  // a line, so only the LF needs finding here.
  if (hit == nullptr) return LineScan::kIncomplete;
  size_t lf = static_cast<size_t>(static_cast<const uint8_t*>(hit) - data);
  if (lf == from || data[lf - 1] != '\r') return LineScan::kBadEnding;
  *cr = lf - 1;
  return LineScan::kLine;
}

// How long the unfinished line data[from, size) is so far, for the limits: a final CR is not counted, because it
// may be the start of the line's CRLF, which a complete line's length does not include either. (Counting it
// refused a line of exactly the limit when the CR and the LF arrived apart.)
size_t PendingLineLength(const uint8_t* data, size_t size, size_t from) {
  size_t n = size - from;
  return n > 0 && data[size - 1] == '\r' ? n - 1 : n;
}

Result Fail(int32_t* reason_slot, Reason reason, int status) {
  *reason_slot = static_cast<int32_t>(reason);
  return -status;
}

// What the fields say about framing and the connection, gathered while they are parsed.
struct Semantics {
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool has_transfer_encoding = false;
  bool chunked_last = false;    // the last coding seen is chunked
  bool chunked_seen = false;
  bool other_coding = false;    // a coding other than chunked
  bool chunked_twice = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
  bool connection_upgrade = false;
  bool has_upgrade = false;
  int hosts = 0;
  bool expect_continue = false;
  bool expect_other = false;
};

// Calls fn(start, length) for each comma-separated element of a list value, trimmed of spaces and tabs, empty
// elements included (callers decide whether those are an error).
template <typename Fn>
void ForEachListElement(const uint8_t* value, size_t n, Fn fn) {
  size_t start = 0;
  for (size_t i = 0; i <= n; i++) {
    if (i == n || value[i] == ',') {
      size_t a = start, b = i;
      while (a < b && (value[a] == ' ' || value[a] == '\t')) a++;
      while (b > a && (value[b - 1] == ' ' || value[b - 1] == '\t')) b--;
      fn(value + a, b - a);
      start = i + 1;
    }
  }
}

// Content-Length = 1*DIGIT; a list of identical values is accepted as one (RFC 9110 8.6).
bool NoteContentLength(const uint8_t* value, size_t n, Semantics* s) {
  bool ok = true;
  ForEachListElement(value, n, [&](const uint8_t* p, size_t len) {
    if (!ok) return;
    if (len == 0 || len > 16) {
      ok = false;
      return;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
      if (p[i] < '0' || p[i] > '9') {
        ok = false;
        return;
      }
      v = v * 10 + (p[i] - '0');
    }
    if (v > kMaxContentLength || (s->has_content_length && v != s->content_length)) {
      ok = false;
      return;
    }
    s->has_content_length = true;
    s->content_length = v;
  });
  return ok;
}

// Transfer-Encoding codings, across every field line that carries them, in order.
bool NoteTransferEncoding(const uint8_t* value, size_t n, Semantics* s) {
  bool ok = true;
  s->has_transfer_encoding = true;
  ForEachListElement(value, n, [&](const uint8_t* p, size_t len) {
    if (len == 0) {
      ok = false;
      return;
    }
    // A coding is a token, optionally with parameters; only its name matters here.
    size_t name = 0;
    while (name < len && IsTokenChar(p[name])) name++;
    if (name == 0) {
      ok = false;
      return;
    }
    if (EqualsLower(p, name, "chunked") && name == len) {
      if (s->chunked_seen) s->chunked_twice = true;
      s->chunked_seen = true;
      s->chunked_last = true;
    } else {
      s->other_coding = true;
      s->chunked_last = false;
    }
  });
  return ok;
}

void NoteConnection(const uint8_t* value, size_t n, Semantics* s) {
  ForEachListElement(value, n, [&](const uint8_t* p, size_t len) {
    if (EqualsLower(p, len, "close")) s->connection_close = true;
    else if (EqualsLower(p, len, "keep-alive")) s->connection_keep_alive = true;
    else if (EqualsLower(p, len, "upgrade")) s->connection_upgrade = true;
  });
}

void NoteExpect(const uint8_t* value, size_t n, Semantics* s) {
  if (EqualsLower(value, n, "100-continue")) s->expect_continue = true;
  else s->expect_other = true;
}

// Parses field lines from `pos` up to and including the empty line. Returns the position after the empty line,
// 0 when incomplete, or a negative status with the reason set. Fields go to out[kSlotHeaders...] and their count
// to out[kSlotHeaderCount]; `semantics` (may be null, for trailers) collects what the head needs.
Result ParseFields(const uint8_t* data, size_t size, size_t pos, size_t head_start, const Limits& limits,
                   int32_t* out, Semantics* semantics) {
  uint32_t count = 0;
  for (;;) {
    size_t cr = 0;
    LineScan scan = FindLineEnd(data, size, pos, &cr);
    if (scan == LineScan::kIncomplete) {
      // The limits hold for what has arrived too: a field line or a head that can only grow past them fails now.
      if (PendingLineLength(data, size, pos) > limits.max_header_line) {
        return Fail(out, Reason::kHeaderLineTooLong, 431);
      }
      if (size - head_start > limits.max_head) return Fail(out, Reason::kHeadTooLarge, 431);
      return 0;
    }
    if (scan == LineScan::kBadEnding) return Fail(out, Reason::kBadLineEnding, 400);
    if (cr - pos > limits.max_header_line) return Fail(out, Reason::kHeaderLineTooLong, 431);
    if (cr + 2 - head_start > limits.max_head) return Fail(out, Reason::kHeadTooLarge, 431);
    if (cr == pos) {  // the empty line
      out[kSlotHeaderCount] = static_cast<int32_t>(count);
      return static_cast<Result>(cr + 2);
    }
    if (data[pos] == ' ' || data[pos] == '\t') return Fail(out, Reason::kObsoleteLineFolding, 400);
    if (count == limits.max_headers) return Fail(out, Reason::kTooManyHeaders, 431);

    size_t name_end = pos;
    while (name_end < cr && IsTokenChar(data[name_end])) name_end++;
    if (name_end == pos || name_end == cr || data[name_end] != ':') return Fail(out, Reason::kBadHeaderName, 400);
    size_t value_start = name_end + 1;
    while (value_start < cr && (data[value_start] == ' ' || data[value_start] == '\t')) value_start++;
    size_t value_end = cr;
    while (value_end > value_start && (data[value_end - 1] == ' ' || data[value_end - 1] == '\t')) value_end--;
    for (size_t i = value_start; i < value_end; i++) {
      if (!IsValueChar(data[i])) return Fail(out, Reason::kBadHeaderValue, 400);
    }

    int32_t* field = out + kSlotHeaders + kFieldSlots * count;
    field[0] = static_cast<int32_t>(pos);
    field[1] = static_cast<int32_t>(name_end - pos);
    field[2] = static_cast<int32_t>(value_start);
    field[3] = static_cast<int32_t>(value_end - value_start);
    count++;

    if (semantics != nullptr) {
      const uint8_t* name = data + pos;
      size_t name_len = name_end - pos;
      const uint8_t* value = data + value_start;
      size_t value_len = value_end - value_start;
      if (EqualsLower(name, name_len, "content-length")) {
        if (!NoteContentLength(value, value_len, semantics)) return Fail(out, Reason::kBadContentLength, 400);
      } else if (EqualsLower(name, name_len, "transfer-encoding")) {
        if (!NoteTransferEncoding(value, value_len, semantics)) return Fail(out, Reason::kBadTransferEncoding, 400);
      } else if (EqualsLower(name, name_len, "connection")) {
        NoteConnection(value, value_len, semantics);
      } else if (EqualsLower(name, name_len, "upgrade")) {
        semantics->has_upgrade = true;
      } else if (EqualsLower(name, name_len, "host")) {
        semantics->hosts++;
      } else if (EqualsLower(name, name_len, "expect")) {
        NoteExpect(value, value_len, semantics);
      }
    }
    pos = cr + 2;
  }
}

size_t SkipBws(const uint8_t* data, size_t i, size_t end) {
  while (i < end && (data[i] == ' ' || data[i] == '\t')) i++;
  return i;
}

// Whether data[i, end) is chunk extensions (RFC 9112 7.1.1):
//   *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ), chunk-ext-val = token / quoted-string
// They are ignored, but only well-formed ones are: a lax reading of a chunk line (whitespace after the size, a
// value that is neither a token nor a quoted string) is where parsers in a chain can disagree about it.
bool IsChunkExtensions(const uint8_t* data, size_t i, size_t end) {
  while (i < end) {
    i = SkipBws(data, i, end);
    if (i == end || data[i] != ';') return false;
    i = SkipBws(data, i + 1, end);
    size_t name = i;
    while (i < end && IsTokenChar(data[i])) i++;
    if (i == name) return false;
    size_t equals = SkipBws(data, i, end);
    if (equals == end || data[equals] != '=') continue;  // no value: the next extension (or the end) must follow
    i = SkipBws(data, equals + 1, end);
    if (i < end && data[i] == '"') {
      // quoted-string: qdtext is a value character other than '"' and '\'; a quoted-pair escapes one.
      for (i++;; i++) {
        if (i == end) return false;
        if (data[i] == '"') break;
        if (data[i] == '\\' && ++i == end) return false;
        if (!IsValueChar(data[i])) return false;
      }
      i++;
    } else {
      size_t value = i;
      while (i < end && IsTokenChar(data[i])) i++;
      if (i == value) return false;
    }
  }
  return true;
}

}  // namespace

const char* ReasonMessage(Reason reason) {
  switch (reason) {
    case Reason::kNone: return "no error";
    case Reason::kBadLineEnding: return "a line does not end in CRLF (bare LF or CR)";
    case Reason::kBadMethod: return "the method is not a token";
    case Reason::kBadTarget: return "the request target is empty or has characters other than visible ASCII";
    case Reason::kTargetTooLong: return "the request line is longer than the limit";
    case Reason::kBadVersion: return "the request line does not end in a well-formed HTTP version";
    case Reason::kUnsupportedVersion: return "the HTTP version is not 1.0 or 1.1";
    case Reason::kBadHeaderName: return "a header field name is not a token followed directly by a colon";
    case Reason::kBadHeaderValue: return "a header field value has control characters";
    case Reason::kObsoleteLineFolding: return "a header field is folded over lines (obs-fold)";
    case Reason::kHeaderLineTooLong: return "a header line is longer than the limit";
    case Reason::kHeadTooLarge: return "the request head is larger than the limit";
    case Reason::kTooManyHeaders: return "there are more header fields than the limit";
    case Reason::kBadContentLength: return "Content-Length is not one non-negative integer";
    case Reason::kContentLengthAndTransferEncoding: return "the request has both Content-Length and Transfer-Encoding";
    case Reason::kBadTransferEncoding: return "Transfer-Encoding does not end in chunked exactly once";
    case Reason::kUnsupportedTransferEncoding: return "Transfer-Encoding has a coding other than chunked";
    case Reason::kTransferEncodingInHttp10: return "an HTTP/1.0 request has Transfer-Encoding";
    case Reason::kMissingHost: return "an HTTP/1.1 request has no Host header";
    case Reason::kMultipleHost: return "the request has more than one Host header";
    case Reason::kUnsupportedExpectation: return "Expect has a value other than 100-continue";
    case Reason::kBadChunkSize: return "a chunk size line is malformed";
    case Reason::kChunkSizeLineTooLong: return "a chunk size line is longer than the limit";
    case Reason::kCount: break;
  }
  return "unknown parse error";
}

Result ParseRequestHead(const uint8_t* data, size_t size, const Limits& limits, int32_t* out) {
  out[kSlotReason] = 0;
  // RFC 9112 2.2: empty lines before the request line are ignored (some clients send one after a POST body).
  size_t start = 0;
  while (start + 1 < size && data[start] == '\r' && data[start + 1] == '\n') start += 2;
  if (start > limits.max_request_line) return Fail(out, Reason::kBadLineEnding, 400);

  size_t cr = 0;
  LineScan scan = FindLineEnd(data, size, start, &cr);
  if (scan == LineScan::kIncomplete) {
    if (PendingLineLength(data, size, start) > limits.max_request_line) return Fail(out, Reason::kTargetTooLong, 414);
    // Fail early on what cannot become a request line: the method must be a token.
    for (size_t i = start; i < size && data[i] != ' ' && data[i] != '\r'; i++) {
      if (!IsTokenChar(data[i])) return Fail(out, Reason::kBadMethod, 400);
    }
    return 0;
  }
  if (scan == LineScan::kBadEnding) return Fail(out, Reason::kBadLineEnding, 400);
  if (cr - start > limits.max_request_line) return Fail(out, Reason::kTargetTooLong, 414);

  // method SP request-target SP HTTP-version
  size_t p = start;
  while (p < cr && IsTokenChar(data[p])) p++;
  if (p == start || p == cr || data[p] != ' ') return Fail(out, Reason::kBadMethod, 400);
  size_t method_end = p++;
  size_t target_start = p;
  while (p < cr && IsTargetChar(data[p])) p++;
  if (p == target_start || p == cr || data[p] != ' ') return Fail(out, Reason::kBadTarget, 400);
  size_t target_end = p++;
  // "HTTP/" DIGIT "." DIGIT
  if (cr - p != 8 || std::memcmp(data + p, "HTTP/", 5) != 0 || data[p + 5] < '0' || data[p + 5] > '9' ||
      data[p + 6] != '.' || data[p + 7] < '0' || data[p + 7] > '9') {
    return Fail(out, Reason::kBadVersion, 400);
  }
  int major = data[p + 5] - '0';
  int minor = data[p + 7] - '0';
  if (major != 1 || minor > 1) return Fail(out, Reason::kUnsupportedVersion, 505);

  Semantics s;
  Result end = ParseFields(data, size, cr + 2, start, limits, out, &s);
  if (end <= 0) return end;

  if (s.has_transfer_encoding) {
    if (minor == 0) return Fail(out, Reason::kTransferEncodingInHttp10, 400);
    if (s.has_content_length) return Fail(out, Reason::kContentLengthAndTransferEncoding, 400);
    // RFC 9112 6.3: chunked must be the final coding, and only once, or the body's end cannot be found.
    if (!s.chunked_last || s.chunked_twice) return Fail(out, Reason::kBadTransferEncoding, 400);
    if (s.other_coding) return Fail(out, Reason::kUnsupportedTransferEncoding, 501);
  }
  if (minor == 1) {
    if (s.hosts == 0) return Fail(out, Reason::kMissingHost, 400);
    if (s.hosts > 1) return Fail(out, Reason::kMultipleHost, 400);
    // An HTTP/1.0 client cannot know 100-continue; RFC 9110 10.1.1 says to ignore it there.
    if (s.expect_other) return Fail(out, Reason::kUnsupportedExpectation, 417);
  }

  int32_t flags = 0;
  if (s.has_transfer_encoding) flags |= kChunked;
  if (s.has_content_length) flags |= kHasContentLength;
  if (minor == 1 ? !s.connection_close : (s.connection_keep_alive && !s.connection_close)) flags |= kKeepAlive;
  if (s.connection_upgrade && s.has_upgrade) flags |= kUpgrade;
  if (minor == 1 && s.expect_continue) flags |= kExpectContinue;

  out[kSlotMethod] = static_cast<int32_t>(start);
  out[kSlotMethod + 1] = static_cast<int32_t>(method_end - start);
  out[kSlotTarget] = static_cast<int32_t>(target_start);
  out[kSlotTarget + 1] = static_cast<int32_t>(target_end - target_start);
  out[kSlotVersionMinor] = minor;
  out[kSlotFlags] = flags;
  out[kSlotLengthLow] = static_cast<int32_t>(s.content_length & ((uint64_t{1} << kLengthSplitBits) - 1));
  out[kSlotLengthHigh] = static_cast<int32_t>(s.content_length >> kLengthSplitBits);
  return end;
}

Result ParseChunkSize(const uint8_t* data, size_t size, uint64_t* chunk_size, int32_t* reason) {
  // chunk-size [ chunk-ext ] CRLF; extensions are ignored but must be well formed enough to find the CRLF.
  constexpr size_t kMaxLine = 4096;
  *reason = 0;
  size_t cr = 0;
  LineScan scan = FindLineEnd(data, size, 0, &cr);
  if (scan == LineScan::kIncomplete) {
    if (PendingLineLength(data, size, 0) > kMaxLine) return Fail(reason, Reason::kChunkSizeLineTooLong, 400);
    for (size_t i = 0; i < size; i++) {
      // The size ends at extensions, their whitespace or the CR; what follows is judged once the line is whole.
      if (data[i] == ';' || data[i] == ' ' || data[i] == '\t' || data[i] == '\r') break;
      bool hex = (data[i] >= '0' && data[i] <= '9') || (Lower(data[i]) >= 'a' && Lower(data[i]) <= 'f');
      if (!hex) return Fail(reason, Reason::kBadChunkSize, 400);
    }
    return 0;
  }
  if (scan == LineScan::kBadEnding) return Fail(reason, Reason::kBadLineEnding, 400);
  if (cr > kMaxLine) return Fail(reason, Reason::kChunkSizeLineTooLong, 400);
  uint64_t value = 0;
  size_t i = 0;
  for (; i < cr; i++) {
    uint8_t c = Lower(data[i]);
    int digit;
    if (c >= '0' && c <= '9') digit = c - '0';
    else if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    else break;
    if (value > (kMaxContentLength >> 4)) return Fail(reason, Reason::kBadChunkSize, 400);
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  if (i == 0 || value > kMaxContentLength) return Fail(reason, Reason::kBadChunkSize, 400);
  if (!IsChunkExtensions(data, i, cr)) return Fail(reason, Reason::kBadChunkSize, 400);
  *chunk_size = value;
  return static_cast<Result>(cr + 2);
}

Result ParseTrailers(const uint8_t* data, size_t size, const Limits& limits, int32_t* out) {
  out[kSlotReason] = 0;
  out[kSlotHeaderCount] = 0;
  return ParseFields(data, size, 0, 0, limits, out, nullptr);
}

}  // namespace verdant::http
