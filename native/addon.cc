// Module initialisation only: builds this environment's greenlet runtime and exposes its surface. One runtime
// per Node environment (the main thread and each worker thread), freed with it.
#include <napi.h>

#include "debug/bindings.h"
#include "greenlet/bindings.h"
#include "greenlet/greenlet.h"
#include "http/bindings.h"
#include "hub/bindings.h"
#include "io/bindings.h"
#include "testing/cppgc_probe.h"
#include "tls/bindings.h"
#include "v8_bridge.h"

namespace {

using verdant::detail::Runtime;

Runtime* RuntimeOf(const Napi::CallbackInfo& info) { return info.Env().GetInstanceData<Runtime>(); }

void ShutdownRuntime(Napi::Env, Runtime* runtime) { runtime->Shutdown(); }

// backend(): [name, why it fell back ('' when it did not)]
Napi::Value Backend(const Napi::CallbackInfo& info, const std::string& why) {
  Napi::Env env = info.Env();
  verdant::detail::Backend* backend = RuntimeOf(info)->backend();
  Napi::Array result = Napi::Array::New(env, 4);
  result.Set(0u, Napi::String::New(env, backend->name()));
  result.Set(1u, Napi::String::New(env, why));
  result.Set(2u, Napi::String::New(env, backend->state_switch()));
  result.Set(3u, Napi::String::New(env, backend->state_switch_why));
  return result;
}

// configure(defaultStackSize, stackMargin, stackPoolLimit, isMainThread, mainStackSizeKb): lib/runtime/config.ts
// validates every value.
Napi::Value Configure(const Napi::CallbackInfo& info) {
  Runtime* runtime = RuntimeOf(info);
  runtime->default_stack_size = static_cast<size_t>(info[0].As<Napi::Number>().Int64Value());
  runtime->stack_margin = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  runtime->backend()->set_stack_pool_limit(static_cast<size_t>(info[2].As<Napi::Number>().Int64Value()));
  // Main's stack can only be measured on main's own OS thread: on the threads backend a green thread calling
  // configure() runs on a thread of its own, and main would get that thread's limit (then overflow for real).
  // The inputs never change within a process, so the measurement taken at load time stands.
  if (runtime->main() == nullptr || runtime->current() == runtime->main()) {
    runtime->set_main_stack_limit(verdant::detail::ComputeMainStackLimit(info[3].As<Napi::Boolean>().Value(),
                                                                         info[4].As<Napi::Number>().DoubleValue()));
  }
  return info.Env().Undefined();
}

Napi::Value Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Runtime* runtime = RuntimeOf(info);
  verdant::detail::StackAllocatorStats stacks = runtime->backend()->stack_stats();
  Napi::Object out = Napi::Object::New(env);
  out.Set("switches", Napi::Number::New(env, static_cast<double>(runtime->switches)));
  out.Set("started", Napi::Number::New(env, static_cast<double>(runtime->started)));
  out.Set("finished", Napi::Number::New(env, static_cast<double>(runtime->finished)));
  out.Set("active", Napi::Number::New(env, static_cast<double>(runtime->active)));
  out.Set("stacksLive", Napi::Number::New(env, static_cast<double>(stacks.live)));
  out.Set("stacksPooled", Napi::Number::New(env, static_cast<double>(stacks.pooled)));
  out.Set("stackPoolHits", Napi::Number::New(env, static_cast<double>(stacks.pool_hits)));
  out.Set("stackMmaps", Napi::Number::New(env, static_cast<double>(stacks.mmaps)));
  out.Set("stackBudget", Napi::Number::New(env, static_cast<double>(stacks.max_stacks)));
  out.Set("stackLayout", Napi::String::New(env, stacks.carved ? "carved" : "mapped"));
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  std::string why;
  std::unique_ptr<verdant::detail::Backend> backend = verdant::detail::CreateBackend(isolate, &why);
  if (!backend) {
    Napi::Error::New(env, "verdant: no greenlet backend can run here: " + why).ThrowAsJavaScriptException();
    return exports;
  }
  // Freed with the environment. Greenlets still suspended then keep their stacks: V8 may walk their archived
  // frames until the isolate itself is gone, so they are left to the process (see docs/internals.md).
  auto* runtime = new Runtime(isolate, std::move(backend));
  env.SetInstanceData<Runtime, ShutdownRuntime>(runtime);

  exports.Set("runtime_backend", Napi::Function::New(env, [why](const Napi::CallbackInfo& info) { return Backend(info, why); }));
  exports.Set("runtime_configure", Napi::Function::New(env, Configure));
  exports.Set("runtime_stats", Napi::Function::New(env, Stats));

  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Object> target = verdant::ToV8(exports).As<v8::Object>();
  verdant::detail::InitGreenletBindings(isolate, context, target, runtime);
  verdant::detail::InitHubBindings(isolate, context, target, runtime);
  verdant::detail::InitIoBindings(isolate, context, target, runtime);
  verdant::detail::InitTlsBindings(isolate, context, target, runtime);
  verdant::detail::InitHttpBindings(isolate, context, target, runtime);
  verdant::detail::InitDebugBindings(isolate, context, target, runtime);
  verdant::testing::InitCppgcProbe(isolate, context, target);
  return exports;
}

}  // namespace

NODE_API_MODULE(verdant, Init)
