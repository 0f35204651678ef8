// What the two fcontext backends share: every greenlet of an isolate runs on the isolate's own OS thread, on a
// machine stack of its own (stack.h), switched with boost.context's jump_fcontext (platform/fcontext.h). They
// differ only in how V8's per-thread state follows the greenlet that runs:
//  - record_backend.cc: a compact record per greenlet, archived and restored by V8's own functions (the default);
//  - fcontext_backend.cc: each greenlet a V8 "thread" behind Locker and Unlocker (where the record's internals
//    cannot be validated).
// This base owns the stacks and the heap's stack-start slot, which both keep pointing at the running stack.
#pragma once

#include <v8.h>

#include <cstdint>
#include <string>

#include "greenlet/asan.h"
#include "greenlet/greenlet.h"
#include "greenlet/internals.h"
#include "greenlet/stack.h"
#include "platform/fcontext.h"

namespace verdant::detail {

#if VERDANT_HAVE_FCONTEXT

// A greenlet's machine stack and where it was suspended.
struct Fiber {
  Stack stack;
  // Where the greenlet was suspended (valid while it is not running).
  fcontext::fcontext_t context = nullptr;
  AsanStack asan;
};

class FiberBackend : public Backend {
 public:
  FiberBackend(v8::Isolate* isolate, uintptr_t* stack_start_slot)
      : isolate_(isolate), stack_start_slot_(stack_start_slot) {}

  const char* name() const override { return "fcontext"; }

  void Attach(Runtime* runtime) override {
    Backend::Attach(runtime);
    isolate_->AddGCPrologueCallback(&FiberBackend::BeforeGC, this, v8::kGCTypeAll);
  }

  StackAllocatorStats stack_stats() const override { return stacks_.stats(); }
  void set_stack_pool_limit(size_t limit) override { stacks_.set_pool_limit(limit); }
  void TrimStackPool() override { stacks_.Trim(); }

 protected:
  // Gives a never-started greenlet its stack, with `entry` as the frame the first jump lands in, and sets the
  // stack bounds the runtime restores on every switch.
  bool PrepareFiber(Greenlet* g, Fiber* fiber, void (*entry)(fcontext::transfer_t), std::string* why) {
    // The margin lies below what the greenlet's JS may use, as on the threads backend.
    if (!stacks_.Allocate(g->stack_size + runtime_->stack_margin, &fiber->stack, why)) return false;
    fiber->context = make_fcontext(reinterpret_cast<void*>(fiber->stack.top), fiber->stack.usable_size(), entry);
    fiber->asan.bottom = reinterpret_cast<const void*>(fiber->stack.base);
    fiber->asan.size = fiber->stack.usable_size();
    g->stack_limit = fiber->stack.base + runtime_->stack_margin;
    g->stack_start = fiber->stack.top;
    return true;
  }

  void ReleaseStack(Fiber* fiber) {
    if (fiber->stack.allocated()) stacks_.Release(&fiber->stack);
  }

  // cppgc and conservative stack scanning walk from sp up to this slot: it must name the running stack's top.
  void PointStackStartAt(Greenlet* g) { *stack_start_slot_ = g->stack_start; }
  uintptr_t stack_start() const { return *stack_start_slot_; }

  v8::Isolate* isolate_;

 private:
  // Before every collection: whatever entered the isolate since the last switch (Isolate::Enter resets the stack
  // start to the OS thread's), the conservative stack scan must cover the running greenlet's stack and no more.
  static void BeforeGC(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) {
    auto* self = static_cast<FiberBackend*>(data);
    Greenlet* current = self->runtime_->current();
    if (current != nullptr) self->PointStackStartAt(current);
  }

  uintptr_t* stack_start_slot_;
  StackAllocator stacks_;
};

#endif  // VERDANT_HAVE_FCONTEXT

// The two ways of carrying V8's per-thread state, each built only once its internals are validated.
std::unique_ptr<Backend> CreateRecordBackend(v8::Isolate* isolate, const V8Internals& internals);
std::unique_ptr<Backend> CreateV8ThreadBackend(v8::Isolate* isolate, const V8Internals& internals);

}  // namespace verdant::detail
