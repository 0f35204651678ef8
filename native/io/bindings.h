// The green I/O syscalls' JS surface (lib/io/native.ts describes it in TypeScript).
#pragma once

#include <v8.h>

namespace verdant::detail {

class Runtime;

void InitIoBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                    Runtime* runtime);

}  // namespace verdant::detail
