// node-addon-api carries the module surface; the switching functions use the V8 API directly (they must hold
// v8::Locker/Unlocker and run in no N-API callback scope). A napi_value is, in every Node line we support, the
// address of a V8 handle slot, exactly as Node's own js_native_api_v8.h converts it; this helper is that
// conversion and nothing more.
#pragma once

#include <node_api.h>
#include <v8.h>

#include <cstring>

namespace verdant {

inline v8::Local<v8::Value> ToV8(napi_value value) {
  v8::Local<v8::Value> local;
  static_assert(sizeof(local) == sizeof(value), "napi_value and v8::Local differ in size");
  std::memcpy(static_cast<void*>(&local), &value, sizeof(value));
  return local;
}


}  // namespace verdant
