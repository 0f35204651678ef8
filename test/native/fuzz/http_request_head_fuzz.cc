// Fuzzes ParseRequestHead (native/http/parser.h). Beyond memory safety (ASan, UBSan), each input is checked under
// the default limits and under tiny ones for:
//   - the result: > 0 at most the input's size, ending in the empty line; < 0 a status the failure reason is
//     answered with; the output's spans all inside the head;
//   - what a success means: the method a token, the target visible ASCII, "HTTP/1.0" or "HTTP/1.1", only CRLF
//     pairs before the request line, at most max_headers fields (see CheckFields), flags that agree with the
//     fields (a Content-Length field sets HAS_CONTENT_LENGTH, Transfer-Encoding sets CHUNKED, never both, one
//     Host in HTTP/1.1);
//   - prefix stability (the server re-parses its growing buffer): see CheckPrefixes;
//   - re-serialization: the parsed fields written out plainly parse to the same method, target, version, fields,
//     flags and Content-Length.
#include <cstring>
#include <string>
#include <vector>

#include "http_fuzz_support.h"

namespace {

using namespace verdant::fuzz;

using Head = Parsed;

Head Parse(const uint8_t* data, size_t size, const http::Limits& limits) {
  return ParseIntoPoisoned(http::ParseRequestHead, data, size, limits);
}

// The slots that describe a successful parse (the unused header slots are not part of it).
bool SameHead(const Head& a, const Head& b) {
  if (a.result != b.result) return false;
  if (a.result <= 0) return a.out[http::kSlotReason] == b.out[http::kSlotReason];
  return std::memcmp(a.out.data(), b.out.data(), a.UsedSlots() * sizeof(int32_t)) == 0;
}

std::string Span(const uint8_t* data, const int32_t* out, int slot) {
  return std::string(reinterpret_cast<const char*>(data + out[slot]), static_cast<size_t>(out[slot + 1]));
}

uint64_t ContentLength(const int32_t* out) {
  return static_cast<uint64_t>(out[http::kSlotLengthLow]) |
         (static_cast<uint64_t>(out[http::kSlotLengthHigh]) << http::kLengthSplitBits);
}

// A successful head: everything the output says is checked against the bytes. Returns its fields.
std::vector<Field> CheckSuccess(const uint8_t* data, size_t size, const http::Limits& limits, const Head& h) {
  const int32_t* out = h.out.data();
  size_t end = static_cast<size_t>(h.result);
  FUZZ_CHECK(end <= size && end >= 16);  // "M T HTTP/1.0" CRLF CRLF at least
  FUZZ_CHECK(std::memcmp(data + end - 4, "\r\n\r\n", 4) == 0);
  FUZZ_CHECK(out[http::kSlotReason] == 0);

  int32_t method = out[http::kSlotMethod], method_len = out[http::kSlotMethod + 1];
  int32_t target = out[http::kSlotTarget], target_len = out[http::kSlotTarget + 1];
  FUZZ_CHECK(method >= 0 && method_len > 0 && target_len > 0);
  FUZZ_CHECK(target == method + method_len + 1);
  size_t version = static_cast<size_t>(target) + static_cast<size_t>(target_len) + 1;
  FUZZ_CHECK(version + 10 <= end);  // "HTTP/1.x" CRLF, and the empty line after at least
  // Only empty lines before the request line (RFC 9112 2.2).
  FUZZ_CHECK(method % 2 == 0);
  for (int32_t i = 0; i < method; i += 2) FUZZ_CHECK(data[i] == '\r' && data[i + 1] == '\n');
  for (int32_t i = method; i < method + method_len; i++) FUZZ_CHECK(IsTchar(data[i]));
  FUZZ_CHECK(data[method + method_len] == ' ');
  for (int32_t i = target; i < target + target_len; i++) FUZZ_CHECK(data[i] > 0x20 && data[i] < 0x7f);
  FUZZ_CHECK(data[version - 1] == ' ');
  int32_t minor = out[http::kSlotVersionMinor];
  FUZZ_CHECK(minor == 0 || minor == 1);
  const char* expected = minor == 1 ? "HTTP/1.1\r\n" : "HTTP/1.0\r\n";
  FUZZ_CHECK(std::memcmp(data + version, expected, 10) == 0);

  std::vector<Field> fields = CheckFields(data, end, version + 10, limits, out);

  int32_t flags = out[http::kSlotFlags];
  constexpr int32_t kKnown = http::kChunked | http::kKeepAlive | http::kUpgrade | http::kExpectContinue |
                             http::kHasContentLength;
  FUZZ_CHECK((flags & ~kKnown) == 0);
  FUZZ_CHECK(!((flags & http::kChunked) && (flags & http::kHasContentLength)));
  FUZZ_CHECK(!(flags & http::kChunked) || minor == 1);
  FUZZ_CHECK(!(flags & http::kExpectContinue) || minor == 1);
  FUZZ_CHECK(out[http::kSlotLengthLow] >= 0 && out[http::kSlotLengthLow] < (1 << http::kLengthSplitBits));
  FUZZ_CHECK(out[http::kSlotLengthHigh] >= 0);
  uint64_t length = ContentLength(out);
  FUZZ_CHECK(length <= http::kMaxContentLength);
  FUZZ_CHECK((flags & http::kHasContentLength) || length == 0);

  int hosts = 0;
  bool content_length = false, transfer_encoding = false;
  for (const Field& f : fields) {
    hosts += EqualsIgnoreCase(data + f.name, f.name_len, "host");
    content_length |= EqualsIgnoreCase(data + f.name, f.name_len, "content-length");
    transfer_encoding |= EqualsIgnoreCase(data + f.name, f.name_len, "transfer-encoding");
  }
  FUZZ_CHECK(minor == 0 || hosts == 1);
  FUZZ_CHECK(content_length == ((flags & http::kHasContentLength) != 0));
  FUZZ_CHECK(transfer_encoding == ((flags & http::kChunked) != 0));
  return fields;
}

// The request line and the fields written out plainly (single spaces, "name:value"): never longer than the
// original lines, so it must parse under the same limits, to the same request.
void CheckReserialized(const uint8_t* data, const http::Limits& limits, const Head& h,
                       const std::vector<Field>& fields) {
  const int32_t* out = h.out.data();
  std::string text = Span(data, out, http::kSlotMethod) + ' ' + Span(data, out, http::kSlotTarget) +
                     (out[http::kSlotVersionMinor] == 1 ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n") +
                     SerializeFields(data, fields);
  const uint8_t* again_data = reinterpret_cast<const uint8_t*>(text.data());
  Head again = ParseExactCopy(again_data, text.size(), [&](const uint8_t* p, size_t n) { return Parse(p, n, limits); });
  FUZZ_CHECK_MSG(again.result == static_cast<http::Result>(text.size()),
                 "re-serialized as \"" + Escape(again_data, text.size()) + "\": " + std::to_string(again.result));
  const int32_t* o = again.out.data();
  FUZZ_CHECK(Span(again_data, o, http::kSlotMethod) == Span(data, out, http::kSlotMethod));
  FUZZ_CHECK(Span(again_data, o, http::kSlotTarget) == Span(data, out, http::kSlotTarget));
  FUZZ_CHECK(o[http::kSlotVersionMinor] == out[http::kSlotVersionMinor]);
  FUZZ_CHECK(o[http::kSlotFlags] == out[http::kSlotFlags]);
  FUZZ_CHECK(ContentLength(o) == ContentLength(out));
  FUZZ_CHECK(o[http::kSlotHeaderCount] == out[http::kSlotHeaderCount]);
  std::vector<Field> again_fields = CheckFields(again_data, text.size(), text.find('\n') + 1, limits, o);
  FUZZ_CHECK(SameFields(data, fields, again_data, again_fields));
}

void CheckUnder(const uint8_t* data, size_t size, const http::Limits& limits) {
  Head whole = Parse(data, size, limits);
  // The same bytes give the same answer (the parser keeps no state between calls).
  FUZZ_CHECK(SameHead(whole, Parse(data, size, limits)));
  if (whole.result < 0) CheckFailure(whole.result, whole.out[http::kSlotReason]);
  if (whole.result == 0) FUZZ_CHECK(whole.out[http::kSlotReason] == 0);
  std::vector<Field> fields;
  if (whole.result > 0) fields = CheckSuccess(data, size, limits, whole);

  Head prefix;
  CheckPrefixes(
      data, size, whole.result,
      [&](const uint8_t* p, size_t n) {
        prefix = Parse(p, n, limits);
        return prefix.result;
      },
      [&] { return SameHead(prefix, whole); });

  if (whole.result > 0) CheckReserialized(data, limits, whole, fields);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Current() = {data, size};
  for (const http::Limits& limits : LimitSets()) CheckUnder(data, size, limits);
  return 0;
}
