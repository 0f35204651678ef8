#include "debug/watchdog.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "debug/stack_format.h"
#include "greenlet/greenlet.h"
#include "hub/hub.h"
#include "platform/posix.h"

namespace verdant::detail {
namespace {

// Frames kept per report: enough to see past the library and the framework into the application.
constexpr int kMaxFrames = 32;
// Reports waiting for the loop; each needs a whole episode, so more than a few means the loop is not running.
constexpr size_t kMaxPending = 16;
constexpr size_t kThreadStackSize = 256 * 1024;

// Episode ids are unique across every watchdog of the process, so an interrupt left over from a stopped watchdog
// can never match the episode of a later one on the same isolate.
std::atomic<uint64_t> next_episode{1};

// The running watchdogs, found by isolate from the interrupt callback (V8 hands it only the isolate and a
// number). Allocated once and never freed: no destructor can race a late interrupt at exit.
std::mutex registry_mutex;
std::vector<Watchdog*>& Registry() {
  static auto* registry = new std::vector<Watchdog*>();
  return *registry;
}

double Seconds(uint64_t ns) { return static_cast<double>(ns) / 1e9; }

void WriteAll(int fd, const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // Nowhere to report a failing stderr to.
    done += static_cast<size_t>(n);
  }
}

}  // namespace

Watchdog::Watchdog(Runtime* runtime, uv_loop_t* loop, const Settings& settings)
    : runtime_(runtime),
      hub_heartbeat_(&HubExtension::Of(runtime)->heartbeat),
      isolate_(runtime->isolate()),
      loop_(loop),
      settings_(settings),
      // Four samples per maxBlockingTime: an episode is noticed at most a quarter late.
      period_ns_(std::clamp<uint64_t>(settings.max_blocking_ns / 4, 1000000, 250000000)) {
  uv_cond_init(&wake_);
}

Watchdog::~Watchdog() { uv_cond_destroy(&wake_); }

Watchdog* Watchdog::Start(Runtime* runtime, const Settings& settings, v8::Local<v8::Context> context,
                          v8::Local<v8::Function> reporter, std::string* why) {
  v8::Isolate* isolate = runtime->isolate();
  uv_loop_t* loop = node::GetCurrentEventLoop(isolate);
  if (loop == nullptr) {
    *why = "no event loop on this thread";
    return nullptr;
  }
  // Node turns libuv's idle-time metric on for every loop it makes (performance.eventLoopUtilization needs it);
  // an embedder may not have. It is a flag, so setting it again is harmless.
  int err = uv_loop_configure(loop, UV_METRICS_IDLE_TIME);
  if (err != 0) {
    *why = std::string("cannot measure the event loop's idle time: ") + uv_strerror(err);
    return nullptr;
  }

  auto* w = new Watchdog(runtime, loop, settings);
  w->context_.Reset(isolate, context);
  w->reporter_.Reset(isolate, reporter);
  v8::Local<v8::Object> resource = v8::Object::New(isolate);
  w->resource_.Reset(isolate, resource);
  w->async_context_ = node::EmitAsyncInit(isolate, resource, "verdant.watchdog");
  uv_prepare_init(loop, &w->prepare_);
  uv_async_init(loop, &w->async_, &Watchdog::OnAsync);
  w->prepare_.data = w;
  w->async_.data = w;
  w->open_handles_ = 2;
  uv_prepare_start(&w->prepare_, &Watchdog::OnPrepare);
  // The watchdog never keeps the process alive.
  uv_unref(reinterpret_cast<uv_handle_t*>(&w->prepare_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&w->async_));

  w->last_beats_ = w->Beats();
  w->last_idle_ = uv_metrics_idle_time(loop);
  w->last_progress_ns_ = uv_hrtime();
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    Registry().push_back(w);
  }
  uv_thread_options_t options;
  options.flags = UV_THREAD_HAS_STACK_SIZE;
  options.stack_size = kThreadStackSize;
  err = uv_thread_create_ex(&w->thread_, &options, &Watchdog::ThreadMain, w);
  if (err != 0) {
    *why = std::string("cannot start the watchdog thread: ") + uv_strerror(err);
    w->Stop(/*teardown=*/false);
    return nullptr;
  }
  w->thread_started_ = true;
  // Named from here, so that the name is there as soon as enable() returns.
  posix::NameThread(w->thread_, "verdant-watchdg");
  return w;
}

Watchdog* Watchdog::Of(v8::Isolate* isolate) {
  std::lock_guard<std::mutex> lock(registry_mutex);
  for (Watchdog* w : Registry()) {
    if (w->isolate_ == isolate) return w;
  }
  return nullptr;
}

void Watchdog::Stop(bool teardown, std::function<void()> closed, v8::Local<v8::Array>* undelivered) {
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard<UvMutex> lock(mutex_);
    stopping_ = true;
  }
  uv_cond_broadcast(&wake_);
  if (thread_started_) uv_thread_join(&thread_);
  {
    std::lock_guard<std::mutex> lock(registry_mutex);
    std::vector<Watchdog*>& registry = Registry();
    registry.erase(std::remove(registry.begin(), registry.end(), this), registry.end());
  }
  if (undelivered != nullptr) *undelivered = TakePending();
  // Every V8 handle goes now, while the isolate surely lives: the close callbacks may run after a worker's
  // isolate is gone.
  pending_.clear();
  if (!teardown) {
    v8::HandleScope handle_scope(isolate_);
    node::EmitAsyncDestroy(isolate_, async_context_);
  }
  reporter_.Reset();
  context_.Reset();
  resource_.Reset();
  on_closed_ = std::move(closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&prepare_), &Watchdog::OnClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), &Watchdog::OnClosed);
}

void Watchdog::OnClosed(uv_handle_t* handle) {
  auto* w = static_cast<Watchdog*>(handle->data);
  if (--w->open_handles_ != 0) return;
  std::function<void()> closed = std::move(w->on_closed_);
  delete w;
  if (closed) closed();
}

uint64_t Watchdog::Beats() const {
  // Both only grow, so their sum changes whenever either does.
  return turns_.load(std::memory_order_relaxed) + hub_heartbeat_->load(std::memory_order_relaxed);
}

void Watchdog::OnPrepare(uv_prepare_t* handle) {
  auto* w = static_cast<Watchdog*>(handle->data);
  // One writer (the loop thread): a plain load and store.
  w->turns_.store(w->turns_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

// --- the watchdog thread --------------------------------------------------------------------------------------

void Watchdog::ThreadMain(void* arg) { static_cast<Watchdog*>(arg)->Run(); }

void Watchdog::Run() {
  // Signals are for the JS thread (and Node's own handling); none may land on this one.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  std::unique_lock<UvMutex> lock(mutex_);
  while (!stopping_) {
    uv_cond_timedwait(&wake_, mutex_.get(), period_ns_);  // A timeout, a wake-up or a spurious return.
    if (stopping_) break;
    Actions actions = Sample(uv_hrtime());
    lock.unlock();
    if (actions.interrupt_episode != 0) {
      // The only V8 call made from this thread; V8 documents it as callable from any thread without a Locker.
      isolate_->RequestInterrupt(&Watchdog::OnInterrupt,
                                 reinterpret_cast<void*>(static_cast<uintptr_t>(actions.interrupt_episode)));
    }
    if (actions.signal_loop) uv_async_send(&async_);
    if (!actions.print.empty()) WriteAll(STDERR_FILENO, actions.print);
    lock.lock();
  }
}

// Precondition: mutex_ held.
Watchdog::Actions Watchdog::Sample(uint64_t now) {
  Actions actions;
  uint64_t beats = Beats();
  uint64_t idle = uv_metrics_idle_time(loop_);  // Thread-safe by libuv's contract.
  if (beats != last_beats_ || idle != last_idle_) {
    last_beats_ = beats;
    last_idle_ = idle;
    last_progress_ns_ = now;
    if (episode_ != 0) EndEpisode(now, &actions);
    return actions;
  }
  if (episode_ == 0) {
    if (now - last_progress_ns_ >= settings_.max_blocking_ns) {
      episode_ = next_episode.fetch_add(1, std::memory_order_relaxed);
      episode_start_ns_ = last_progress_ns_;
      detected_ns_ = now;
      stack_state_ = StackState::kRequested;
      stuck_printed_ = false;
      captured_lines_.clear();
      actions.interrupt_episode = episode_;
      rerequest_gap_ns_ = settings_.max_blocking_ns;
      rerequest_ns_ = now + rerequest_gap_ns_;
    }
    return actions;
  }
  if (stack_state_ == StackState::kRequested && now >= rerequest_ns_) {
    // Still unanswered: ask again. V8 keeps pending-interrupt flags per V8 thread, and every greenlet is one: a
    // request that lands while one greenlet runs native code, or just before it switches out, is archived with
    // that greenlet and waits for it to run JS again, while the greenlet switched to may hog unreported. (It also
    // stands down if it runs after progress this thread has not sampled yet.)
    // The gap doubles up to 8 maxBlockingTime, so a thread stuck in native code for a minute queues at most a few
    // hundred requests (V8 keeps them in a queue), and a hog that starts late in an episode still meets one; the
    // extra ones find the stack taken or the episode over and do nothing.
    actions.interrupt_episode = episode_;
    rerequest_gap_ns_ = std::min(rerequest_gap_ns_ * 2, settings_.max_blocking_ns * 8);
    rerequest_ns_ = now + rerequest_gap_ns_;
  }
  uint64_t since = stack_state_ == StackState::kCaptured ? captured_ns_ : detected_ns_;
  if (settings_.stuck_print_ns != 0 && !stuck_printed_ && now - since >= settings_.stuck_print_ns) {
    stuck_printed_ = true;
    actions.print = StuckText(now);
  }
  return actions;
}

// Precondition: mutex_ held, an episode under way, progress seen at `now`.
void Watchdog::EndEpisode(uint64_t now, Actions* actions) {
  if (stack_state_ == StackState::kCaptured) {
    for (auto& report : pending_) {
      if (report->episode == episode_) report->ended_ns = now;
    }
  } else if (pending_.size() < kMaxPending) {
    // No JS ran before the blocking ended (or only after progress, which the interrupt then ignores): report it
    // without a stack. The report holds no V8 handle yet, so making it here touches no V8.
    auto report = std::make_unique<Report>();
    report->episode = episode_;
    report->started_ns = episode_start_ns_;
    report->captured_ns = 0;
    report->ended_ns = now;
    pending_.push_back(std::move(report));
    actions->signal_loop = true;
  }
  episode_ = 0;
  stack_state_ = StackState::kNone;
}

// Precondition: mutex_ held.
std::string Watchdog::StuckText(uint64_t now) const {
  char head[256];
  std::snprintf(head, sizeof head, "verdant: watchdog: the event loop has been blocked for %.2f s and still is", Seconds(now - episode_start_ns_));
  std::string text = head;
  if (stack_state_ != StackState::kCaptured) {
    text += "; no JavaScript has run since it began (a blocking native call?)\n";
    return text;
  }
  char tail[128];
  std::snprintf(tail, sizeof tail, "; stack %s after %.2f s:\n", captured_on_main_ ? "on the main stack" : "in a green thread",
                Seconds(captured_ns_ - episode_start_ns_));
  text += tail;
  for (const std::string& line : captured_lines_) text += "    at " + line + "\n";
  return text;
}

// --- the JS thread --------------------------------------------------------------------------------------------

void Watchdog::OnInterrupt(v8::Isolate* isolate, void* data) {
  // Runs at a V8 stack check on whichever thread runs JS for this isolate; it must not call into JS.
  Watchdog* w = Of(isolate);
  if (w != nullptr) w->CaptureStack(static_cast<uint64_t>(reinterpret_cast<uintptr_t>(data)));
}

void Watchdog::CaptureStack(uint64_t episode) {
  uint64_t beats = Beats();
  uint64_t idle = uv_metrics_idle_time(loop_);
  {
    std::lock_guard<UvMutex> lock(mutex_);
    if (stopping_ || episode_ != episode || stack_state_ != StackState::kRequested) return;
    // The thread made progress since the episode was detected: the JS running now is not what blocked it.
    if (beats != last_beats_ || idle != last_idle_) return;
  }
  auto report = std::make_unique<Report>();
  bool on_main;
  {
    v8::HandleScope handle_scope(isolate_);
    report->lines = CurrentStackLines(isolate_, kMaxFrames);
    Greenlet* g = runtime_->current();
    on_main = g == runtime_->main();
    if (g != nullptr && !g->wrapper.IsEmpty()) report->greenlet.Reset(isolate_, g->wrapper.Get(isolate_));
  }
  uint64_t now = uv_hrtime();
  {
    std::lock_guard<UvMutex> lock(mutex_);
    if (episode_ != episode || stack_state_ != StackState::kRequested) return;
    stack_state_ = StackState::kCaptured;
    captured_ns_ = now;
    captured_on_main_ = on_main;
    captured_lines_ = report->lines;
    report->episode = episode;
    report->started_ns = episode_start_ns_;
    report->captured_ns = now;
    report->ended_ns = 0;
    if (pending_.size() >= kMaxPending) return;
    pending_.push_back(std::move(report));
  }
  uv_async_send(&async_);
}

void Watchdog::OnAsync(uv_async_t* handle) { static_cast<Watchdog*>(handle->data)->Deliver(); }

void Watchdog::ReportArgs(const Report& report, uint64_t now, v8::Local<v8::Value> args[4]) const {
  uint64_t end = report.ended_ns != 0 ? std::min(report.ended_ns, now) : now;
  args[0] = report.greenlet.IsEmpty() ? v8::Null(isolate_).As<v8::Value>() : report.greenlet.Get(isolate_).As<v8::Value>();
  args[1] = report.captured_ns != 0 ? LinesToArray(isolate_, report.lines).As<v8::Value>() : v8::Null(isolate_).As<v8::Value>();
  args[2] = v8::Number::New(isolate_, report.captured_ns != 0 ? Seconds(report.captured_ns - report.started_ns) : -1);
  args[3] = v8::Number::New(isolate_, Seconds(end - report.started_ns));
}

void Watchdog::Deliver() {
  std::vector<std::unique_ptr<Report>> reports;
  {
    std::lock_guard<UvMutex> lock(mutex_);
    reports.swap(pending_);
  }
  if (reports.empty() || stopped_) return;
  uint64_t now = uv_hrtime();
  v8::HandleScope handle_scope(isolate_);
  v8::Local<v8::Context> context = context_.Get(isolate_);
  v8::Context::Scope context_scope(context);
  for (const auto& report : reports) {
    // The reporter may disable the watchdog (or enable a new one): the handles are gone then.
    if (stopped_ || isolate_->IsExecutionTerminating()) break;
    v8::Local<v8::Value> args[4];
    ReportArgs(*report, now, args);
    // MakeCallback runs nextTicks and microtasks afterwards and turns a throwing reporter into an uncaught
    // exception, as for any callback from the loop.
    v8::MaybeLocal<v8::Value> ignored =
        node::MakeCallback(isolate_, resource_.Get(isolate_), reporter_.Get(isolate_), 4, args, async_context_);
    (void)ignored;
  }
}

v8::Local<v8::Array> Watchdog::TakePending() {
  std::vector<std::unique_ptr<Report>> reports;
  {
    std::lock_guard<UvMutex> lock(mutex_);
    reports.swap(pending_);
  }
  uint64_t now = uv_hrtime();
  std::vector<v8::Local<v8::Value>> flat;
  for (const auto& report : reports) {
    v8::Local<v8::Value> args[4];
    ReportArgs(*report, now, args);
    flat.insert(flat.end(), args, args + 4);
  }
  return v8::Array::New(isolate_, flat.data(), flat.size());
}

}  // namespace verdant::detail
