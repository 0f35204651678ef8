// What the HTTP parser fuzz harnesses (test/native/fuzz/http_*_fuzz.cc) share: the check that stops a run on a
// broken invariant, the limits each input is parsed under, the prefixes the stability checks look at, and the
// checks of a parsed field section (a head's fields and a trailer section have the same layout).
//
// A harness never trusts the parser's own bookkeeping: every offset and length it returns is checked against the
// input before anything is read through it, so a bad span is reported as such instead of as a wild read.
//
// The harnesses build two ways: with libFuzzer (clang, -fsanitize=fuzzer,address,undefined), and with any
// compiler against replay_main.cc, which runs LLVMFuzzerTestOneInput over the seed corpus and its systematic
// mutations (CI's g++ build). A broken invariant aborts in both, after printing what broke and the input.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "http/parser.h"

namespace verdant::fuzz {

namespace http = verdant::http;

// The input being checked, for the failure report (set by each harness on entry).
struct CurrentInput {
  const uint8_t* data = nullptr;
  size_t size = 0;
};
inline CurrentInput& Current() {
  static CurrentInput input;
  return input;
}

// The input as a C-style escaped string, at most `max` bytes of it.
inline std::string Escape(const uint8_t* data, size_t size, size_t max = 600) {
  std::string s;
  for (size_t i = 0; i < size && i < max; i++) {
    uint8_t c = data[i];
    if (c == '\r') s += "\\r";
    else if (c == '\n') s += "\\n";
    else if (c == '\t') s += "\\t";
    else if (c == '\\') s += "\\\\";
    else if (c == '"') s += "\\\"";
    else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      s += buf;
    } else {
      s += static_cast<char>(c);
    }
  }
  if (size > max) s += "...";
  return s;
}

[[noreturn]] inline void Broken(const char* file, int line, const char* what, const std::string& detail) {
  const CurrentInput& in = Current();
  std::fprintf(stderr, "%s:%d: invariant broken: %s%s%s\n  input (%zu bytes): \"%s\"\n", file, line, what,
               detail.empty() ? "" : ": ", detail.c_str(), in.size, Escape(in.data, in.size).c_str());
  std::fflush(stderr);
  std::abort();
}

#define FUZZ_CHECK(cond) \
  do { if (!(cond)) ::verdant::fuzz::Broken(__FILE__, __LINE__, #cond, ""); } while (0)
#define FUZZ_CHECK_MSG(cond, detail) \
  do { if (!(cond)) ::verdant::fuzz::Broken(__FILE__, __LINE__, #cond, (detail)); } while (0)

// Each input is parsed under the defaults and under limits small enough for fuzzed inputs to reach, so the limit
// checks (on complete and on incomplete input) are fuzzed too.
inline std::vector<http::Limits> LimitSets() {
  http::Limits tiny;
  tiny.max_request_line = 48;
  tiny.max_header_line = 40;
  tiny.max_head = 160;
  tiny.max_headers = 4;
  return {http::Limits{}, tiny};
}

// The status each failure reason is answered with (parser.h's list; a reason answered otherwise is a bug).
inline int StatusOf(http::Reason reason) {
  switch (reason) {
    case http::Reason::kTargetTooLong: return 414;
    case http::Reason::kHeaderLineTooLong:
    case http::Reason::kHeadTooLarge:
    case http::Reason::kTooManyHeaders: return 431;
    case http::Reason::kUnsupportedVersion: return 505;
    case http::Reason::kUnsupportedTransferEncoding: return 501;
    case http::Reason::kUnsupportedExpectation: return 417;
    case http::Reason::kNone:
    case http::Reason::kCount: return 0;
    default: return 400;
  }
}

// A failure result: minus a status, with a reason that is answered with that status.
inline void CheckFailure(http::Result result, int32_t reason) {
  FUZZ_CHECK_MSG(reason > 0 && reason < static_cast<int32_t>(http::Reason::kCount), std::to_string(reason));
  FUZZ_CHECK_MSG(-result == StatusOf(static_cast<http::Reason>(reason)),
                 "status " + std::to_string(-result) + " for reason " + std::to_string(reason));
  // Each reason has its own message for the client (the fallback is for numbers that are no reason).
  FUZZ_CHECK(std::strcmp(http::ReasonMessage(static_cast<http::Reason>(reason)), "unknown parse error") != 0);
}

// The prefix lengths the stability checks parse: all of them for short inputs; for long ones, those that cut the
// input next to a byte the parser decides on (CR, LF, space, tab, colon, semicolon) and an even spread of others.
inline std::vector<size_t> PrefixLengths(const uint8_t* data, size_t size) {
  std::vector<size_t> lengths;
  if (size <= 300) {
    for (size_t k = 0; k < size; k++) lengths.push_back(k);
    return lengths;
  }
  constexpr size_t kMaxSpecial = 160;
  constexpr size_t kSpread = 64;
  for (size_t k = 1; k < size && lengths.size() < kMaxSpecial; k++) {
    uint8_t c = data[k - 1];
    if (c == '\r' || c == '\n' || c == ' ' || c == '\t' || c == ':' || c == ';') {
      lengths.push_back(k - 1);
      lengths.push_back(k);
    }
  }
  for (size_t i = 0; i < kSpread; i++) lengths.push_back(size * i / kSpread);
  return lengths;
}

// RFC 9110 5.6.2 tchar, written out again rather than shared with the parser so the harness checks it.
inline bool IsTchar(uint8_t c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  for (const char* p = "!#$%&'*+-.^_`|~"; *p != '\0'; p++) {
    if (c == static_cast<uint8_t>(*p)) return true;
  }
  return false;
}

inline bool EqualsIgnoreCase(const uint8_t* p, size_t n, const char* lower) {
  size_t i = 0;
  for (; i < n && lower[i] != '\0'; i++) {
    uint8_t c = p[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<uint8_t>(c + 32);
    if (c != static_cast<uint8_t>(lower[i])) return false;
  }
  return i == n && lower[i] == '\0';
}

// One parse of a field section's parser (ParseRequestHead, ParseTrailers) with its output slots.
struct Parsed {
  http::Result result = 0;
  std::vector<int32_t> out;

  // How many leading slots a success fills: the fixed ones and those of its fields, not the unused field slots.
  size_t UsedSlots() const {
    return http::kSlotHeaders + http::kFieldSlots * static_cast<size_t>(out[http::kSlotHeaderCount]);
  }
};

// Runs `parser(data, size, limits, out)` into output slots poisoned first, so that a slot the parser should have
// written but did not shows up as a mismatch.
template <typename Parser>
Parsed ParseIntoPoisoned(Parser parser, const uint8_t* data, size_t size, const http::Limits& limits) {
  Parsed p;
  p.out.assign(http::OutputSlots(limits.max_headers), -0x5a5a5a5);
  p.result = parser(data, size, limits, p.out.data());
  return p;
}

// A parsed field, as offsets into the input (checked to lie within it).
struct Field {
  size_t name = 0, name_len = 0, value = 0, value_len = 0;
};

// Checks the field slots of `out` for a section the parser says took bytes [0, end) of `data`, the fields
// starting at or after `from`: each name a token directly followed by ':', each value trimmed, without control
// characters, inside its own line, the fields in order and not overlapping, at most limits.max_headers of them.
inline std::vector<Field> CheckFields(const uint8_t* data, size_t end, size_t from, const http::Limits& limits,
                                      const int32_t* out) {
  int32_t count = out[http::kSlotHeaderCount];
  FUZZ_CHECK_MSG(count >= 0 && static_cast<uint32_t>(count) <= limits.max_headers, std::to_string(count));
  std::vector<Field> fields;
  size_t previous_end = from;
  for (int32_t i = 0; i < count; i++) {
    const int32_t* slot = out + http::kSlotHeaders + http::kFieldSlots * i;
    FUZZ_CHECK(slot[0] >= 0 && slot[1] > 0 && slot[2] >= 0 && slot[3] >= 0);
    Field f{static_cast<size_t>(slot[0]), static_cast<size_t>(slot[1]), static_cast<size_t>(slot[2]),
            static_cast<size_t>(slot[3])};
    // Every line of the section is a field: each starts where the previous line ended.
    FUZZ_CHECK_MSG(f.name == previous_end, "field " + std::to_string(i) + " does not start its own line");
    FUZZ_CHECK(f.name + f.name_len < end && f.value + f.value_len <= end);
    for (size_t k = f.name; k < f.name + f.name_len; k++) FUZZ_CHECK(IsTchar(data[k]));
    FUZZ_CHECK(data[f.name + f.name_len] == ':');
    FUZZ_CHECK(f.value >= f.name + f.name_len + 1);
    // Between the colon and the value only whitespace; after it whitespace up to the CRLF.
    for (size_t k = f.name + f.name_len + 1; k < f.value; k++) FUZZ_CHECK(data[k] == ' ' || data[k] == '\t');
    size_t k = f.value + f.value_len;
    while (k < end && (data[k] == ' ' || data[k] == '\t')) k++;
    FUZZ_CHECK(k + 1 < end && data[k] == '\r' && data[k + 1] == '\n');
    if (f.value_len > 0) {
      uint8_t first = data[f.value], last = data[f.value + f.value_len - 1];
      FUZZ_CHECK(first != ' ' && first != '\t' && last != ' ' && last != '\t');
    }
    for (size_t v = f.value; v < f.value + f.value_len; v++) {
      uint8_t c = data[v];
      FUZZ_CHECK_MSG(c == '\t' || (c >= 0x20 && c != 0x7f), "control character in a value");
    }
    previous_end = k + 2;
    fields.push_back(f);
  }
  // After the last field comes the empty line, and that ends the section.
  FUZZ_CHECK(previous_end + 2 == end && data[end - 2] == '\r' && data[end - 1] == '\n');
  return fields;
}

// The fields again as "name:value" lines (no whitespace: never longer than the original lines, so the same
// limits hold), ending with the empty line.
inline std::string SerializeFields(const uint8_t* data, const std::vector<Field>& fields) {
  std::string s;
  for (const Field& f : fields) {
    s.append(reinterpret_cast<const char*>(data + f.name), f.name_len);
    s += ':';
    s.append(reinterpret_cast<const char*>(data + f.value), f.value_len);
    s += "\r\n";
  }
  s += "\r\n";
  return s;
}

// Whether two parses saw the same fields (compared by content: the offsets differ between two spellings).
inline bool SameFields(const uint8_t* a_data, const std::vector<Field>& a, const uint8_t* b_data,
                       const std::vector<Field>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); i++) {
    if (a[i].name_len != b[i].name_len || a[i].value_len != b[i].value_len) return false;
    if (std::string(reinterpret_cast<const char*>(a_data + a[i].name), a[i].name_len) !=
        std::string(reinterpret_cast<const char*>(b_data + b[i].name), b[i].name_len)) return false;
    if (std::string(reinterpret_cast<const char*>(a_data + a[i].value), a[i].value_len) !=
        std::string(reinterpret_cast<const char*>(b_data + b[i].value), b[i].value_len)) return false;
  }
  return true;
}

// The result of parsing a copy of data[0, n) that has exactly n bytes of storage, so that a read past the range
// is caught by ASan (the fuzzer's own buffer is exact only for the whole input).
template <typename Parse>
auto ParseExactCopy(const uint8_t* data, size_t n, Parse parse) {
  std::vector<uint8_t> copy(data, data + n);
  // An empty vector may have no storage; give the parser a valid pointer to zero bytes anyway.
  static const uint8_t kNothing = 0;
  return parse(copy.empty() ? &kNothing : copy.data(), n);
}

// The prefix stability rules for a parser that re-parses what the connection has buffered, given the whole
// input's result `whole` and `parse(prefix_data, k)` for a prefix: more bytes never turn a failure into anything
// else, a complete section is found the same in every prefix that holds it, and no shorter prefix is complete.
template <typename Parse, typename SameOutput>
void CheckPrefixes(const uint8_t* data, size_t size, http::Result whole, Parse parse, SameOutput same_output) {
  for (size_t k : PrefixLengths(data, size)) {
    http::Result r = ParseExactCopy(data, k, parse);
    std::string at = "prefix of " + std::to_string(k) + " bytes: " + std::to_string(r) + ", whole input: " +
                     std::to_string(whole);
    if (r < 0) FUZZ_CHECK_MSG(whole < 0, "a prefix fails but the whole input does not (" + at + ")");
    if (r > 0) FUZZ_CHECK_MSG(whole == r && same_output(), "a complete prefix parses differently (" + at + ")");
    if (whole > 0 && k >= static_cast<size_t>(whole)) FUZZ_CHECK_MSG(r == whole, at);
    if (whole > 0 && k < static_cast<size_t>(whole)) {
      FUZZ_CHECK_MSG(r == 0, "a strict prefix of a complete section is not incomplete (" + at + ")");
    }
  }
}

}  // namespace verdant::fuzz
