// The HTTP request parser's JS surface (lib/http/native.ts describes it in TypeScript).
#pragma once

#include <v8.h>

namespace verdant::detail {

class Runtime;

void InitHttpBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                      Runtime* runtime);

}  // namespace verdant::detail
