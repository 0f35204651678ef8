// What the green I/O bindings (native/io/bindings.cc) share with TLS's and HTTP's (native/tls/bindings.cc,
// native/http/bindings.cc): reading integer and byte-range arguments, and publishing a table of integer constants.
// lib/ validates every argument; these still refuse what they cannot use.
#pragma once

#include <v8.h>

#include <cstddef>

#include "v8_methods.h"

namespace verdant::detail {

// An Int32 argument, or -1 (lib/ passes ints; anything else is a bug there and reads as an invalid value).
inline int IntArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i) {
  if (info.Length() <= i || !info[i]->IsInt32()) return -1;
  return info[i].As<v8::Int32>()->Value();
}

// The bytes [offset, offset + length) of the ArrayBufferView argument i, followed by the offset and length
// arguments; false with a TypeError thrown if they are not a view and two ints, or the range does not fit.
inline bool ByteRange(const v8::FunctionCallbackInfo<v8::Value>& info, int i, char** data, size_t* size) {
  if (info.Length() < i + 3 || !info[i]->IsArrayBufferView() || !info[i + 1]->IsInt32() || !info[i + 2]->IsInt32()) {
    ThrowTypeError(info.GetIsolate(), "expected a buffer, an offset and a length");
    return false;
  }
  v8::Local<v8::ArrayBufferView> view = info[i].As<v8::ArrayBufferView>();
  int offset = info[i + 1].As<v8::Int32>()->Value();
  int length = info[i + 2].As<v8::Int32>()->Value();
  if (offset < 0 || length < 0 || static_cast<size_t>(offset) + static_cast<size_t>(length) > view->ByteLength()) {
    ThrowTypeError(info.GetIsolate(), "the offset and length do not fit in the buffer");
    return false;
  }
  // Buffer() moves a small on-heap typed array's bytes off the heap once, so the pointer stays valid.
  *data = static_cast<char*>(view->Buffer()->Data()) + view->ByteOffset() + offset;
  *size = static_cast<size_t>(length);
  return true;
}

struct IntConstant {
  const char* name;
  int value;
};

// target[name] = { constant.name: constant.value, ... }
template <size_t N>
void SetIntConstants(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                     const char* name, const IntConstant (&table)[N]) {
  v8::Local<v8::Object> constants = v8::Object::New(isolate);
  for (const IntConstant& c : table) {
    constants->CreateDataProperty(context, v8::String::NewFromUtf8(isolate, c.name).ToLocalChecked(),
                                  v8::Integer::New(isolate, c.value)).Check();
  }
  target->Set(context, v8::String::NewFromUtf8(isolate, name).ToLocalChecked(), constants).Check();
}

}  // namespace verdant::detail
