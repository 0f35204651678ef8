// A test hook for the one thing the switching backends must get right that no JS test can see: cppgc's
// conservative scan of the running machine stack. The probe is a cppgc object referenced only from this C++
// frame; if the heap's stack-start slot pointed at another stack, a full GC would either miss the reference (and
// free the probe) or walk off into unmapped memory. Tested by test/runtime/cppgc.test.ts.
#include "testing/cppgc_probe.h"

#include <cppgc/allocation.h>
#include <cppgc/garbage-collected.h>
#include <cppgc/persistent.h>
#include <cppgc/visitor.h>
#include <v8-cppgc.h>

namespace verdant::testing {
namespace {

constexpr uint64_t kMagic = 0x76657264616e74ull;  // "verdant"

class Probe final : public cppgc::GarbageCollected<Probe> {
 public:
  void Trace(cppgc::Visitor*) const {}
  uint64_t magic = kMagic;
};

// probe(callback, scanStack): allocates a probe, calls callback() (which may collect garbage from JS) while the
// probe is referenced only from this frame, then runs a full cppgc collection that scans the running stack
// conservatively (scanStack true) or assumes it holds no heap pointers (false: the control, where the probe must
// be freed). V8 aborts the process if this runs without --expose-gc; the caller checks. Returns whether the probe survived intact, or undefined when the isolate has no C++ heap.
void ProbeCall(const v8::FunctionCallbackInfo<v8::Value>& info) {
  v8::Isolate* isolate = info.GetIsolate();
  v8::CppHeap* heap = isolate->GetCppHeap();
  if (heap == nullptr || info.Length() < 2 || !info[0]->IsFunction()) return;
  const bool scan_stack = info[1]->BooleanValue(isolate);
  // Volatile so the only reference lives in this stack frame's memory, not just in a register.
  Probe* volatile on_stack = cppgc::MakeGarbageCollected<Probe>(heap->GetAllocationHandle());
  cppgc::WeakPersistent<Probe> watch(on_stack);
  v8::Local<v8::Context> context = isolate->GetCurrentContext();
  if (info[0].As<v8::Function>()->Call(context, v8::Undefined(isolate), 0, nullptr).IsEmpty()) return;
  heap->CollectGarbageForTesting(scan_stack ? cppgc::EmbedderStackState::kMayContainHeapPointers
                                            : cppgc::EmbedderStackState::kNoHeapPointers);
  bool survived = watch.Get() != nullptr && on_stack->magic == kMagic;
  info.GetReturnValue().Set(survived);
}

}  // namespace

void InitCppgcProbe(v8::Isolate* isolate, v8::Local<v8::Context> context, v8::Local<v8::Object> target) {
  v8::Local<v8::String> name = v8::String::NewFromUtf8Literal(isolate, "testing_cppgc_probe");
  v8::Local<v8::Function> fn = v8::Function::New(context, ProbeCall).ToLocalChecked();
  target->Set(context, name, fn).Check();
}

}  // namespace verdant::testing
