// The debugging primitives, on the V8 API like the hub's because debug_stack_of switches stacks. lib/debug
// validates every argument; these still refuse what they cannot use, with a TypeError.
//
//   debug_watchdog_start(maxBlockingSeconds, stuckPrintSeconds (0: never), reporter): void
//       starts this thread's watchdog (none may be running); throws an Error if it cannot run here
//   debug_watchdog_stop(): unknown[]    stops it; its undelivered reports, 4 reporter arguments each
//   debug_stack_of(g, maxFrames): string[] | null   g's stack: the running one's, or a suspended one's through a
//                                                    peek (native/debug/stack_peek.h); null if it has none
#include "debug/bindings.h"

#include <node.h>

#include <cmath>

#include "debug/stack_format.h"
#include "debug/stack_peek.h"
#include "debug/watchdog.h"
#include "greenlet/greenlet.h"
#include "v8_methods.h"

namespace verdant::detail {
namespace {

// Seconds to nanoseconds, for values lib/ has already bounded.
uint64_t Nanoseconds(double seconds) { return static_cast<uint64_t>(std::llround(seconds * 1e9)); }

// The environment is going away: stop the watchdog before the isolate goes; Node waits for `done`.
void CleanupWatchdog(void* arg, void (*done)(void*), void* done_arg) {
  auto* w = static_cast<Watchdog*>(arg);
  (void)w->cleanup_hook.release();  // Node frees the hook's record itself once it has run.
  w->Stop(/*teardown=*/true, [done, done_arg] { done(done_arg); });
}

// Stops this isolate's watchdog, if any. Returns its undelivered reports (flat, 4 reporter arguments each), or
// an empty array when none was running.
v8::Local<v8::Array> StopWatchdog(v8::Isolate* isolate) {
  Watchdog* w = Watchdog::Of(isolate);
  if (w == nullptr) return v8::Array::New(isolate);
  // Nothing is left for the teardown hook to stop. (Only RemoveEnvironmentCleanupHook unregisters it: resetting
  // the handle would leave Node calling the hook with a freed watchdog.)
  node::RemoveEnvironmentCleanupHook(std::move(w->cleanup_hook));
  v8::Local<v8::Array> undelivered;
  w->Stop(/*teardown=*/false, nullptr, &undelivered);
  return undelivered;
}

void WatchdogStart(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  if (info.Length() < 3 || !info[0]->IsNumber() || !info[1]->IsNumber() || !info[2]->IsFunction()) {
    return ThrowTypeError(isolate, "debug_watchdog_start(maxBlockingSeconds, stuckPrintSeconds, reporter)");
  }
  double max_blocking = info[0].As<v8::Number>()->Value();
  double stuck_print = info[1].As<v8::Number>()->Value();
  // lib/debug/watchdog.ts allows 1 ms to 1 hour, and 0 (never) to 1 hour for the stuck print.
  if (!(max_blocking >= 0.001 && max_blocking <= 3600) || !(stuck_print >= 0 && stuck_print <= 3600)) {
    return ThrowTypeError(isolate, "debug_watchdog_start: time out of range");
  }
  if (Watchdog::Of(isolate) != nullptr) return ThrowTypeError(isolate, "debug_watchdog_start: stop the running watchdog first");
  Watchdog::Settings settings{Nanoseconds(max_blocking), Nanoseconds(stuck_print)};
  std::string why;
  Watchdog* w = Watchdog::Start(RuntimeOf(info), settings, isolate->GetCurrentContext(), info[2].As<v8::Function>(), &why);
  if (w == nullptr) {
    isolate->ThrowException(v8::Exception::Error(
        v8::String::NewFromUtf8(isolate, ("verdant: the watchdog cannot run here: " + why).c_str()).ToLocalChecked()));
    return;
  }
  w->cleanup_hook = node::AddEnvironmentCleanupHook(isolate, CleanupWatchdog, w);
}

void WatchdogStop(const v8::FunctionCallbackInfo<v8::Value>& info) {
  info.GetReturnValue().Set(StopWatchdog(info.GetIsolate()));
}

void StackOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Runtime* runtime = RuntimeOf(info);
  Greenlet* g = info.Length() > 0 ? runtime->FromValue(info[0]) : nullptr;
  if (g == nullptr) return ThrowTypeError(isolate, "expected a greenlet of this thread");
  if (info.Length() < 2 || !info[1]->IsNumber()) return ThrowTypeError(isolate, "expected a number of frames");
  double frames = info[1].As<v8::Number>()->Value();
  if (!(frames >= 1 && frames <= 1000)) return ThrowTypeError(isolate, "frames must be from 1 to 1000");
  std::vector<std::string> lines;
  if (g == runtime->current()) {
    info.GetReturnValue().Set(LinesToArray(isolate, CurrentStackLines(isolate, static_cast<int>(frames))));
    return;
  }
  bool taken;
  {
    // A refused switch (the caller is inside an async scope it entered) only means there is no stack to show.
    v8::TryCatch try_catch(isolate);
    taken = PeekStack(runtime, g, static_cast<int>(frames), &lines);
    if (try_catch.HasTerminated()) {
      try_catch.ReThrow();
      return;
    }
  }
  if (!taken) return info.GetReturnValue().SetNull();
  info.GetReturnValue().Set(LinesToArray(isolate, lines));
}

}  // namespace

void InitDebugBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                       Runtime* runtime) {
  v8::Local<v8::External> data = v8::External::New(isolate, runtime);
  SetMethod(isolate, context, target, "debug_watchdog_start", WatchdogStart, data);
  SetMethod(isolate, context, target, "debug_watchdog_stop", WatchdogStop, data);
  SetMethod(isolate, context, target, "debug_stack_of", StackOf, data);
}

}  // namespace verdant::detail
