// Fuzzes ParseTrailers (native/http/parser.h), under the default limits and tiny ones: a success is a field
// section (CheckFields: names tokens directly followed by ':', trimmed values without control characters, at most
// max_headers fields, the empty line last), a failure a field-section reason answered with its status, prefix
// stability holds (CheckPrefixes), and the fields written out as "name:value" lines parse to the same fields.
#include <cstring>
#include <string>
#include <vector>

#include "http_fuzz_support.h"

namespace {

using namespace verdant::fuzz;

using Trailers = Parsed;

Trailers Parse(const uint8_t* data, size_t size, const http::Limits& limits) {
  return ParseIntoPoisoned(http::ParseTrailers, data, size, limits);
}

bool SameTrailers(const Trailers& a, const Trailers& b) {
  if (a.result != b.result || a.out[http::kSlotReason] != b.out[http::kSlotReason]) return false;
  if (a.result <= 0) return true;
  return a.out[http::kSlotHeaderCount] == b.out[http::kSlotHeaderCount] &&
         std::memcmp(a.out.data() + http::kSlotHeaders, b.out.data() + http::kSlotHeaders,
                     (a.UsedSlots() - http::kSlotHeaders) * sizeof(int32_t)) == 0;
}

bool IsFieldReason(http::Reason r) {
  switch (r) {
    case http::Reason::kBadLineEnding: case http::Reason::kBadHeaderName: case http::Reason::kBadHeaderValue:
    case http::Reason::kObsoleteLineFolding: case http::Reason::kHeaderLineTooLong: case http::Reason::kHeadTooLarge:
    case http::Reason::kTooManyHeaders:
      return true;
    default:
      return false;
  }
}

void CheckUnder(const uint8_t* data, size_t size, const http::Limits& limits) {
  Trailers whole = Parse(data, size, limits);
  FUZZ_CHECK(SameTrailers(whole, Parse(data, size, limits)));
  std::vector<Field> fields;
  if (whole.result == 0) FUZZ_CHECK(whole.out[http::kSlotReason] == 0);
  if (whole.result < 0) {
    CheckFailure(whole.result, whole.out[http::kSlotReason]);
    FUZZ_CHECK(IsFieldReason(static_cast<http::Reason>(whole.out[http::kSlotReason])));
  }
  if (whole.result > 0) {
    FUZZ_CHECK(static_cast<size_t>(whole.result) <= size);
    FUZZ_CHECK(whole.out[http::kSlotReason] == 0);
    fields = CheckFields(data, static_cast<size_t>(whole.result), 0, limits, whole.out.data());
  }

  Trailers prefix;
  CheckPrefixes(
      data, size, whole.result,
      [&](const uint8_t* p, size_t n) {
        prefix = Parse(p, n, limits);
        return prefix.result;
      },
      [&] { return SameTrailers(prefix, whole); });

  if (whole.result > 0) {
    std::string text = SerializeFields(data, fields);
    const uint8_t* again_data = reinterpret_cast<const uint8_t*>(text.data());
    Trailers again =
        ParseExactCopy(again_data, text.size(), [&](const uint8_t* p, size_t n) { return Parse(p, n, limits); });
    FUZZ_CHECK_MSG(again.result == static_cast<http::Result>(text.size()),
                   "re-serialized as \"" + Escape(again_data, text.size()) + "\": " + std::to_string(again.result));
    std::vector<Field> again_fields = CheckFields(again_data, text.size(), 0, limits, again.out.data());
    FUZZ_CHECK(SameFields(data, fields, again_data, again_fields));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Current() = {data, size};
  for (const http::Limits& limits : LimitSets()) CheckUnder(data, size, limits);
  return 0;
}
