// The fcontext backend's fallback rung, for a Node whose compact-record internals cannot be validated
// (record_backend.cc is the default): V8 is kept consistent by making each greenlet a V8 "thread". Switching out is
// a v8::Unlocker (V8 archives the thread lazily), switching in ends the target's Unlocker (or, on its first entry,
// is its v8::Locker): V8 restores its handle scopes, ThreadLocalTop, StackGuard, Debug state. What V8 keys its
// threads by is a C++ thread_local, so before each jump we write the target's V8 thread id into it.
//
// Every switch passes through a relay: one small stack per isolate on which the target's Unlocker is ended. V8's
// restore walks the JS stack and keeps 4-5 KB of frames (Debug::RestoreDebug, DebugScope); run on the target's
// own stack, that would fault in two more pages on every greenlet that ever resumes, which is most of what an
// idle connection costs. On the relay those pages are shared by all greenlets. The relay also frees the stack
// of a finished greenlet, which cannot free its own while standing on it.
// See docs/internals.md.
#include <cstdlib>
#include <new>
#include <vector>

#include "greenlet/fiber_backend.h"
#include "greenlet/internals.h"

namespace verdant::detail {

#if VERDANT_HAVE_FCONTEXT
namespace {

struct ThreadFiber : Fiber {
  // Its V8 thread id; 0 until V8 hands one out on first entry.
  int v8_thread_id = 0;
  // While suspended in Switch: the Unlocker through which it gave up the isolate. The relay ends it just before
  // jumping back here, so the greenlet resumes with the isolate locked and its V8 thread restored. Null for a
  // greenlet that has never been suspended (its Entry takes the lock itself).
  v8::Unlocker* unlocker = nullptr;
};

// What a greenlet asks of the relay: leave `from` (finished, or suspended at the context the jump saves) for `to`.
struct Hop {
  Greenlet* from;
  Greenlet* to;
};

ThreadFiber* FiberOf(Greenlet* g) { return static_cast<ThreadFiber*>(g->backend_data); }

class V8ThreadBackend final : public FiberBackend {
 public:
  V8ThreadBackend(v8::Isolate* isolate, const V8Internals& internals)
      : FiberBackend(isolate, StackStartSlot(isolate, internals)), thread_id_slot_(ThreadIdSlot(internals)) {}

  ~V8ThreadBackend() override {
    if (relay_stack_.allocated()) relay_stacks_.Release(&relay_stack_);
  }

  const char* state_switch() const override { return "v8-thread"; }

  void AttachMain(Greenlet* main) override {
    auto* fiber = new ThreadFiber();
    fiber->v8_thread_id = *thread_id_slot_;
    main->backend_data = fiber;
    main->stack_start = stack_start();
  }

  bool Prepare(Greenlet* g, std::string* why) override {
    if (g->state != GreenletState::kNew) return true;
    if (!relay_stack_.allocated() && !StartRelay(why)) return false;
    auto* fiber = new ThreadFiber();
    if (!PrepareFiber(g, fiber, &V8ThreadBackend::Entry, why)) {
      delete fiber;
      return false;
    }
    if (!free_thread_ids_.empty()) {
      fiber->v8_thread_id = free_thread_ids_.back();
      free_thread_ids_.pop_back();
    }
    g->backend_data = fiber;
    return true;
  }

  // Precondition: on from's stack, isolate locked by from, runtime current already `to`.
  // After switch: control is back on from's stack, locked for from, OnGainControl(from) done; every local of
  // this frame is still valid because nothing else ever runs on this stack.
  // Tested by test/runtime/greenlet.test.ts and test/stress/gc.test.ts.
  void Switch(Greenlet* from, Greenlet* to) override {
    // The Unlocker lives in this frame but is ended by the relay (RelayLoop), never by this scope.
    alignas(v8::Unlocker) unsigned char unlocker_storage[sizeof(v8::Unlocker)];
    FiberOf(from)->unlocker = new (unlocker_storage) v8::Unlocker(isolate_);
    Hop hop{from, to};
    LandFromRelay(from, JumpToRelay(&FiberOf(from)->asan, &hop));
    // Restoring a thread re-enters the isolate (Debug::RestoreDebug), and from V8 12 on Isolate::Enter resets the
    // stack start to the OS thread's: point it back at this greenlet's stack.
    PointStackStartAt(from);
    runtime_->OnGainControl(from);
  }

  void Release(Greenlet* g) override {
    ThreadFiber* fiber = FiberOf(g);
    if (fiber == nullptr || g->is_main) return;
    ReleaseStack(fiber);
    delete fiber;
    g->backend_data = nullptr;
  }

 private:
  // V8's restore path needs about 5 KB; the rest is headroom for what a debugger session adds to it.
  static constexpr size_t kRelayStackSize = 64 * 1024;

  bool StartRelay(std::string* why) {
    if (!relay_stacks_.Allocate(kRelayStackSize, &relay_stack_, why)) return false;
    relay_context_ = make_fcontext(reinterpret_cast<void*>(relay_stack_.top), relay_stack_.usable_size(),
                                   &V8ThreadBackend::RelayLoop);
    relay_asan_.bottom = reinterpret_cast<const void*>(relay_stack_.base);
    relay_asan_.size = relay_stack_.usable_size();
    return true;
  }

  // `from` is null when the jumper is finished and will never be resumed.
  fcontext::transfer_t JumpToRelay(AsanStack* from, Hop* hop) {
    AsanBeforeSwitch(from, relay_asan_);
    return jump_fcontext(relay_context_, hop);
  }

  // First thing on a greenlet's stack after the relay jumped to it: the relay's context is where it will take
  // the next hop.
  void LandFromRelay(Greenlet* self, fcontext::transfer_t back) {
    AsanAfterSwitch(&FiberOf(self)->asan, nullptr);
    relay_context_ = back.fctx;
  }

  // The relay's whole life: take a hop, settle the greenlet that left, hand the isolate to the target, jump
  // there; the next hop resumes here. Never returns.
  static void RelayLoop(fcontext::transfer_t arrival) {
    for (;;) {
      const Hop hop = *static_cast<Hop*>(arrival.data);  // copied: a finished jumper's stack is freed below
      auto* self = static_cast<V8ThreadBackend*>(hop.to->runtime->backend());
      bool from_finished = hop.from->state == GreenletState::kDead;
      // The jumper's stack bounds are learnt here when it had none yet (main's).
      AsanAfterSwitch(&self->relay_asan_, from_finished ? nullptr : &FiberOf(hop.from)->asan);
      if (from_finished) {
        self->Release(hop.from);
      } else {
        FiberOf(hop.from)->context = arrival.fctx;
      }
      ThreadFiber* target = FiberOf(hop.to);
      *self->thread_id_slot_ = target->v8_thread_id;
      if (target->unlocker != nullptr) {
        v8::Unlocker* unlocker = target->unlocker;
        target->unlocker = nullptr;
        unlocker->~Unlocker();  // V8 relocks, archives whoever ran last, restores the target's thread.
      }
      AsanBeforeSwitch(&self->relay_asan_, target->asan);
      arrival = jump_fcontext(target->context, self);  // Entry finds its backend in the data
    }
  }

  // The bottom frame of every greenlet stack; the relay's first jump here starts the greenlet. Never returns: a
  // finished greenlet hops to the next one, and the relay frees this stack.
  static void Entry(fcontext::transfer_t first) {
    auto* self_backend = static_cast<V8ThreadBackend*>(first.data);
    Runtime* runtime = self_backend->runtime_;
    Greenlet* self = runtime->current();
    self_backend->LandFromRelay(self, first);
    ThreadFiber* fiber = FiberOf(self);
    Greenlet* next;
    {
      // A V8 thread id with no archived state: Locker takes V8's "new thread" path.
      v8::Locker locker(self_backend->isolate_);
      self_backend->PointStackStartAt(self);
      fiber->v8_thread_id = *self_backend->thread_id_slot_;
      runtime->OnGainControl(self);
      next = runtime->RunEntry(self);
    }  // ~Locker frees this V8 thread's resources.
    self_backend->isolate_->DiscardThreadSpecificMetadata();
    // V8's thread id counter is 31 bits and CHECK-fails when exhausted; reuse ours.
    self_backend->free_thread_ids_.push_back(fiber->v8_thread_id);
    runtime->set_current(next);
    Hop hop{self, next};
    self_backend->JumpToRelay(nullptr, &hop);
    std::abort();  // Unreachable: nothing ever jumps back to a finished greenlet.
  }

  int* thread_id_slot_;
  std::vector<int> free_thread_ids_;
  // The relay has a stack of its own, outside the greenlets' pool, counts and budget.
  StackAllocator relay_stacks_{StackAllocator::Budget::kExempt};
  Stack relay_stack_;
  fcontext::fcontext_t relay_context_ = nullptr;
  AsanStack relay_asan_;
};

}  // namespace

std::unique_ptr<Backend> CreateV8ThreadBackend(v8::Isolate* isolate, const V8Internals& internals) {
  return std::make_unique<V8ThreadBackend>(isolate, internals);
}

// The fast backend, with the lightest way of carrying V8's per-thread state that validates here: the compact
// record, else a V8 thread per greenlet, else none (the caller then uses the threads backend).
std::unique_ptr<Backend> CreateFcontextBackend(v8::Isolate* isolate, bool record_allowed, std::string* why) {
  V8Internals internals;
  if (!ResolveV8Internals(isolate, &internals, why)) return nullptr;
  if (record_allowed && internals.has_record) return CreateRecordBackend(isolate, internals);
  std::string record_why = record_allowed ? internals.record_why : "VERDANT_BACKEND=v8-thread";
  if (!v8::Locker::IsLocked(isolate)) {
    *why = "the compact record is not usable (" + record_why +
           ") and the isolate is not held through a v8::Locker, so it cannot be handed between greenlet stacks";
    return nullptr;
  }
  std::unique_ptr<Backend> backend = CreateV8ThreadBackend(isolate, internals);
  backend->state_switch_why = record_why;
  return backend;
}

#else  // no fcontext for this target

std::unique_ptr<Backend> CreateFcontextBackend(v8::Isolate*, bool, std::string* why) {
  *why = "no fcontext stack switch for this architecture";
  return nullptr;
}

#endif

}  // namespace verdant::detail
