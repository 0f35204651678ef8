// Unit tests for the strict HTTP/1.1 request parser (native/http/parser.cc): what it accepts, what it refuses with
// which status, that limits hold on incomplete input, and that every prefix of a valid head is "incomplete".
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "check.h"
#include "http/parser.h"

namespace http = verdant::http;

namespace {

struct Parsed {
  http::Result result = 0;
  std::vector<int32_t> out;
  std::string text;

  std::string Span(int slot) const { return text.substr(out[slot], out[slot + 1]); }
  std::string Name(int i) const { return text.substr(out[http::kSlotHeaders + 4 * i], out[http::kSlotHeaders + 4 * i + 1]); }
  std::string Value(int i) const {
    return text.substr(out[http::kSlotHeaders + 4 * i + 2], out[http::kSlotHeaders + 4 * i + 3]);
  }
  int32_t reason() const { return out[http::kSlotReason]; }
  int32_t flags() const { return out[http::kSlotFlags]; }
  uint64_t content_length() const {
    return static_cast<uint64_t>(out[http::kSlotLengthLow]) |
           (static_cast<uint64_t>(out[http::kSlotLengthHigh]) << http::kLengthSplitBits);
  }
};

Parsed Head(const std::string& text, http::Limits limits = {}) {
  Parsed p;
  p.text = text;
  p.out.assign(http::OutputSlots(limits.max_headers), -7);
  p.result = http::ParseRequestHead(reinterpret_cast<const uint8_t*>(text.data()), text.size(), limits, p.out.data());
  return p;
}

http::Result Status(const std::string& text, http::Limits limits = {}) { return Head(text, limits).result; }

const char kSimple[] = "GET /a?b=c HTTP/1.1\r\nHost: example.test\r\nX-Empty:\r\nAccept:  text/plain \t\r\n\r\n";

}  // namespace

TEST(parses_a_simple_head) {
  Parsed p = Head(std::string(kSimple) + "extra");
  CHECK_EQ(p.result, static_cast<int32_t>(sizeof(kSimple) - 1));
  CHECK_EQ(p.Span(http::kSlotMethod), "GET");
  CHECK_EQ(p.Span(http::kSlotTarget), "/a?b=c");
  CHECK_EQ(p.out[http::kSlotVersionMinor], 1);
  CHECK_EQ(p.out[http::kSlotHeaderCount], 3);
  CHECK_EQ(p.Name(0), "Host");
  CHECK_EQ(p.Value(0), "example.test");
  CHECK_EQ(p.Value(1), "");
  CHECK_EQ(p.Value(2), "text/plain");  // surrounding spaces and tabs are not part of the value
  CHECK(p.flags() & http::kKeepAlive);
  CHECK(!(p.flags() & (http::kChunked | http::kHasContentLength | http::kUpgrade | http::kExpectContinue)));
}

TEST(every_prefix_is_incomplete) {
  std::string head = kSimple;
  for (size_t n = 0; n < head.size(); n++) CHECK_EQ(Status(head.substr(0, n)), 0);
}

TEST(leading_empty_lines_are_skipped) {
  Parsed p = Head(std::string("\r\n\r\n") + kSimple);
  CHECK(p.result > 0);
  CHECK_EQ(p.Span(http::kSlotMethod), "GET");
}

TEST(framing_and_connection_flags) {
  Parsed cl = Head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1234567890123\r\n\r\n");
  CHECK(cl.flags() & http::kHasContentLength);
  CHECK_EQ(cl.content_length(), uint64_t{1234567890123});
  Parsed same = Head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\ncontent-length: 5\r\n\r\n");
  CHECK(same.result > 0);
  CHECK_EQ(same.content_length(), uint64_t{5});
  Parsed chunked = Head("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: CHUNKED\r\n\r\n");
  CHECK(chunked.flags() & http::kChunked);
  CHECK(!(Head("GET / HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Close\r\n\r\n").flags() & http::kKeepAlive));
  CHECK(!(Head("GET / HTTP/1.0\r\n\r\n").flags() & http::kKeepAlive));
  CHECK(Head("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").flags() & http::kKeepAlive);
  CHECK(Head("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n").flags() & http::kUpgrade);
  CHECK(!(Head("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n").flags() & http::kUpgrade));
  CHECK(Head("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n").flags() & http::kExpectContinue);
  // HTTP/1.0 clients cannot mean it; ignored, not refused.
  Parsed old_expect = Head("PUT / HTTP/1.0\r\nExpect: something\r\n\r\n");
  CHECK(old_expect.result > 0);
  CHECK(!(old_expect.flags() & http::kExpectContinue));
}

TEST(refuses_bad_request_lines) {
  CHECK_EQ(Status("GET / HTTP/1.1\nHost: h\r\n\r\n"), -400);           // bare LF
  CHECK_EQ(Status("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), -400);        // two spaces
  CHECK_EQ(Status("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), -400);        // trailing space
  CHECK_EQ(Status("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), -400);         // non-token method
  CHECK_EQ(Status("GET /a\x7f HTTP/1.1\r\nHost: h\r\n\r\n"), -400);    // DEL in the target
  CHECK_EQ(Status("GET /\xc3\xa9 HTTP/1.1\r\nHost: h\r\n\r\n"), -400); // raw UTF-8 in the target
  CHECK_EQ(Status("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), -505);
  CHECK_EQ(Status("GET / HTTP/2.0\r\n\r\n"), -505);
  CHECK_EQ(Status("GET / HTTP/1\r\nHost: h\r\n\r\n"), -400);
  CHECK_EQ(Status("GET / http/1.1\r\nHost: h\r\n\r\n"), -400);
  CHECK_EQ(Status("GET /\r\n\r\n"), -400);                             // HTTP/0.9
  CHECK_EQ(Status("\x16\x03\x01\x02"), -400);                          // a TLS hello, refused at once
}

TEST(refuses_bad_fields) {
  CHECK_EQ(Status("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), -400);        // space before the colon
  CHECK_EQ(Status("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"), -400);  // obs-fold
  CHECK_EQ(Status("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n"), -400);     // CR inside a value
  CHECK_EQ(Status("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01\r\n\r\n"), -400);
  CHECK_EQ(Status(std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a") + '\0' + "b\r\n\r\n"), -400);
  CHECK_EQ(Status("GET / HTTP/1.1\r\nHost: h\r\n: empty\r\n\r\n"), -400);
  CHECK_EQ(Status("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"), -400);
  CHECK(Status("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\r\n\r\n") > 0);  // obs-text is allowed in values
}

TEST(refuses_ambiguous_framing) {
  Parsed both = Head("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n");
  CHECK_EQ(both.result, -400);
  CHECK_EQ(both.reason(), static_cast<int32_t>(http::Reason::kContentLengthAndTransferEncoding));
  CHECK_EQ(Status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n"), -400);
  CHECK_EQ(Status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"), -400);
  CHECK_EQ(Status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0x10\r\n\r\n"), -400);
  CHECK_EQ(Status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999\r\n\r\n"), -400);
  CHECK_EQ(Status("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"), -400);
  CHECK_EQ(Status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"), -400);
  CHECK_EQ(Status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), -400);
  CHECK_EQ(Status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), -501);
  CHECK_EQ(Status("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunkedx\r\n\r\n"), -400);
  CHECK_EQ(Status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), -400);
  CHECK_EQ(Status("GET / HTTP/1.1\r\n\r\n"), -400);                            // no Host
  CHECK_EQ(Status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), -400);
  CHECK_EQ(Status("PUT / HTTP/1.1\r\nHost: h\r\nExpect: 200-ok\r\n\r\n"), -417);
}

TEST(limits_hold_on_complete_and_incomplete_input) {
  http::Limits limits;
  limits.max_request_line = 64;
  limits.max_header_line = 64;
  limits.max_head = 256;
  limits.max_headers = 3;
  std::string long_target = "GET /" + std::string(100, 'a');
  CHECK_EQ(Status(long_target, limits), -414);                                   // no line end yet
  CHECK_EQ(Status(long_target + " HTTP/1.1\r\nHost: h\r\n\r\n", limits), -414);
  std::string long_field = "GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(100, 'b');
  CHECK_EQ(Status(long_field, limits), -431);
  CHECK_EQ(Status(long_field + "\r\n\r\n", limits), -431);
  std::string many = "GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n";
  Parsed p = Head(many, limits);
  CHECK_EQ(p.result, -431);
  CHECK_EQ(p.reason(), static_cast<int32_t>(http::Reason::kTooManyHeaders));
  std::string big = "GET / HTTP/1.1\r\nHost: h\r\n";
  limits.max_headers = 100;
  while (big.size() < 300) big += "X-Pad: " + std::string(40, 'p') + "\r\n";
  CHECK_EQ(Status(big, limits), -431);  // incomplete, already past max_head
  CHECK_EQ(Status(big + "\r\n", limits), -431);
}

TEST(chunk_size_lines) {
  auto chunk = [](const std::string& line, uint64_t* size) {
    int32_t reason = 0;
    return http::ParseChunkSize(reinterpret_cast<const uint8_t*>(line.data()), line.size(), size, &reason);
  };
  uint64_t size = 0;
  CHECK_EQ(chunk("1a\r\nxyz", &size), 4);
  CHECK_EQ(size, uint64_t{26});
  CHECK_EQ(chunk("FF;name=value;x\r\n", &size), 17);
  CHECK_EQ(size, uint64_t{255});
  CHECK_EQ(chunk("0\r\n", &size), 3);
  CHECK_EQ(size, uint64_t{0});
  CHECK_EQ(chunk("1f", &size), 0);
  CHECK_EQ(chunk("", &size), 0);
  CHECK_EQ(chunk("\r\n", &size), -400);
  CHECK_EQ(chunk("-1\r\n", &size), -400);
  CHECK_EQ(chunk("1 2\r\n", &size), -400);
  CHECK_EQ(chunk("0x10\r\n", &size), -400);
  CHECK_EQ(chunk("g", &size), -400);                    // refused before the line ends
  CHECK_EQ(chunk("10\n", &size), -400);
  CHECK_EQ(chunk("fffffffffffffffff\r\n", &size), -400);  // past 2^53
  CHECK_EQ(chunk("1;" + std::string(5000, 'e'), &size), -400);
}

// Found by the fuzzer (test/native/fuzz): while a line was incomplete its final CR counted towards the limit, so
// a line of exactly the limit was refused when its CR and LF arrived in different reads.
TEST(a_line_of_exactly_the_limit_is_accepted_when_its_crlf_arrives_split) {
  http::Limits limits;
  limits.max_request_line = 32;
  limits.max_header_line = 16;
  std::string request_line = "GET /" + std::string(32 - 14, 'a') + " HTTP/1.1";
  std::string field = "X: " + std::string(16 - 3, 'b');
  CHECK_EQ(request_line.size(), size_t{32});
  CHECK_EQ(field.size(), size_t{16});
  std::string head = request_line + "\r\nHost: h\r\n" + field + "\r\n\r\n";
  CHECK_EQ(Status(head, limits), static_cast<int32_t>(head.size()));
  CHECK_EQ(Status(request_line + "\r", limits), 0);
  CHECK_EQ(Status(request_line + "\r\nHost: h\r\n" + field + "\r", limits), 0);
  // One byte more is refused, complete or not.
  CHECK_EQ(Status(request_line + "a\r", limits), -414);
  CHECK_EQ(Status(request_line + "\r\nHost: h\r\n" + field + "b\r", limits), -431);

  uint64_t size = 0;
  int32_t reason = 0;
  std::string chunk = "1;" + std::string(4096 - 2, 'e');
  std::string cr = chunk + "\r";
  CHECK_EQ(http::ParseChunkSize(reinterpret_cast<const uint8_t*>(cr.data()), cr.size(), &size, &reason), 0);
  std::string whole = chunk + "\r\n";
  CHECK_EQ(http::ParseChunkSize(reinterpret_cast<const uint8_t*>(whole.data()), whole.size(), &size, &reason),
           static_cast<int32_t>(whole.size()));
}

// Found by the differential test against llhttp (test/http/parser-differential.test.ts): anything after the size
// that started with ';' passed, and so did whitespace with nothing after it.
TEST(chunk_extensions_follow_the_grammar) {
  auto status = [](const std::string& line) {
    uint64_t size = 0;
    int32_t reason = 0;
    std::string text = line + "\r\n";
    return http::ParseChunkSize(reinterpret_cast<const uint8_t*>(text.data()), text.size(), &size, &reason);
  };
  for (const char* ok : {"5;a", "5;a=b", "5;a=b;c;d=\"e\"", "5 ; a = b", "5\t;a=\"\"", "5;a=\"x \\\" y\"",
                         "5;a=\"caf\xc3\xa9\"", "5;a=b;c"}) {
    CHECK_EQ(status(ok), static_cast<int32_t>(std::strlen(ok) + 2));
  }
  for (const char* bad : {"3 ", "3\t", "3;", "3;;a", "3;=b", "3;a=", "3;a ", "3;a=b ", "3;a=b c", "3;a=\"x",
                          "3;a=\"x\\", "3;a=\"\\\x01\"", "3;a=\x7f", "3;a=caf\xc3\xa9", "3 x", "3;a,b"}) {
    CHECK_EQ(status(bad), -400);
  }  // Found by the replay of the fuzz corpus: whitespace after the size was refused while the line was incomplete,
  // although a whole line may have it before extensions.
  uint64_t size = 0;
  int32_t reason = 0;
  const uint8_t prefix[] = {'5', ' ', '\t'};
  CHECK_EQ(http::ParseChunkSize(prefix, sizeof prefix, &size, &reason), 0);
}

TEST(trailers) {
  std::string text = "X-Sum: 12\r\nX-Other: y\r\n\r\nnext";
  std::vector<int32_t> out(http::OutputSlots(100));
  http::Result r = http::ParseTrailers(reinterpret_cast<const uint8_t*>(text.data()), text.size(), {}, out.data());
  CHECK_EQ(r, static_cast<int32_t>(text.size() - 4));
  CHECK_EQ(out[http::kSlotHeaderCount], 2);
  std::string none = "\r\n";
  CHECK_EQ(http::ParseTrailers(reinterpret_cast<const uint8_t*>(none.data()), none.size(), {}, out.data()), 2);
  CHECK_EQ(out[http::kSlotHeaderCount], 0);
  std::string bad = "X: a\r\n b\r\n\r\n";
  CHECK_EQ(http::ParseTrailers(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), {}, out.data()), -400);
}

int main() { return RUN_ALL_TESTS(); }
