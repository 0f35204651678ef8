// The few V8 API calls whose spelling differs between the Node lines we support (20: V8 11.3, 22: 12.4,
// 24: 13.6, 26: 14.6). Everything version-dependent goes through here so the rest of native/ reads one way.
#pragma once

#include <v8.h>

namespace verdant::compat {

// Wrapped native pointers in internal fields: V8 14 tags them with a type, from a small range
// (0..V8_EMBEDDER_DATA_TAG_COUNT-1) shared by every embedder and addon of the process. Node's own wrappers use
// the default tag 0; a distinct small value keeps ours apart without colliding with them.
constexpr uint16_t kGreenletTag = 7;

inline void SetWrapped(v8::Local<v8::Object> obj, void* ptr) {
#if V8_MAJOR_VERSION >= 14
  obj->SetAlignedPointerInInternalField(0, ptr, kGreenletTag);
#else
  obj->SetAlignedPointerInInternalField(0, ptr);
#endif
}

inline void* GetWrapped(v8::Local<v8::Object> obj) {
#if V8_MAJOR_VERSION >= 14
  return obj->GetAlignedPointerFromInternalField(0, kGreenletTag);
#else
  return obj->GetAlignedPointerFromInternalField(0);
#endif
}

// AsyncContextFrame lives in the isolate's "continuation preserved embedder data" from V8 12 on. Node 20 has no
// such slot: AsyncLocalStorage there keeps its store on the execution async resource instead.
constexpr bool kHasAsyncContextSlot = V8_MAJOR_VERSION >= 12;

inline v8::Local<v8::Value> GetAsyncContext(v8::Isolate* isolate) {
#if V8_MAJOR_VERSION >= 14
  v8::Local<v8::Data> data = isolate->GetContinuationPreservedEmbedderDataV2();
  if (data.IsEmpty() || !data->IsValue()) return v8::Undefined(isolate);
  return data.As<v8::Value>();
#elif V8_MAJOR_VERSION >= 12
  return isolate->GetContinuationPreservedEmbedderData();
#else
  return v8::Undefined(isolate);
#endif
}

inline void SetAsyncContext(v8::Isolate* isolate, v8::Local<v8::Value> value) {
#if V8_MAJOR_VERSION >= 14
  isolate->SetContinuationPreservedEmbedderDataV2(value);
#elif V8_MAJOR_VERSION >= 12
  isolate->SetContinuationPreservedEmbedderData(value);
#else
  (void)isolate;
  (void)value;
#endif
}

}  // namespace verdant::compat
