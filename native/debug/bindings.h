// The debugging surface seen from JS (lib/debug/native.ts describes it in TypeScript).
#pragma once

#include <v8.h>

namespace verdant::detail {

class Runtime;

void InitDebugBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                       Runtime* runtime);

}  // namespace verdant::detail
