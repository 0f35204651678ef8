// What every V8-API binding file of the addon needs: the Runtime behind a function's data, a TypeError, and a way
// to install a plain (non-constructor) function on the exports object.
#pragma once

#include <v8.h>

#include "greenlet/greenlet.h"

namespace verdant::detail {

// The Runtime passed as `data` when the function was installed with SetMethod.
inline Runtime* RuntimeOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  return static_cast<Runtime*>(info.Data().As<v8::External>()->Value());
}

inline void ThrowTypeError(v8::Isolate* isolate, const char* message) {
  isolate->ThrowException(v8::Exception::TypeError(v8::String::NewFromUtf8(isolate, message).ToLocalChecked()));
}

inline void SetMethod(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                      const char* name, v8::FunctionCallback callback, v8::Local<v8::External> data) {
  v8::Local<v8::FunctionTemplate> tmpl = v8::FunctionTemplate::New(
      isolate, callback, data, v8::Local<v8::Signature>(), 0, v8::ConstructorBehavior::kThrow);
  v8::Local<v8::String> key = v8::String::NewFromUtf8(isolate, name).ToLocalChecked();
  tmpl->SetClassName(key);
  target->Set(context, key, tmpl->GetFunction(context).ToLocalChecked()).Check();
}

}  // namespace verdant::detail
