// Fuzzes ParseChunkSize (native/http/parser.h) against RFC 9112 7.1's grammar, written out independently here:
//
//   chunk-size [ chunk-ext ] CRLF
//   chunk-size = 1*HEXDIG
//   chunk-ext  = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//   chunk-ext-name = token;  chunk-ext-val = token / quoted-string
//
// Checked for each input: a line the parser accepts matches the grammar and its size is the hex number it starts
// with; a line that matches the grammar, whose size fits kMaxContentLength and that fits the line limit is
// accepted; "incomplete" only while no LF has arrived; failures are 400 with a chunk reason; prefix stability
// (CheckPrefixes); and the size written back in hex, with the same extensions, parses to the same size.
#include <cstring>
#include <string>

#include "http_fuzz_support.h"

namespace {

using namespace verdant::fuzz;

constexpr size_t kMaxLine = 4096;  // parser.cc's limit on a chunk-size line

struct Chunk {
  http::Result result = 0;
  uint64_t size = 0;
  int32_t reason = -1;
};

Chunk Parse(const uint8_t* data, size_t size) {
  Chunk c;
  c.size = 0xdeadbeef;  // poisoned: only a success must set it
  c.result = http::ParseChunkSize(data, size, &c.size, &c.reason);
  return c;
}

bool SameChunk(const Chunk& a, const Chunk& b) {
  return a.result == b.result && a.reason == b.reason && (a.result <= 0 || a.size == b.size);
}

int HexValue(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsOws(uint8_t c) { return c == ' ' || c == '\t'; }

// RFC 9110 5.6.4: qdtext and quoted-pair.
bool IsQdtext(uint8_t c) {
  return c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e) || c >= 0x80;
}
bool IsQuotedPairChar(uint8_t c) { return c == '\t' || c == ' ' || (c >= 0x21 && c <= 0x7e) || c >= 0x80; }

// Whether line[from, end) is a chunk-ext.
bool IsChunkExt(const uint8_t* line, size_t from, size_t end) {
  size_t i = from;
  for (;;) {
    while (i < end && IsOws(line[i])) i++;
    if (i == end) return i == from;  // BWS alone (after the size or an extension) is not an extension
    if (line[i] != ';') return false;
    i++;
    while (i < end && IsOws(line[i])) i++;
    size_t name = i;
    while (i < end && IsTchar(line[i])) i++;
    if (i == name) return false;
    size_t after_name = i;
    while (i < end && IsOws(line[i])) i++;
    if (i < end && line[i] == '=') {
      i++;
      while (i < end && IsOws(line[i])) i++;
      if (i < end && line[i] == '"') {
        i++;
        for (;;) {
          if (i == end) return false;
          if (line[i] == '"') { i++; break; }
          if (line[i] == '\\') {
            if (i + 1 == end || !IsQuotedPairChar(line[i + 1])) return false;
            i += 2;
          } else if (IsQdtext(line[i])) {
            i++;
          } else {
            return false;
          }
        }
      } else {
        size_t value = i;
        while (i < end && IsTchar(line[i])) i++;
        if (i == value) return false;
      }
    } else {
      i = after_name;  // the whitespace after a name belongs to the next extension's BWS
    }
    from = i;  // what follows must be another extension or nothing
    if (i == end) return true;
  }
}

// Whether line[0, end) (without its CRLF) is chunk-size [ chunk-ext ]; *value is the size, saturated past 2^64.
bool IsChunkLine(const uint8_t* line, size_t end, uint64_t* value, bool* too_big) {
  size_t i = 0;
  *value = 0;
  *too_big = false;
  while (i < end && HexValue(line[i]) >= 0) {
    if (*value > (http::kMaxContentLength >> 4)) *too_big = true;
    *value = (*value << 4) | static_cast<uint64_t>(HexValue(line[i]));
    i++;
  }
  if (*value > http::kMaxContentLength) *too_big = true;
  if (i == 0) return false;
  return i == end || IsChunkExt(line, i, end);
}

void Check(const uint8_t* data, size_t size) {
  Chunk whole = Parse(data, size);
  FUZZ_CHECK(SameChunk(whole, Parse(data, size)));
  const void* lf = std::memchr(data, '\n', size);
  if (whole.result == 0) {
    FUZZ_CHECK(whole.reason == 0);
    FUZZ_CHECK_MSG(lf == nullptr, "incomplete although the line has ended");
  }
  if (whole.result < 0) {
    CheckFailure(whole.result, whole.reason);
    auto reason = static_cast<http::Reason>(whole.reason);
    FUZZ_CHECK(reason == http::Reason::kBadChunkSize || reason == http::Reason::kChunkSizeLineTooLong ||
               reason == http::Reason::kBadLineEnding);
  }
  if (lf != nullptr) {
    size_t end = static_cast<size_t>(static_cast<const uint8_t*>(lf) - data);
    uint64_t value = 0;
    bool too_big = false;
    bool valid = end > 0 && data[end - 1] == '\r' && IsChunkLine(data, end - 1, &value, &too_big);
    if (whole.result > 0) {
      FUZZ_CHECK(whole.result == static_cast<http::Result>(end + 1));
      FUZZ_CHECK(whole.reason == 0);
      FUZZ_CHECK_MSG(valid, "accepted a chunk-size line that RFC 9112 7.1 does not allow");
      FUZZ_CHECK(!too_big && whole.size == value);
    } else if (valid && !too_big && end - 1 <= kMaxLine) {
      FUZZ_CHECK_MSG(false, "refused a valid chunk-size line (" + std::to_string(whole.result) + ")");
    }
  }

  Chunk prefix;
  CheckPrefixes(
      data, size, whole.result,
      [&](const uint8_t* p, size_t n) {
        prefix = Parse(p, n);
        return prefix.result;
      },
      [&] { return SameChunk(prefix, whole); });

  if (whole.result > 0) {
    // The size in upper-case hex with leading zeros, then the same extensions: the same chunk.
    size_t digits = 0;
    while (HexValue(data[digits]) >= 0) digits++;
    char hex[32];
    std::snprintf(hex, sizeof hex, "00%llX", static_cast<unsigned long long>(whole.size));
    std::string text = hex;
    text.append(reinterpret_cast<const char*>(data + digits), static_cast<size_t>(whole.result) - digits);
    Chunk again = ParseExactCopy(reinterpret_cast<const uint8_t*>(text.data()), text.size(),
                                 [](const uint8_t* p, size_t n) { return Parse(p, n); });
    if (text.size() - 2 <= kMaxLine) {
      FUZZ_CHECK_MSG(again.result == static_cast<http::Result>(text.size()) && again.size == whole.size,
                     "re-serialized as \"" + Escape(reinterpret_cast<const uint8_t*>(text.data()), text.size()) + "\"");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Current() = {data, size};
  Check(data, size);
  return 0;
}
