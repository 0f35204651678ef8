// The fast backend: every greenlet of an isolate runs on the isolate's own OS thread, on a machine stack of its
// own, switched with boost.context's jump_fcontext. V8 is kept consistent by making each greenlet a V8 "thread":
// switching out is a v8::Unlocker (V8 archives the thread lazily), switching in is the target's v8::Locker or the
// end of its own Unlocker (V8 restores its handle scopes, ThreadLocalTop, StackGuard, Debug state). What V8 keys
// its threads by is a C++ thread_local, so before each jump we write the target's V8 thread id into it, and we
// point the heap's stack-start slot at the target's stack so cppgc scans the right one.
// See ../../shared/design/greenlet-mechanism.md and docs/internals.md.
#include <boost/context/detail/fcontext.hpp>

#include <cstdlib>
#include <vector>

#include "greenlet/asan.h"
#include "greenlet/greenlet.h"
#include "greenlet/internals.h"
#include "greenlet/stack.h"

namespace verdant::detail {
namespace {

namespace bctx = boost::context::detail;

struct Fiber {
  Stack stack;
  // Where the greenlet was suspended (valid while it is not running).
  bctx::fcontext_t context = nullptr;
  // Its V8 thread id; 0 until V8 hands one out on first entry.
  int v8_thread_id = 0;
  AsanStack asan;
};

Fiber* FiberOf(Greenlet* g) { return static_cast<Fiber*>(g->backend_data); }

class FcontextBackend final : public Backend {
 public:
  FcontextBackend(v8::Isolate* isolate, const V8Internals& internals)
      : isolate_(isolate),
        thread_id_slot_(ThreadIdSlot(internals)),
        stack_start_slot_(StackStartSlot(isolate, internals)) {}

  const char* name() const override { return "fcontext"; }

  void Attach(Runtime* runtime) override {
    Backend::Attach(runtime);
    isolate_->AddGCPrologueCallback(&FcontextBackend::BeforeGC, this, v8::kGCTypeAll);
  }

  void AttachMain(Greenlet* main) override {
    Fiber* fiber = new Fiber();
    fiber->v8_thread_id = *thread_id_slot_;
    main->backend_data = fiber;
    main->stack_start = *stack_start_slot_;
  }

  bool Prepare(Greenlet* g, std::string* why) override {
    if (g->state != GreenletState::kNew) return true;
    Fiber* fiber = new Fiber();
    // The margin lies below what the greenlet's JS may use, as on the threads backend.
    if (!stacks_.Allocate(g->stack_size + runtime_->stack_margin, &fiber->stack, why)) {
      delete fiber;
      return false;
    }
    fiber->context = bctx::make_fcontext(reinterpret_cast<void*>(fiber->stack.top),
                                         fiber->stack.usable_size(), &FcontextBackend::Entry);
    if (!free_thread_ids_.empty()) {
      fiber->v8_thread_id = free_thread_ids_.back();
      free_thread_ids_.pop_back();
    }
    fiber->asan.bottom = reinterpret_cast<const void*>(fiber->stack.base);
    fiber->asan.size = fiber->stack.usable_size();
    g->backend_data = fiber;
    g->stack_limit = fiber->stack.base + runtime_->stack_margin;
    g->stack_start = fiber->stack.top;
    return true;
  }

  // Precondition: on from's stack, isolate locked by from, runtime current already `to`.
  // After switch: control is back on from's stack, locked for from, OnGainControl(from) done; every local of
  // this frame is still valid because nothing else ever runs on this stack.
  // Tested by test/runtime/greenlet.test.ts and test/stress/gc.test.ts.
  void Switch(Greenlet* from, Greenlet* to) override {
    {
      v8::Unlocker unlocker(isolate_);
      bctx::transfer_t back = JumpTo(to, from);
      AfterJump(from, back);
    }  // ~Unlocker: V8 relocks and restores from's archived thread.
    // Restoring a thread re-enters the isolate (Debug::RestoreDebug), and from V8 12 on Isolate::Enter resets the
    // stack start to the OS thread's: point it back at this greenlet's stack.
    *stack_start_slot_ = from->stack_start;
    runtime_->OnGainControl(from);
  }

  void Release(Greenlet* g) override {
    Fiber* fiber = FiberOf(g);
    if (fiber == nullptr || g->is_main) return;
    stacks_.Release(&fiber->stack);
    delete fiber;
    g->backend_data = nullptr;
  }

  StackAllocatorStats stack_stats() const override { return stacks_.stats(); }
  void set_stack_pool_limit(size_t limit) override { stacks_.set_pool_limit(limit); }
  void TrimStackPool() override { stacks_.Trim(); }

 private:
  bctx::transfer_t JumpTo(Greenlet* to, Greenlet* from) {
    *thread_id_slot_ = FiberOf(to)->v8_thread_id;
    AsanBeforeSwitch(from->state == GreenletState::kDead ? nullptr : &FiberOf(from)->asan, FiberOf(to)->asan);
    return bctx::jump_fcontext(FiberOf(to)->context, from);
  }

  // Before every collection: whatever entered the isolate since the last switch (Isolate::Enter resets the stack
  // start to the OS thread's), the conservative stack scan must cover the running greenlet's stack and no more.
  static void BeforeGC(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) {
    auto* self = static_cast<FcontextBackend*>(data);
    Greenlet* current = self->runtime_->current();
    if (current != nullptr) *self->stack_start_slot_ = current->stack_start;
  }

  // Runs first thing on whichever stack a jump lands on: remembers where the jumper stopped, or, if the jumper
  // has finished, frees the stack it can no longer be standing on.
  void AfterJump(Greenlet* self, bctx::transfer_t back) {
    Greenlet* jumper = static_cast<Greenlet*>(back.data);
    AsanAfterSwitch(&FiberOf(self)->asan, jumper->state == GreenletState::kDead ? nullptr : &FiberOf(jumper)->asan);
    if (jumper->state == GreenletState::kDead) {
      Release(jumper);
    } else {
      FiberOf(jumper)->context = back.fctx;
    }
  }

  // The bottom frame of every greenlet stack. Never returns: a finished greenlet jumps to the next one, which
  // releases this stack.
  static void Entry(bctx::transfer_t first) {
    Greenlet* jumper = static_cast<Greenlet*>(first.data);
    Runtime* runtime = jumper->runtime;
    auto* self_backend = static_cast<FcontextBackend*>(runtime->backend());
    Greenlet* self = runtime->current();
    self_backend->AfterJump(self, first);
    Fiber* fiber = FiberOf(self);
    Greenlet* next;
    {
      // A V8 thread id with no archived state: Locker takes V8's "new thread" path.
      v8::Locker locker(self_backend->isolate_);
      *self_backend->stack_start_slot_ = self->stack_start;
      fiber->v8_thread_id = *self_backend->thread_id_slot_;
      runtime->OnGainControl(self);
      next = runtime->RunEntry(self);
    }  // ~Locker frees this V8 thread's resources.
    self_backend->isolate_->DiscardThreadSpecificMetadata();
    // V8's thread id counter is 31 bits and CHECK-fails when exhausted; reuse ours.
    self_backend->free_thread_ids_.push_back(fiber->v8_thread_id);
    runtime->set_current(next);
    self_backend->JumpTo(next, self);
    std::abort();  // Unreachable: nothing ever jumps back to a finished greenlet.
  }

  v8::Isolate* isolate_;
  int* thread_id_slot_;
  uintptr_t* stack_start_slot_;
  StackAllocator stacks_;
  std::vector<int> free_thread_ids_;
};

}  // namespace

std::unique_ptr<Backend> CreateFcontextBackend(v8::Isolate* isolate, std::string* why) {
  if (!v8::Locker::IsLocked(isolate)) {
    *why = "the isolate is not held through a v8::Locker, so it cannot be handed between greenlet stacks";
    return nullptr;
  }
  V8Internals internals;
  if (!ResolveV8Internals(isolate, &internals, why)) return nullptr;
  return std::make_unique<FcontextBackend>(isolate, internals);
}

}  // namespace verdant::detail
