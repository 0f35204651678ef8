// The portable backend: public V8 API only. Each greenlet runs on an OS thread of its own and a switch hands the
// isolate over: the running thread leaves it (Isolate::Exit, v8::Unlocker), wakes the target and parks; the
// target relocks (v8::Locker or the end of its Unlocker) and re-enters. Only one thread ever runs JS at a time, so
// green code sees the same single-threaded semantics as with the fcontext backend, at a higher switch cost and an
// OS thread per started greenlet. It is what runs when the fcontext backend cannot validate V8's internals.
//
// Three rules from the design note, each a crash or corruption when broken:
//  - every thread, main included, calls Isolate::Exit before parking and Enter after relocking;
//  - every thread sets its own stack limit when it gains control (Runtime::OnGainControl), main included;
//  - switching out inside an async scope is refused by Runtime::SwitchTo, as with fcontext.
#include <pthread.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "greenlet/greenlet.h"
#include "platform/posix.h"

namespace verdant::detail {
namespace {

// A parking spot: a thread waits here until another hands it the isolate.
class Baton {
 public:
  void Post() {
    // seq_cst: notify_one skips the wake if its waiter-count load reads 0; only seq_cst keeps that load after this.
    ready_.store(1, std::memory_order_seq_cst);
    ready_.notify_one();
  }

  void Wait() {
    // The thread we just woke often hands control straight back (a ping-pong between two greenlets) within a few
    // microseconds; spinning briefly then saves a futex sleep and wake-up, tens of microseconds on a VM. The spin
    // is bounded in time, not in iterations: when many greenlets take turns, the one switching out will not run
    // again soon, and a long spin only burns the core the next greenlet needs (a 20000-pause spin cost 500 µs per
    // switch on a 2-core VM, which made sleep(0) among 100 greenlets take 0.5 ms).
    const auto give_up = std::chrono::steady_clock::now() + kSpinFor;
    for (int i = 1;; i++) {
      // acquire pairs with Post: what the poster wrote before handing over the isolate is visible from here on.
      if (ready_.load(std::memory_order_acquire) != 0) {
        // relaxed: only this thread resets it, and the next 1 can only follow this thread's next Post (a release).
        ready_.store(0, std::memory_order_relaxed);
        return;
      }
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#elif defined(__aarch64__)
      __asm__ __volatile__("yield");
#endif
      if (i % 64 == 0 && std::chrono::steady_clock::now() >= give_up) break;
    }
    // seq_cst: the re-check after wait() counts this thread as a waiter must not miss a Post that saw no waiter.
    while (ready_.load(std::memory_order_acquire) == 0) ready_.wait(0, std::memory_order_seq_cst);
    ready_.store(0, std::memory_order_relaxed);
  }

 private:
  static constexpr std::chrono::microseconds kSpinFor{20};
  std::atomic<int> ready_{0};
};

struct GreenThread {
  Baton baton;
};

GreenThread* ThreadOf(Greenlet* g) { return static_cast<GreenThread*>(g->backend_data); }

class ThreadsBackend final : public Backend {
 public:
  explicit ThreadsBackend(v8::Isolate* isolate) : isolate_(isolate) {}

  const char* name() const override { return "threads"; }

  void AttachMain(Greenlet* main) override { main->backend_data = new GreenThread(); }

  bool Prepare(Greenlet* g, std::string* why) override {
    if (g->state != GreenletState::kNew) return true;
    // A thread stack costs two mappings, as a mapped fcontext stack does: the budget of that layout holds.
    if (live_threads_ >= StackBudget(StackCost::kTwoMappings)) {
      *why = StackBudgetExhausted(StackCost::kTwoMappings, "greenlet threads are running");
      return false;
    }
    auto* thread = new GreenThread();
    g->backend_data = thread;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, g->stack_size + runtime_->stack_margin);
    pthread_t tid;
    int err = pthread_create(&tid, &attr, &ThreadsBackend::Entry, g);
    pthread_attr_destroy(&attr);
    if (err != 0) {
      delete thread;
      g->backend_data = nullptr;
      *why = std::string("cannot start a thread for a greenlet (threads backend): ") + std::strerror(err);
      return false;
    }
    live_threads_++;
    return true;
  }

  // Precondition: isolate locked and entered by `from`'s thread; runtime current already `to`.
  // After switch: `from` holds the isolate again, entered, with OnGainControl(from) done.
  // Tested by test/runtime/greenlet.test.ts under VERDANT_BACKEND=threads.
  void Switch(Greenlet* from, Greenlet* to) override {
    isolate_->Exit();
    {
      v8::Unlocker unlocker(isolate_);
      ThreadOf(to)->baton.Post();
      ThreadOf(from)->baton.Wait();
    }
    isolate_->Enter();
    ReleaseFinished();
    runtime_->OnGainControl(from);
  }

  StackAllocatorStats stack_stats() const override {
    StackAllocatorStats stats;
    stats.live = live_threads_;
    stats.max_stacks = StackBudget(StackCost::kTwoMappings);
    return stats;
  }

  void Release(Greenlet* g) override {
    GreenThread* thread = ThreadOf(g);
    if (thread == nullptr || g->is_main) return;
    live_threads_--;  // Every non-main record here got its thread in Prepare.
    delete thread;
    g->backend_data = nullptr;
  }

 private:
  static void* Entry(void* arg) {
    auto* self = static_cast<Greenlet*>(arg);
    Runtime* runtime = self->runtime;
    auto* backend = static_cast<ThreadsBackend*>(runtime->backend());
    v8::Isolate* isolate = backend->isolate_;
    ThreadOf(self)->baton.Wait();

    self->stack_limit = OwnStackLimit(self->stack_size, runtime->stack_margin);
    Greenlet* next;
    {
      v8::Locker locker(isolate);
      v8::Isolate::Scope isolate_scope(isolate);
      backend->ReleaseFinished();
      runtime->OnGainControl(self);
      next = runtime->RunEntry(self);
      // The baton stays alive until the next greenlet to run frees it (ReleaseFinished), after this thread is
      // done with it.
      backend->finished_ = self;
    }
    isolate->DiscardThreadSpecificMetadata();
    runtime->set_current(next);
    ThreadOf(next)->baton.Post();
    return nullptr;
  }

  // A greenlet's thread, once finished, only posts the next baton and exits; whoever runs next frees its record.
  void ReleaseFinished() {
    if (finished_ != nullptr) {
      Release(finished_);
      finished_ = nullptr;
    }
  }

  // The greenlet gets the JS stack it asked for, like on the fcontext backend, even when the C library handed the
  // thread a larger cached stack; never less than the margin above the bottom.
  static uintptr_t OwnStackLimit(size_t js_stack_size, size_t margin) {
    uintptr_t low = 0, top = 0;
    posix::CurrentThreadStack(&low, &top);
    uintptr_t wanted = top - js_stack_size;
    return wanted > low + margin ? wanted : low + margin;
  }

  v8::Isolate* isolate_;
  Greenlet* finished_ = nullptr;
  size_t live_threads_ = 0;
};

}  // namespace

std::unique_ptr<Backend> CreateThreadsBackend(v8::Isolate* isolate, std::string* why) {
  if (!v8::Locker::IsLocked(isolate)) {
    *why += "; and the isolate is not held through a v8::Locker, so not even the threads backend can hand it over";
    return nullptr;
  }
  return std::make_unique<ThreadsBackend>(isolate);
}

}  // namespace verdant::detail
