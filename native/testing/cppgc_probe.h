// Test hooks that need the addon's C++ side (see cppgc_probe.cc).
#pragma once

#include <v8.h>

namespace verdant::testing {

void InitCppgcProbe(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target);

}  // namespace verdant::testing
