// The JS-visible greenlet primitives, written against the V8 API because they switch stacks: a switch must not
// happen inside an N-API callback scope. lib/runtime/native.ts describes them in TypeScript; lib/ validates every
// argument before calling, and these functions still refuse (with a TypeError) anything that is not what they
// expect rather than trusting it.
//
//   class GreenletHandle { constructor(stackSize: number) }   the TS Greenlet class extends this
//   greenlet_switch(target: GreenletHandle): void              returns when something switches back
//   greenlet_current(): GreenletHandle
//   greenlet_adopt_main(handle: GreenletHandle): void          binds the main greenlet of this thread
//   greenlet_set_entry(fn: (this: GreenletHandle) => GreenletHandle, errorClass: typeof GreenletError): void
#include "greenlet/bindings.h"

#include "greenlet/greenlet.h"
#include "platform/posix.h"
#include "v8_methods.h"
#include "v8_compat.h"

namespace verdant::detail {
namespace {

void GreenletHandleNew(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Runtime* runtime = RuntimeOf(info);
  if (!info.IsConstructCall()) return ThrowTypeError(isolate, "GreenletHandle must be called with new");
  if (info.Length() < 1 || !info[0]->IsNumber()) return ThrowTypeError(isolate, "stack size must be a number");
  double stack_size = info[0].As<v8::Number>()->Value();
  if (!(stack_size >= 0 && stack_size <= (1ull << 32))) return ThrowTypeError(isolate, "stack size out of range");

  auto* g = new Greenlet();
  g->runtime = runtime;
  g->stack_size = stack_size == 0 ? runtime->default_stack_size : static_cast<size_t>(stack_size);
  v8::Local<v8::Object> self = info.This();
  compat::SetWrapped(self, g);
  g->context.Reset(isolate, isolate->GetCurrentContext());
  // A new greenlet starts in its creator's async context (AsyncLocalStorage stores, on the Node lines where
  // they live in V8's continuation-preserved embedder data).
  if constexpr (compat::kHasAsyncContextSlot) {
    v8::Local<v8::Value> async_context = compat::GetAsyncContext(isolate);
    if (!async_context->IsUndefined()) g->async_context.Reset(isolate, async_context);
  }
  g->wrapper.Reset(isolate, self);
  g->wrapper.SetWeak(g, Runtime::WeakCallback, v8::WeakCallbackType::kParameter);
}

void GreenletSwitch(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Runtime* runtime = RuntimeOf(info);
  Greenlet* target = info.Length() > 0 ? runtime->FromValue(info[0]) : nullptr;
  if (target == nullptr) {
    return ThrowTypeError(isolate, "switch target is not a greenlet of this thread");
  }
  if (runtime->main() == nullptr || !runtime->has_entry()) {
    return ThrowTypeError(isolate, "verdant's greenlet runtime is not initialised on this thread");
  }
  if (target == runtime->current()) return;
  if (target->state == GreenletState::kDead) return ThrowTypeError(isolate, "cannot switch to a dead greenlet");
  runtime->SwitchTo(target);
}

void GreenletCurrent(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Runtime* runtime = RuntimeOf(info);
  Greenlet* current = runtime->current();
  if (current != nullptr) info.GetReturnValue().Set(current->wrapper.Get(info.GetIsolate()));
}

void GreenletAdoptMain(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Runtime* runtime = RuntimeOf(info);
  Greenlet* g = info.Length() > 0 ? runtime->FromValue(info[0]) : nullptr;
  if (g == nullptr) return ThrowTypeError(isolate, "main greenlet handle expected");
  if (runtime->main() != nullptr) return ThrowTypeError(isolate, "this thread already has a main greenlet");
  runtime->AdoptMain(g);
  // Main is never collected while the runtime lives.
  g->wrapper.ClearWeak();
}

void GreenletSetEntry(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (info.Length() < 2 || !info[0]->IsFunction() || !info[1]->IsFunction()) {
    return ThrowTypeError(isolate, "entry and error class must be functions");
  }
  RuntimeOf(info)->set_entry(info[0].As<v8::Function>());
  RuntimeOf(info)->set_error_class(info[1].As<v8::Function>());
}

}  // namespace

void InitGreenletBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                          Runtime* runtime) {
  v8::Local<v8::External> data = v8::External::New(isolate, runtime);

  v8::Local<v8::FunctionTemplate> handle = v8::FunctionTemplate::New(isolate, GreenletHandleNew, data);
  v8::Local<v8::String> class_name = v8::String::NewFromUtf8Literal(isolate, "GreenletHandle");
  handle->SetClassName(class_name);
  handle->InstanceTemplate()->SetInternalFieldCount(1);
  runtime->set_template(handle);
  target->Set(context, class_name, handle->GetFunction(context).ToLocalChecked()).Check();

  SetMethod(isolate, context, target, "greenlet_switch", GreenletSwitch, data);
  SetMethod(isolate, context, target, "greenlet_current", GreenletCurrent, data);
  SetMethod(isolate, context, target, "greenlet_adopt_main", GreenletAdoptMain, data);
  SetMethod(isolate, context, target, "greenlet_set_entry", GreenletSetEntry, data);
}

uintptr_t ComputeMainStackLimit(bool is_main_thread, double stack_size_kb) {
  uintptr_t low, top;
  if (!posix::CurrentThreadStack(&low, &top)) return 0;
  uintptr_t size = top - low;
  if (is_main_thread) {
    // V8 set main's limit to (its stack position at start-up - --stack-size); the top of the mapping is a few
    // KiB above that position, well inside the 8 MiB the kernel gives main.
    uintptr_t want = static_cast<uintptr_t>(stack_size_kb * 1024);
    return want < size ? top - want : low + 64 * 1024;
  }
  // Node's workers run on a thread stack of their own and set their limit 192 KiB above its bottom.
  return low + 192 * 1024;
}

}  // namespace verdant::detail
