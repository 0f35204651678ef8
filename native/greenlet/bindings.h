// Installs the greenlet primitives on the addon's exports (see bindings.cc for the JS shapes).
#pragma once

#include <v8.h>

#include <cstdint>

namespace verdant::detail {

class Runtime;

void InitGreenletBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                          Runtime* runtime);

// The JS stack limit V8 uses on this thread when no greenlet runs: main's (from --stack-size) or a worker's
// (Node's own rule for worker stacks).
uintptr_t ComputeMainStackLimit(bool is_main_thread, double stack_size_kb);

}  // namespace verdant::detail
