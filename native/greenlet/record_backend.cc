// The default fcontext backend: every greenlet is the isolate's own V8 thread, and what V8 keeps per thread is
// carried per greenlet in a compact record, swapped on every switch by V8's own archive and restore functions:
//  - the handle scopes (HandleScopeImplementer: its blocks, entered and saved contexts);
//  - the ThreadLocalTop (the JS frames' entry and exit points, the handler chain, the current context, the TryCatch
//    chain, the external callback scope, the VM state);
//  - the Relocatable chain (C++ objects on the stack that hold raw heap pointers).
// Everything else stays shared, on purpose: the StackGuard (interrupts and termination requests reach whichever
// greenlet runs; the stack limit is set on every switch by the runtime), Debug, the RegExp stack and the
// Bootstrapper (neither a regexp nor bootstrapping can be under way at a switch).
//
// The record is a V8 ThreadState, taken from the ThreadManager's own allocator. While its greenlet is suspended it
// sits in the manager's in-use list, which is where the GC, the deoptimizer and code flushing find the frames and
// handles of threads that are not running: that is what keeps a suspended greenlet's stack visited and updated.
// No Locker, no Unlocker, no V8 thread ids, no Debug restore: a round trip costs two archives, two restores and
// two jumps. See docs/internals.md.
#include <malloc.h>

#include <cstdlib>
#include <cstring>

#include "greenlet/fiber_backend.h"
#include "greenlet/internals.h"

namespace verdant::detail {

#if VERDANT_HAVE_FCONTEXT
namespace {

struct RecordFiber : Fiber {
  // The greenlet's ThreadState and its archive space (V8 allocates and, at isolate teardown, frees both).
  void* state = nullptr;
  char* data = nullptr;
};

// What a jump carries: the greenlet that leaves (finished, or suspended where the jump saved its context).
struct Hop {
  Greenlet* from;
};

RecordFiber* FiberOf(Greenlet* g) { return static_cast<RecordFiber*>(g->backend_data); }

class RecordBackend final : public FiberBackend {
 public:
  RecordBackend(v8::Isolate* isolate, const V8Internals& internals)
      : FiberBackend(isolate, StackStartSlot(isolate, internals)), v8_(internals.record) {}

  const char* state_switch() const override { return "record"; }

  void AttachMain(Greenlet* main) override {
    auto* fiber = new RecordFiber();
    // Main's record is taken before any greenlet runs; V8's allocator only fails by aborting the process.
    TakeRecord(fiber);
    main->backend_data = fiber;
    main->stack_start = stack_start();
  }

  bool Prepare(Greenlet* g, std::string* why) override {
    if (g->state != GreenletState::kNew) return true;
    auto* fiber = new RecordFiber();
    if (!PrepareFiber(g, fiber, &RecordBackend::Entry, why)) {
      delete fiber;
      return false;
    }
    TakeRecord(fiber);
    g->backend_data = fiber;
    return true;
  }

  // Precondition: on from's stack, runtime current already `to`. Returns when something switches back, with from's
  // record restored and OnGainControl(from) done.
  void Switch(Greenlet* from, Greenlet* to) override {
    RecordFiber* fiber = FiberOf(from);
    Archive(fiber);
    Hop hop{from};
    AsanBeforeSwitch(&fiber->asan, FiberOf(to)->asan);
    Land(from, jump_fcontext(FiberOf(to)->context, &hop));
    Restore(fiber);
    PointStackStartAt(from);
    runtime_->OnGainControl(from);
  }

  void Shutdown() override {
    FiberBackend::Shutdown();
    // Main's record is unlinked while main runs; a worker that comes and goes would otherwise leave it behind.
    // Suspended greenlets' records stay in the in-use list, where the ThreadManager frees them with the isolate.
    Greenlet* main = runtime_->main();
    if (main != nullptr && runtime_->current() == main && FiberOf(main)->state != nullptr) {
      v8_.link_thread_state(FiberOf(main)->state, V8RecordInternals::kFreeList);
      FiberOf(main)->state = nullptr;
    }
  }

  void Release(Greenlet* g) override {
    RecordFiber* fiber = FiberOf(g);
    if (fiber == nullptr || g->is_main) return;
    ReleaseStack(fiber);
    if (fiber->state != nullptr) v8_.link_thread_state(fiber->state, V8RecordInternals::kFreeList);
    delete fiber;
    g->backend_data = nullptr;
  }

 private:
  void TakeRecord(RecordFiber* fiber) {
    fiber->state = v8_.get_free_thread_state(v8_.thread_manager);
    v8_.unlink_thread_state(fiber->state);  // it came from the free list (or was made unlinked)
    fiber->data = *reinterpret_cast<char**>(static_cast<char*>(fiber->state) + v8_.thread_state_data_offset);
    // The GC reads more of an archive than the three parts a switch writes (Debug's part, which a greenlet
    // shares): zero reads there as Smi zero, which the GC skips. The parts a switch writes are written before the
    // record is ever linked where the GC looks.
    std::memset(fiber->data + v8_.archive_bytes, 0, malloc_usable_size(fiber->data) - v8_.archive_bytes);
  }

  // V8's ThreadManager::EagerlyArchiveThread, restricted to the three parts a greenlet carries, in V8's order.
  void Archive(RecordFiber* fiber) {
    char* to = v8_.archive_handle_scopes(v8_.handle_scope_implementer, fiber->data);
    to = v8_.archive_thread_local_top(isolate_, to);
    v8_.archive_relocatables(isolate_, to);
    v8_.link_thread_state(fiber->state, V8RecordInternals::kInUseList);
  }

  void Restore(RecordFiber* fiber) {
    v8_.unlink_thread_state(fiber->state);
    char* from = v8_.restore_handle_scopes(v8_.handle_scope_implementer, fiber->data);
    from = v8_.restore_thread_local_top(isolate_, from);
    v8_.restore_relocatables(isolate_, from);
  }

  // First thing on a greenlet's stack after a jump: note where the one that left was suspended, or give back its
  // stack if it finished (it cannot free the stack it stood on).
  void Land(Greenlet* self, fcontext::transfer_t arrival) {
    Greenlet* left = static_cast<Hop*>(arrival.data)->from;  // read before its stack goes
    bool finished = left->state == GreenletState::kDead;
    AsanAfterSwitch(&FiberOf(self)->asan, finished ? nullptr : &FiberOf(left)->asan);
    if (finished) {
      Release(left);
    } else {
      FiberOf(left)->context = arrival.fctx;
    }
  }

  // The bottom frame of every greenlet stack. Never returns: a finished greenlet jumps to the next one, whose
  // landing frees this stack.
  static void Entry(fcontext::transfer_t first) {
    Runtime* runtime = static_cast<Hop*>(first.data)->from->runtime;
    auto* self_backend = static_cast<RecordBackend*>(runtime->backend());
    Greenlet* self = runtime->current();
    self_backend->Land(self, first);
    // The greenlet that left archived its handle scopes (which leaves them empty) or freed them; its
    // ThreadLocalTop must not be chained to: this stack starts a fresh one, as a new V8 thread would.
    self_backend->v8_.initialize_thread_local_top(self_backend->isolate_);
    self_backend->PointStackStartAt(self);
    runtime->OnGainControl(self);
    Greenlet* next = runtime->RunEntry(self);
    // No frame of this greenlet holds a handle any more: give back its handle blocks before the next restore
    // overwrites the pointers to them.
    self_backend->v8_.free_handle_scopes(self_backend->v8_.handle_scope_implementer);
    runtime->set_current(next);
    Hop hop{self};
    AsanBeforeSwitch(nullptr, FiberOf(next)->asan);
    jump_fcontext(FiberOf(next)->context, &hop);
    std::abort();  // Unreachable: nothing ever jumps back to a finished greenlet.
  }

  V8RecordInternals v8_;
};

}  // namespace

std::unique_ptr<Backend> CreateRecordBackend(v8::Isolate* isolate, const V8Internals& internals) {
  return std::make_unique<RecordBackend>(isolate, internals);
}

#endif  // VERDANT_HAVE_FCONTEXT

}  // namespace verdant::detail
