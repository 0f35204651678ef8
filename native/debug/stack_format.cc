#include "debug/stack_format.h"

namespace verdant::detail {
namespace {

std::string Utf8(v8::Isolate* isolate, v8::Local<v8::String> text) {
  if (text.IsEmpty() || text->Length() == 0) return {};
  v8::String::Utf8Value utf8(isolate, text);
  return *utf8 == nullptr ? std::string() : std::string(*utf8, utf8.length());
}

std::string FormatFrame(v8::Isolate* isolate, v8::Local<v8::StackFrame> frame) {
  std::string function = Utf8(isolate, frame->GetFunctionName());
  std::string script = Utf8(isolate, frame->GetScriptNameOrSourceURL());
  if (script.empty()) script = frame->IsEval() ? "<eval>" : "<anonymous>";
  std::string where = script + ":" + std::to_string(frame->GetLineNumber()) + ":" + std::to_string(frame->GetColumn());
  if (function.empty()) return where;
  if (frame->IsConstructor()) function = "new " + function;
  return function + " (" + where + ")";
}

}  // namespace

std::vector<std::string> CurrentStackLines(v8::Isolate* isolate, int max_frames) {
  std::vector<std::string> lines;
  v8::Local<v8::StackTrace> trace = v8::StackTrace::CurrentStackTrace(isolate, max_frames);
  if (trace.IsEmpty()) return lines;
  int count = trace->GetFrameCount();
  lines.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; i++) lines.push_back(FormatFrame(isolate, trace->GetFrame(isolate, static_cast<uint32_t>(i))));
  return lines;
}

v8::Local<v8::Array> LinesToArray(v8::Isolate* isolate, const std::vector<std::string>& lines) {
  std::vector<v8::Local<v8::Value>> values;
  values.reserve(lines.size());
  for (const std::string& line : lines) {
    v8::Local<v8::String> text;
    // Only a string over V8's length limit fails; a frame line never is one.
    if (!v8::String::NewFromUtf8(isolate, line.data(), v8::NewStringType::kNormal, static_cast<int>(line.size()))
             .ToLocal(&text)) {
      text = v8::String::NewFromUtf8Literal(isolate, "<unprintable frame>");
    }
    values.push_back(text);
  }
  return v8::Array::New(isolate, values.data(), values.size());
}

}  // namespace verdant::detail
