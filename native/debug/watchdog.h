// The watchdog: a native thread per Node environment that notices when the environment's thread stops making
// progress (a hog: a busy loop, a long synchronous call, a huge GC) and reports the JS stack of what was running.
//
// "Progress" is any of: the event loop slept in its poll (libuv's idle-time metric advanced), the loop began a
// new turn (a uv_prepare handle counts them), or a green thread the hub resumed gave control back to the hub
// (HubExtension::heartbeat, native/hub/hub.h). An idle process sleeps in poll, so it never looks blocked; a
// process busy with many short callbacks or short green-thread runs turns or yields, so it does not either. When none of the three
// changes for longer than `max_blocking_ns`, one blocking episode begins and is reported once:
//
//   1. the watchdog thread asks V8 for an interrupt (Isolate::RequestInterrupt, the one V8 call that is allowed
//      from another thread);
//   2. the interrupt runs on the JS thread at V8's next stack check: if the episode is still on, it records the
//      stack as text and the running greenlet, and signals a uv_async;
//   3. the async callback runs on the loop once it polls again (the episode is over by then) and calls lib/'s
//      reporter with the report.
//
// A blocking call in native code (Atomics.wait, execSync) runs no JS stack checks, so the stack is taken when JS
// resumes after it, or never, if the episode ends first: then the report has no stack. A thread that never gets
// back to the loop (an endless loop) cannot run the reporter at all; if it is still blocked `stuck_print_ns` after
// its stack was taken, the watchdog thread writes that stack to stderr itself.
//
// Policy (defaults, validation, what a report says) lives in lib/debug/watchdog.ts. Tested by
// test/debug/watchdog.test.ts.
#pragma once

#include <uv.h>
#include <v8.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <node.h>

namespace verdant::detail {

class Runtime;

class Watchdog {
 public:
  struct Settings {
    uint64_t max_blocking_ns;
    uint64_t stuck_print_ns;  // 0: never print from the watchdog thread
  };

  // Starts watching this environment (the calling thread's isolate and loop). `reporter` is called on the loop as
  // reporter(greenlet | null, stackLines | null, stackTakenAfterSeconds (-1: no stack), blockedForSeconds).
  // Returns nullptr with `why` set when the watchdog cannot run here. Call with the isolate locked.
  static Watchdog* Start(Runtime* runtime, const Settings& settings, v8::Local<v8::Context> context,
                         v8::Local<v8::Function> reporter, std::string* why);
  // The watchdog running for this isolate, or nullptr.
  static Watchdog* Of(v8::Isolate* isolate);

  // Stops and joins the thread and drops every V8 handle now; the uv handles close afterwards, then the object
  // frees itself and calls `closed` (if given). `teardown`: the environment is going away (no async-hooks
  // bookkeeping then). `undelivered` (if given) receives the reports the loop has not delivered yet, flat, 4
  // reporter arguments each, so that lib/ can deliver them itself: the loop may never run again (process exit).
  // JS thread only, with a HandleScope open; the object must not be used after this.
  void Stop(bool teardown, std::function<void()> closed = nullptr, v8::Local<v8::Array>* undelivered = nullptr);

  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

 private:
  // One blocking episode on its way to lib/. Made by the interrupt (with a stack) or by the watchdog thread
  // (without one, when the episode ended before JS ran); destroyed on the JS thread only.
  struct Report {
    uint64_t episode;
    uint64_t started_ns;   // the last moment progress was seen
    uint64_t captured_ns;  // 0: no stack
    uint64_t ended_ns;     // 0: not seen ending yet (the delivery time stands in)
    std::vector<std::string> lines;
    v8::Global<v8::Object> greenlet;  // set on the JS thread only
  };
  enum class StackState : uint8_t { kNone, kRequested, kCaptured };
  // What the watchdog thread does after a sample, outside the lock.
  struct Actions {
    uint64_t interrupt_episode = 0;
    bool signal_loop = false;
    std::string print;
  };

  Watchdog(Runtime* runtime, uv_loop_t* loop, const Settings& settings);
  ~Watchdog();

  uint64_t Beats() const;
  static void ThreadMain(void* arg);
  void Run();
  Actions Sample(uint64_t now);
  void EndEpisode(uint64_t now, Actions* actions);
  std::string StuckText(uint64_t now) const;
  static void OnInterrupt(v8::Isolate* isolate, void* data);
  void CaptureStack(uint64_t episode);
  static void OnAsync(uv_async_t* handle);
  void Deliver();
  void ReportArgs(const Report& report, uint64_t now, v8::Local<v8::Value> args[4]) const;
  v8::Local<v8::Array> TakePending();
  static void OnPrepare(uv_prepare_t* handle);
  static void OnClosed(uv_handle_t* handle);

  Runtime* const runtime_;
  // The hub's heartbeat (HubExtension::heartbeat): never freed, so this thread may read it late.
  const std::atomic<uint64_t>* const hub_heartbeat_;
  v8::Isolate* const isolate_;
  uv_loop_t* const loop_;
  const Settings settings_;
  const uint64_t period_ns_;

  // Loop turns, counted on the loop thread, read by the watchdog thread.
  std::atomic<uint64_t> turns_{0};

  // libuv's mutex, so that the thread can wait on wake_ with uv_cond_timedwait: a wait on the monotonic clock
  // wherever libuv runs, without glibc's pthread_cond_clockwait (2.30+, see platform/glibc_floor.h), which
  // std::condition_variable's timed waits need.
  class UvMutex {
   public:
    UvMutex() { uv_mutex_init(&mutex_); }
    ~UvMutex() { uv_mutex_destroy(&mutex_); }
    UvMutex(const UvMutex&) = delete;
    UvMutex& operator=(const UvMutex&) = delete;
    void lock() { uv_mutex_lock(&mutex_); }
    void unlock() { uv_mutex_unlock(&mutex_); }
    uv_mutex_t* get() { return &mutex_; }

   private:
    uv_mutex_t mutex_;
  };

  // Everything below is guarded by mutex_ (the watchdog thread and the JS thread both use it).
  UvMutex mutex_;
  uv_cond_t wake_;
  bool stopping_ = false;
  uint64_t last_beats_ = 0;
  uint64_t last_idle_ = 0;
  uint64_t last_progress_ns_ = 0;
  uint64_t episode_ = 0;  // 0: none under way
  uint64_t episode_start_ns_ = 0;
  uint64_t detected_ns_ = 0;
  // When the stack request is sent again if still unanswered (see Sample), and the wait before the one after.
  uint64_t rerequest_ns_ = 0;
  uint64_t rerequest_gap_ns_ = 0;
  StackState stack_state_ = StackState::kNone;
  uint64_t captured_ns_ = 0;
  bool captured_on_main_ = false;
  std::vector<std::string> captured_lines_;  // a copy for the stuck print: the report may be delivered meanwhile
  bool stuck_printed_ = false;
  std::vector<std::unique_ptr<Report>> pending_;

  // JS thread only.
  uv_thread_t thread_;
  bool thread_started_ = false;
  uv_prepare_t prepare_;
  uv_async_t async_;
  int open_handles_ = 0;
  bool stopped_ = false;
  std::function<void()> on_closed_;
  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> reporter_;
  v8::Global<v8::Object> resource_;
  node::async_context async_context_{0, 0};

 public:
  // The environment-teardown hook that stops this watchdog (set by the bindings, released when it runs).
  node::AsyncCleanupHookHandle cleanup_hook;
};

}  // namespace verdant::detail
