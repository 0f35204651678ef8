// The hub's JS primitives, written against the V8 API like the greenlet ones because hub_park switches stacks.
// lib/runtime/hub.ts validates every argument; these still refuse what they cannot use, with a TypeError.
//
//   shared_state: ArrayBuffer                        the Int32Array cells of hub::SharedState
//   hub_init(onStartFailed: (g, message) => void): string   starts the hub (once); returns the poller's name
//   hub_park(fd: number, flags: number, timeoutSeconds: number): number        a WakeCode or readiness bits
//   hub_wake(g): boolean                hub_schedule(g, delaySeconds, ref): boolean   hub_unschedule(g): boolean
//   hub_phase(g): number                0 not in the hub, 1 parked, 2 ready to run, 3 start pending on a timer
//   hub_alarm_start(g, delaySeconds, ref): number    hub_alarm_cancel(id): boolean
//   hub_fd_closed(fd): void             hub_fd_opened(fd): void            hub_fd_waiters(fd): [g, events, ...]
//   hub_listeners(): [fd, events, g, ...]            hub_timers(): [secondsLeft, kind, g, ...]
//   hub_stats(): [turns, resumes, fdEvents, timersFired, ready]
#include "hub/bindings.h"

#include <node.h>

#include <cmath>

#include "greenlet/greenlet.h"
#include "v8_methods.h"
#include "hub/hub.h"

namespace verdant::detail {
namespace {

struct HubHolder {
  HubExtension* extension;
  node::AsyncCleanupHookHandle cleanup;
};

// The running hub, or nullptr (none thrown).
Hub* RunningHub(const v8::FunctionCallbackInfo<v8::Value>& info) { return HubExtension::Of(RuntimeOf(info))->hub; }

// The running hub, or nullptr with a TypeError thrown.
Hub* HubOf(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Hub* hub = RunningHub(info);
  if (hub == nullptr) ThrowTypeError(info.GetIsolate(), "the hub is not running on this thread");
  return hub;
}

Greenlet* GreenletArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i) {
  Greenlet* g = info.Length() > i ? RuntimeOf(info)->FromValue(info[i]) : nullptr;
  if (g == nullptr) ThrowTypeError(info.GetIsolate(), "expected a greenlet of this thread");
  return g;
}

bool NumberArg(const v8::FunctionCallbackInfo<v8::Value>& info, int i, double* out) {
  if (info.Length() <= i || !info[i]->IsNumber()) {
    ThrowTypeError(info.GetIsolate(), "expected a number");
    return false;
  }
  *out = info[i].As<v8::Number>()->Value();
  return true;
}

// Seconds to nanoseconds: negative or NaN means "no timeout" (-1).
int64_t Nanoseconds(double seconds) {
  if (!(seconds >= 0)) return -1;
  double ns = std::ceil(seconds * 1e9);
  return ns > 9.2e18 ? INT64_MAX : static_cast<int64_t>(ns);
}

void CloseHub(void* arg, void (*done)(void*), void* done_arg) {
  auto* holder = static_cast<HubHolder*>(arg);
  Hub* hub = holder->extension->hub;
  holder->extension->hub = nullptr;
  hub->Close([hub, holder, done, done_arg] {
    delete hub;
    (void)holder->cleanup.release();  // Node frees the hook's record itself once it has run.
    delete holder;
    done(done_arg);
  });
}

void HubInit(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Runtime* runtime = RuntimeOf(info);
  HubExtension* extension = HubExtension::Of(runtime);
  if (info.Length() < 1 || !info[0]->IsFunction()) return ThrowTypeError(isolate, "hub_init(onStartFailed)");
  if (extension->hub == nullptr) {
    std::string why;
    std::unique_ptr<Poller> poller = CreatePoller(&why);
    if (!poller) return ThrowTypeError(isolate, ("verdant: the hub cannot poll: " + why).c_str());
    uv_loop_t* loop = node::GetCurrentEventLoop(isolate);
    if (loop == nullptr) return ThrowTypeError(isolate, "verdant: no event loop on this thread");
    extension->hub =
        new Hub(runtime, loop, std::move(poller), extension->shared_state, &extension->heartbeat);
    auto* holder = new HubHolder{extension, {}};
    holder->cleanup = node::AddEnvironmentCleanupHook(isolate, CloseHub, holder);
  }
  extension->hub->SetCallbacks(isolate->GetCurrentContext(), info[0].As<v8::Function>());
  info.GetReturnValue().Set(v8::String::NewFromUtf8(isolate, extension->hub->poller_name()).ToLocalChecked());
}

void HubPark(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Hub* hub = HubOf(info);
  double fd, flags, timeout;
  if (hub == nullptr || !NumberArg(info, 0, &fd) || !NumberArg(info, 1, &flags) || !NumberArg(info, 2, &timeout)) return;
  Runtime* runtime = RuntimeOf(info);
  if (runtime->current() == runtime->main()) return ThrowTypeError(info.GetIsolate(), "the main greenlet cannot park");
  info.GetReturnValue().Set(hub->Park(static_cast<int>(fd), static_cast<uint32_t>(flags), Nanoseconds(timeout)));
}

void HubWake(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Hub* hub = HubOf(info);
  Greenlet* g = hub != nullptr ? GreenletArg(info, 0) : nullptr;
  if (g != nullptr) info.GetReturnValue().Set(hub->Wake(g));
}

// The (greenlet, delaySeconds, ref) arguments of hub_schedule and hub_alarm_start; false with a TypeError thrown.
struct DelayedCall {
  Hub* hub;
  Greenlet* g;
  int64_t delay_ns;
  bool ref;
};

bool DelayedCallArgs(const v8::FunctionCallbackInfo<v8::Value>& info, DelayedCall* out) {
  out->hub = HubOf(info);
  out->g = out->hub != nullptr ? GreenletArg(info, 0) : nullptr;
  double delay;
  if (out->g == nullptr || !NumberArg(info, 1, &delay)) return false;
  out->delay_ns = Nanoseconds(delay);
  out->ref = info.Length() < 3 || info[2]->BooleanValue(info.GetIsolate());
  return true;
}

void HubSchedule(const v8::FunctionCallbackInfo<v8::Value>& info) {
  DelayedCall call;
  if (DelayedCallArgs(info, &call)) info.GetReturnValue().Set(call.hub->ScheduleStart(call.g, call.delay_ns, call.ref));
}

void HubPhase(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Hub* hub = HubOf(info);
  Greenlet* g = hub != nullptr ? GreenletArg(info, 0) : nullptr;
  if (g != nullptr) info.GetReturnValue().Set(hub->PhaseOf(g));
}

void HubUnschedule(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Hub* hub = HubOf(info);
  Greenlet* g = hub != nullptr ? GreenletArg(info, 0) : nullptr;
  if (g != nullptr) info.GetReturnValue().Set(hub->Unschedule(g));
}

void HubAlarmStart(const v8::FunctionCallbackInfo<v8::Value>& info) {
  DelayedCall call;
  if (DelayedCallArgs(info, &call)) {
    info.GetReturnValue().Set(call.hub->AlarmStart(call.g, std::max<int64_t>(call.delay_ns, 0), call.ref));
  }
}

void HubAlarmCancel(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Hub* hub = HubOf(info);
  double id;
  if (hub != nullptr && NumberArg(info, 0, &id)) info.GetReturnValue().Set(hub->AlarmCancel(static_cast<uint32_t>(id)));
}

void HubFdClosed(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Hub* hub = HubOf(info);
  double fd;
  if (hub != nullptr && NumberArg(info, 0, &fd)) hub->FdClosed(static_cast<int>(fd));
}

void HubFdOpened(const v8::FunctionCallbackInfo<v8::Value>& info) {
  Hub* hub = RunningHub(info);
  double fd;
  // Before the hub starts there is nothing to forget.
  if (hub != nullptr && NumberArg(info, 0, &fd)) hub->FdOpened(static_cast<int>(fd));
}

// The listings below fill fresh arrays with CreateDataProperty: a plain Set would run setters user code may have
// put on Array.prototype's indices, and a throwing one would abort the process through Check().
v8::Local<v8::Value> WrapperOf(v8::Isolate* isolate, const HubSlot& slot) {
  if (slot.g->wrapper.IsEmpty()) return v8::Null(isolate);
  return slot.g->wrapper.Get(isolate);
}

void HubFdWaiters(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Hub* hub = HubOf(info);
  double fd;
  if (hub == nullptr || !NumberArg(info, 0, &fd)) return;
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> out = v8::Array::New(isolate);
  uint32_t i = 0;
  for (HubSlot* w : hub->FdWaiters(static_cast<int>(fd))) {
    out->CreateDataProperty(context, i++, WrapperOf(isolate, *w)).FromMaybe(false);
    out->CreateDataProperty(context, i++, v8::Integer::NewFromUnsigned(isolate, w->events)).FromMaybe(false);
  }
  info.GetReturnValue().Set(out);
}

void HubListeners(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Hub* hub = HubOf(info);
  if (hub == nullptr) return;
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> out = v8::Array::New(isolate);
  uint32_t i = 0;
  hub->ForEachListener([&](const HubSlot& w) {
    out->CreateDataProperty(context, i++, v8::Integer::New(isolate, w.fd)).FromMaybe(false);
    out->CreateDataProperty(context, i++, v8::Integer::NewFromUnsigned(isolate, w.events)).FromMaybe(false);
    out->CreateDataProperty(context, i++, WrapperOf(isolate, w)).FromMaybe(false);
  });
  info.GetReturnValue().Set(out);
}

void HubTimers(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Hub* hub = HubOf(info);
  if (hub == nullptr) return;
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  v8::Local<v8::Array> out = v8::Array::New(isolate);
  uint32_t i = 0;
  uint64_t now = uv_hrtime();
  hub->ForEachTimer([&](const HubTimer& t) {
    double left = t.deadline > now ? static_cast<double>(t.deadline - now) / 1e9 : 0;
    out->CreateDataProperty(context, i++, v8::Number::New(isolate, left)).FromMaybe(false);
    out->CreateDataProperty(context, i++, v8::Integer::New(isolate, static_cast<int>(t.kind))).FromMaybe(false);
    out->CreateDataProperty(context, i++, WrapperOf(isolate, *t.slot)).FromMaybe(false);
    out->CreateDataProperty(context, i++, v8::Integer::NewFromUnsigned(isolate, t.alarm_id)).FromMaybe(false);
  });
  info.GetReturnValue().Set(out);
}

void HubStats(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  Hub* hub = HubOf(info);
  if (hub == nullptr) return;
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  const HubCounters& c = hub->counters();
  double values[] = {static_cast<double>(c.turns), static_cast<double>(c.resumes), static_cast<double>(c.fd_events),
                     static_cast<double>(c.timers_fired), static_cast<double>(hub->ready_count())};
  v8::Local<v8::Array> out = v8::Array::New(isolate, 5);
  for (uint32_t i = 0; i < 5; i++) out->CreateDataProperty(context, i, v8::Number::New(isolate, values[i])).FromMaybe(false);
  info.GetReturnValue().Set(out);
}

}  // namespace

void InitHubBindings(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target,
                     Runtime* runtime) {
  v8::Local<v8::External> data = v8::External::New(isolate, runtime);
  // The hub is the runtime's extension (hub.h); only it fills a greenlet's attachment.
  HubExtension* extension = HubExtension::Install(runtime);
  if (extension == nullptr) {
    ThrowTypeError(isolate, "verdant: the greenlet runtime already has an extension; the hub cannot attach");
    return;
  }
  // The shared cells live in an ArrayBuffer's backing store, which V8 never moves; the extension keeps a pointer.
  v8::Local<v8::ArrayBuffer> shared = v8::ArrayBuffer::New(isolate, kStateCount * sizeof(int32_t));
  extension->shared_state = static_cast<int32_t*>(shared->Data());
  extension->shared_state_owner = shared->GetBackingStore();
  target->Set(context, v8::String::NewFromUtf8Literal(isolate, "shared_state"), shared).Check();

  SetMethod(isolate, context, target, "hub_init", HubInit, data);
  SetMethod(isolate, context, target, "hub_park", HubPark, data);
  SetMethod(isolate, context, target, "hub_wake", HubWake, data);
  SetMethod(isolate, context, target, "hub_schedule", HubSchedule, data);
  SetMethod(isolate, context, target, "hub_unschedule", HubUnschedule, data);
  SetMethod(isolate, context, target, "hub_phase", HubPhase, data);
  SetMethod(isolate, context, target, "hub_alarm_start", HubAlarmStart, data);
  SetMethod(isolate, context, target, "hub_alarm_cancel", HubAlarmCancel, data);
  SetMethod(isolate, context, target, "hub_fd_closed", HubFdClosed, data);
  SetMethod(isolate, context, target, "hub_fd_opened", HubFdOpened, data);
  SetMethod(isolate, context, target, "hub_fd_waiters", HubFdWaiters, data);
  SetMethod(isolate, context, target, "hub_listeners", HubListeners, data);
  SetMethod(isolate, context, target, "hub_timers", HubTimers, data);
  SetMethod(isolate, context, target, "hub_stats", HubStats, data);
}

}  // namespace verdant::detail
