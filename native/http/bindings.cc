// The parser (native/http/parser.h) for lib/http/server. Each function parses one byte range of a Buffer into an
// Int32Array the caller keeps per connection; lib/ validates every argument, these still refuse what they cannot
// use.
//
//   http_parse_request(buf, offset, length, out, maxRequestLine, maxHeaderLine, maxHead, maxHeaders): number
//   http_parse_trailers(buf, offset, length, out, maxHeaderLine, maxHead, maxHeaders): number
//       > 0 bytes the head (trailer section) took, 0 incomplete, < 0 minus the status to answer; out as in
//       parser.h (kSlot*), out[0] the reason of a failure
//   http_parse_chunk_size(buf, offset, length, out): number
//       the same result; out[0] the reason, out[1] and out[2] the size's low 26 and high bits
//   http_constants: { slots and flags by name }
//   http_reasons: string[]   the message of each failure reason, by its number
#include "http/bindings.h"

#include "http/parser.h"
#include "io/arguments.h"

namespace verdant::detail {
namespace {

// The Int32Array argument i with at least `slots` elements, or nullptr with a TypeError thrown.
int32_t* OutputArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i, size_t slots) {
  if (info.Length() <= i || !info[i]->IsInt32Array() || info[i].As<v8::Int32Array>()->Length() < slots) {
    ThrowTypeError(info.GetIsolate(), "expected an Int32Array large enough for the parse");
    return nullptr;
  }
  v8::Local<v8::Int32Array> array = info[i].As<v8::Int32Array>();
  return reinterpret_cast<int32_t*>(static_cast<char*>(array->Buffer()->Data()) + array->ByteOffset());
}

// Limits from consecutive int arguments starting at i (the request line's only when with_request_line).
bool LimitsArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i, bool with_request_line, http::Limits* limits) {
  int values[4];
  int n = with_request_line ? 4 : 3;
  for (int k = 0; k < n; k++) {
    values[k] = IntArg(info, i + k);
    if (values[k] <= 0) {
      ThrowTypeError(info.GetIsolate(), "HTTP parser limits must be positive integers");
      return false;
    }
  }
  int* v = values;
  if (with_request_line) limits->max_request_line = static_cast<uint32_t>(*v++);
  limits->max_header_line = static_cast<uint32_t>(*v++);
  limits->max_head = static_cast<uint32_t>(*v++);
  limits->max_headers = static_cast<uint32_t>(*v++);
  return true;
}

void ParseRequest(const v8::FunctionCallbackInfo<v8::Value>& info) {
  char* data;
  size_t size;
  http::Limits limits;
  if (!ByteRange(info, 0, &data, &size) || !LimitsArg(info, 4, true, &limits)) return;
  int32_t* out = OutputArg(info, 3, static_cast<size_t>(http::OutputSlots(limits.max_headers)));
  if (out == nullptr) return;
  info.GetReturnValue().Set(http::ParseRequestHead(reinterpret_cast<const uint8_t*>(data), size, limits, out));
}

void ParseTrailers(const v8::FunctionCallbackInfo<v8::Value>& info) {
  char* data;
  size_t size;
  http::Limits limits;
  if (!ByteRange(info, 0, &data, &size) || !LimitsArg(info, 4, false, &limits)) return;
  int32_t* out = OutputArg(info, 3, static_cast<size_t>(http::OutputSlots(limits.max_headers)));
  if (out == nullptr) return;
  info.GetReturnValue().Set(http::ParseTrailers(reinterpret_cast<const uint8_t*>(data), size, limits, out));
}

void ParseChunkSize(const v8::FunctionCallbackInfo<v8::Value>& info) {
  char* data;
  size_t size;
  if (!ByteRange(info, 0, &data, &size)) return;
  int32_t* out = OutputArg(info, 3, 3);
  if (out == nullptr) return;
  uint64_t chunk_size = 0;
  http::Result result = http::ParseChunkSize(reinterpret_cast<const uint8_t*>(data), size, &chunk_size, out);
  out[1] = static_cast<int32_t>(chunk_size & ((uint64_t{1} << http::kLengthSplitBits) - 1));
  out[2] = static_cast<int32_t>(chunk_size >> http::kLengthSplitBits);
  info.GetReturnValue().Set(result);
}

constexpr IntConstant kConstants[] = {
    {"SLOT_REASON", http::kSlotReason},
    {"SLOT_METHOD", http::kSlotMethod},
    {"SLOT_TARGET", http::kSlotTarget},
    {"SLOT_VERSION_MINOR", http::kSlotVersionMinor},
    {"SLOT_FLAGS", http::kSlotFlags},
    {"SLOT_LENGTH_LOW", http::kSlotLengthLow},
    {"SLOT_LENGTH_HIGH", http::kSlotLengthHigh},
    {"SLOT_HEADER_COUNT", http::kSlotHeaderCount},
    {"SLOT_HEADERS", http::kSlotHeaders},
    {"FIELD_SLOTS", http::kFieldSlots},
    {"LENGTH_SPLIT_BITS", http::kLengthSplitBits},
    {"CHUNKED", http::kChunked},
    {"KEEP_ALIVE", http::kKeepAlive},
    {"UPGRADE", http::kUpgrade},
    {"EXPECT_CONTINUE", http::kExpectContinue},
    {"HAS_CONTENT_LENGTH", http::kHasContentLength},
};

}  // namespace

void InitHttpBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                      Runtime* runtime) {
  v8::Local<v8::External> data = v8::External::New(isolate, runtime);
  SetIntConstants(isolate, context, target, "http_constants", kConstants);
  v8::Local<v8::Array> reasons = v8::Array::New(isolate);
  for (int32_t i = 0; i < static_cast<int32_t>(http::Reason::kCount); i++) {
    const char* message = http::ReasonMessage(static_cast<http::Reason>(i));
    reasons->Set(context, static_cast<uint32_t>(i), v8::String::NewFromUtf8(isolate, message).ToLocalChecked()).Check();
  }
  target->Set(context, v8::String::NewFromUtf8Literal(isolate, "http_reasons"), reasons).Check();
  SetMethod(isolate, context, target, "http_parse_request", ParseRequest, data);
  SetMethod(isolate, context, target, "http_parse_trailers", ParseTrailers, data);
  SetMethod(isolate, context, target, "http_parse_chunk_size", ParseChunkSize, data);
}

}  // namespace verdant::detail
