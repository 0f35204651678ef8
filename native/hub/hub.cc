#include "hub/hub.h"

#include <node.h>

#include <algorithm>
#include <cerrno>
#include <functional>

namespace verdant::detail {
namespace {

// Resumes per dispatch beyond what was ready when it began: green threads that keep waking each other still
// let the loop poll for I/O every so often.
constexpr size_t kDispatchBudget = 4096;
// Dispatches per check callback: each one ends with nextTicks and microtasks, which may wake more greenlets.
constexpr int kDispatchRounds = 4;

template <typename Handle>
Hub* HubOf(Handle* handle) {
  return static_cast<Hub*>(handle->data);
}

}  // namespace

Hub::Hub(Runtime* runtime, uv_loop_t* loop, std::unique_ptr<Poller> poller, int32_t* shared_state,
         std::atomic<uint64_t>* heartbeat)
    : runtime_(runtime),
      isolate_(runtime->isolate()),
      loop_(loop),
      poller_(std::move(poller)),
      shared_(shared_state),
      heartbeat_(heartbeat) {
  uv_poll_init(loop_, &poll_handle_, poller_->fd());
  uv_timer_init(loop_, &timer_handle_);
  uv_check_init(loop_, &check_handle_);
  uv_idle_init(loop_, &idle_handle_);
  uv_async_init(loop_, &async_handle_, &Hub::OnAsync);
  for (uv_handle_t* h : {reinterpret_cast<uv_handle_t*>(&poll_handle_), reinterpret_cast<uv_handle_t*>(&timer_handle_),
                         reinterpret_cast<uv_handle_t*>(&check_handle_), reinterpret_cast<uv_handle_t*>(&idle_handle_),
                         reinterpret_cast<uv_handle_t*>(&async_handle_)}) {
    h->data = this;
    open_handles_++;
  }
  uv_poll_start(&poll_handle_, UV_READABLE, &Hub::OnPoll);
  uv_check_start(&check_handle_, &Hub::OnCheck);
  // Only waits keep the loop alive, and only while they are ref'd: the handles themselves never do.
  uv_unref(reinterpret_cast<uv_handle_t*>(&poll_handle_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&timer_handle_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&check_handle_));
  uv_unref(reinterpret_cast<uv_handle_t*>(&async_handle_));
}

Hub::~Hub() = default;

void Hub::Close(std::function<void()> done) {
  closing_ = true;
  on_closed_ = std::move(done);
  auto closed = [](uv_handle_t* h) {
    Hub* hub = static_cast<Hub*>(h->data);
    if (--hub->open_handles_ != 0 || !hub->on_closed_) return;
    // `done` usually deletes the hub, and with it on_closed_: run it from a local, or its captures are read
    // from freed memory (seen as heap corruption at worker exit).
    std::function<void()> done = std::move(hub->on_closed_);
    done();
  };
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_handle_), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_handle_), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_handle_), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&idle_handle_), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&async_handle_), closed);
}

void Hub::SetCallbacks(v8::Local<v8::Context> context, v8::Local<v8::Function> on_start_failed) {
  context_.Reset(isolate_, context);
  on_start_failed_.Reset(isolate_, on_start_failed);
}

void Hub::EnsureAsyncIds(HubSlot* slot) {
  if (slot->has_async_ids || slot->g->wrapper.IsEmpty()) return;
  v8::HandleScope handle_scope(isolate_);
  // Runs async_hooks init hooks (AsyncLocalStorage copies the current store to the new resource there).
  slot->async_ids = node::EmitAsyncInit(isolate_, slot->g->wrapper.Get(isolate_), "VERDANT_GREENTHREAD");
  slot->has_async_ids = true;
}

HubSlot* Hub::SlotOf(Greenlet* g) {
  if (g->attachment == nullptr) {
    auto* slot = new HubSlot();
    slot->g = g;
    slot->timer.slot = slot;
    g->attachment = slot;
  }
  return SlotIn(g);
}


// --- parking --------------------------------------------------------------------------------------------------

int32_t Hub::Park(int fd, uint32_t flags, int64_t timeout_ns) {
  Greenlet* g = runtime_->current();
  HubSlot* slot = SlotOf(g);
  EnsureAsyncIds(slot);
  if (!slot->undelivered_alarms.empty()) {
    // An alarm fired while this greenlet was busy: it raises at this blocking call, before any wait.
    uint32_t id = slot->undelivered_alarms.front();
    slot->undelivered_alarms.erase(slot->undelivered_alarms.begin());
    alarms_.erase(id);
    shared_[kStateAlarmId] = static_cast<int32_t>(id);
    return kWokenAlarm;
  }
  uint32_t events = flags & (kPollRead | kPollWrite);
  slot->ref = (flags & kParkUnref) == 0;
  if (fd >= 0 && events != 0) {
    if ((flags & kParkShared) == 0) {
      for (const HubSlot* w = fd < static_cast<int>(fd_waiters_.size()) ? fd_waiters_[fd] : nullptr; w != nullptr;
           w = w->fd_next) {
        if (w->events & events) return kParkCollision;
      }
    }
    bool edge = (flags & kParkEdge) != 0;
    if (edge) {
      // An edge that came while nobody waited for it: it is this wait's readiness.
      EdgeState* state = EdgesOf(fd);
      uint32_t taken = state->pending & (events | kPollHangup | kPollError);
      if (taken & kPollRead) taken |= state->pending & kPollPeerClosed;
      if (state->watched && taken != 0) {
        state->pending &= ~(taken & (kPollRead | kPollWrite));
        return static_cast<int32_t>(taken);
      }
    }
    if (fd >= static_cast<int>(fd_waiters_.size())) fd_waiters_.resize(std::max<size_t>(fd + 1, fd_waiters_.size() * 2));
    slot->fd = fd;
    slot->events = events;
    slot->fd_prev = nullptr;
    slot->fd_next = fd_waiters_[fd];
    if (slot->fd_next != nullptr) slot->fd_next->fd_prev = slot;
    fd_waiters_[fd] = slot;
    fd_waiter_count_++;
    int err = ArmForSlot(slot, edge);
    if (err != 0) {
      DetachFromFd(slot);
      shared_[kStateErrno] = err;
      return kParkFailed;
    }
    if (slot->ref) AdjustRefFd(+1);
  }
  slot->phase = HubSlot::Phase::kParked;
  if (timeout_ns == 0 && slot->fd < 0) {
    // A yield: runnable again on the next loop turn, after everything that is ready now.
    slot->phase = HubSlot::Phase::kReady;
    slot->code = kWokenTimeout;
    Enqueue(slot, /*next_turn=*/true);
  } else if (timeout_ns >= 0) {
    slot->timer.kind = HubTimer::Kind::kParkTimeout;
    slot->timer.ref = slot->ref;
    StartTimer(&slot->timer, uv_hrtime() + static_cast<uint64_t>(timeout_ns));
  }
  if (!runtime_->SwitchTo(runtime_->main())) {
    // Refused before switching (the JS exception is pending): undo the wait.
    CancelWait(slot);
    slot->phase = HubSlot::Phase::kIdle;
    return kSwitchedIn;
  }
  shared_[kStateHubSwitch] = 0;
  if (slot->phase != HubSlot::Phase::kIdle) {
    // Not resumed by the hub: someone switched here directly. Its waits no longer make sense.
    if (slot->phase == HubSlot::Phase::kParked) CancelWait(slot);
    slot->phase = HubSlot::Phase::kIdle;
    return kSwitchedIn;
  }
  if (slot->code == kWokenAlarm) shared_[kStateAlarmId] = static_cast<int32_t>(slot->alarm_id);
  return slot->code;
}

void Hub::CancelWait(HubSlot* slot) {
  DetachFromFd(slot);
  StopTimer(&slot->timer);
}

Hub::EdgeState* Hub::EdgesOf(int fd) {
  if (fd >= static_cast<int>(fd_edges_.size())) fd_edges_.resize(std::max<size_t>(fd + 1, fd_edges_.size() * 2));
  return &fd_edges_[fd];
}

int Hub::ArmForSlot(HubSlot* slot, bool edge) {
  EdgeState* state = EdgesOf(slot->fd);
  if (edge) {
    // Watched already: its next edge will come without a syscall.
    if (state->watched) return 0;
    int err = poller_->Watch(slot->fd);
    state->watched = err == 0;
    state->pending = 0;
    return err;
  }
  // A level wait (trampoline on any fd): one-shot, which reports readiness that is already there. It replaces a
  // watch, so the fd's edge waiters are covered by it until a later edge wait watches the fd again.
  state->watched = false;
  state->pending = 0;
  return poller_->Arm(slot->fd, UnionOfEvents(slot->fd));
}

uint32_t Hub::UnionOfEvents(int fd) const {
  uint32_t events = 0;
  for (const HubSlot* w = fd_waiters_[fd]; w != nullptr; w = w->fd_next) events |= w->events;
  return events;
}

void Hub::DetachFromFd(HubSlot* slot) {
  if (slot->fd < 0) return;
  if (slot->fd_prev != nullptr) {
    slot->fd_prev->fd_next = slot->fd_next;
  } else {
    fd_waiters_[slot->fd] = slot->fd_next;
  }
  if (slot->fd_next != nullptr) slot->fd_next->fd_prev = slot->fd_prev;
  slot->fd_next = slot->fd_prev = nullptr;
  slot->fd = -1;
  slot->events = 0;
  fd_waiter_count_--;
  if (slot->ref) AdjustRefFd(-1);
}

bool Hub::Wake(Greenlet* g) {
  HubSlot* slot = SlotIn(g);
  if (slot == nullptr || slot->phase != HubSlot::Phase::kParked) return false;
  if (!slot->alarms.empty() && FireDueAlarm(slot)) return false;
  Resolve(slot, kWokenByWake);
  return true;
}

// eventlet's order: its hand-offs are themselves timers, so a Timeout that was due before a hand-off raises
// before it. Here a hand-off is immediate; to keep that order, an alarm whose deadline has passed fires now and
// the hand-off is refused, so the waker keeps what it would have handed over (lib/sync gives it to the next
// waiter). An alarm that comes due after the hand-off still waits for the next blocking call.
bool Hub::FireDueAlarm(HubSlot* slot) {
  uint64_t now = uv_hrtime();
  HubTimer* due = nullptr;
  for (HubTimer* alarm : slot->alarms) {
    if (alarm->deadline <= now && (due == nullptr || alarm->deadline < due->deadline)) due = alarm;
  }
  if (due == nullptr) return false;
  StopTimer(due);
  FireTimer(due);  // Resolves the parked slot with kWokenAlarm and frees `due`.
  return true;
}

void Hub::Disarmed(HubTimer* alarm) {
  std::vector<HubTimer*>& armed = alarm->slot->alarms;
  armed.erase(std::remove(armed.begin(), armed.end(), alarm), armed.end());
}

void Hub::Resolve(HubSlot* slot, int32_t code) {
  CancelWait(slot);
  slot->code = code;
  slot->phase = HubSlot::Phase::kReady;
  Enqueue(slot, /*next_turn=*/false);
}

void Hub::Enqueue(HubSlot* slot, bool next_turn) {
  // A slot may have a stale entry from before it was cancelled; Dispatch skips entries whose slot is not ready.
  if (next_turn) {
    next_.push_back(slot);
  } else {
    ready_.push_back(slot);
  }
  if (!dispatching_) UpdateIdle();
}

// --- starting greenlets ---------------------------------------------------------------------------------------

bool Hub::ScheduleStart(Greenlet* g, int64_t delay_ns, bool ref) {
  if (g->state != GreenletState::kNew) return false;
  HubSlot* slot = SlotOf(g);
  if (slot->phase != HubSlot::Phase::kIdle) return false;
  EnsureAsyncIds(slot);
  slot->ref = ref;
  if (delay_ns <= 0) {
    slot->phase = HubSlot::Phase::kReady;
    slot->code = kWokenTimeout;
    Enqueue(slot, /*next_turn=*/false);
  } else {
    slot->phase = HubSlot::Phase::kScheduled;
    slot->timer.kind = HubTimer::Kind::kStart;
    slot->timer.ref = ref;
    StartTimer(&slot->timer, uv_hrtime() + static_cast<uint64_t>(delay_ns));
  }
  return true;
}

bool Hub::Unschedule(Greenlet* g) {
  HubSlot* slot = SlotIn(g);
  if (slot == nullptr || g->state != GreenletState::kNew) return false;
  if (slot->phase != HubSlot::Phase::kReady && slot->phase != HubSlot::Phase::kScheduled) return false;
  StopTimer(&slot->timer);
  slot->phase = HubSlot::Phase::kIdle;
  return true;
}

// --- alarms ---------------------------------------------------------------------------------------------------

uint32_t Hub::AlarmStart(Greenlet* g, int64_t delay_ns, bool ref) {
  uint32_t id = next_alarm_id_++;
  if (next_alarm_id_ == 0 || next_alarm_id_ > 0x7fffffff) next_alarm_id_ = 1;
  auto alarm = std::make_unique<HubTimer>();
  alarm->kind = HubTimer::Kind::kAlarm;
  alarm->ref = ref;
  alarm->slot = SlotOf(g);
  alarm->alarm_id = id;
  StartTimer(alarm.get(), uv_hrtime() + static_cast<uint64_t>(std::max<int64_t>(delay_ns, 0)));
  alarm->slot->alarms.push_back(alarm.get());
  alarms_[id] = std::move(alarm);
  return id;
}

bool Hub::AlarmCancel(uint32_t id) {
  auto it = alarms_.find(id);
  if (it == alarms_.end()) return false;
  HubTimer* alarm = it->second.get();
  if (alarm->armed()) {
    StopTimer(alarm);
    Disarmed(alarm);
  } else {
    // Fired, not yet delivered.
    std::vector<uint32_t>& pending = alarm->slot->undelivered_alarms;
    pending.erase(std::remove(pending.begin(), pending.end(), id), pending.end());
  }
  alarms_.erase(it);
  return true;
}

// --- fds ------------------------------------------------------------------------------------------------------

void Hub::FdClosed(int fd) {
  if (fd < 0) return;
  if (fd < static_cast<int>(fd_waiters_.size())) {
    while (fd_waiters_[fd] != nullptr) Resolve(fd_waiters_[fd], kWokenFdClosed);
  }
  poller_->Disarm(fd);
  if (fd < static_cast<int>(fd_edges_.size())) fd_edges_[fd] = EdgeState{};
}

void Hub::FdOpened(int fd) {
  if (fd < 0 || fd >= static_cast<int>(fd_edges_.size())) return;
  // Watched means an older fd of this number was closed without FdClosed: drop its registration, if it is still
  // there (a dup of it elsewhere keeps it alive, and its edges would wake this fd's waiters for nothing).
  if (fd_edges_[fd].watched) poller_->Disarm(fd);
  fd_edges_[fd] = EdgeState{};
}

std::vector<HubSlot*> Hub::FdWaiters(int fd) const {
  std::vector<HubSlot*> out;
  if (fd < 0 || fd >= static_cast<int>(fd_waiters_.size())) return out;
  for (HubSlot* w = fd_waiters_[fd]; w != nullptr; w = w->fd_next) out.push_back(w);
  return out;
}

void Hub::ForEachListener(const std::function<void(const HubSlot&)>& fn) const {
  for (const HubSlot* head : fd_waiters_) {
    for (const HubSlot* w = head; w != nullptr; w = w->fd_next) fn(*w);
  }
}

void Hub::ForEachTimer(const std::function<void(const HubTimer&)>& fn) const {
  for (const TimerNode* node : timers_.nodes()) fn(*static_cast<const HubTimer*>(node));
}

void Hub::PollFds() {
  PollEvent events[256];
  int n = poller_->Poll(events, 256);
  for (int i = 0; i < n; i++) {
    int fd = events[i].fd;
    uint32_t ready = events[i].events;
    counters_.fd_events++;
    if (fd < 0) continue;
    uint32_t failed = ready & (kPollHangup | kPollError);
    uint32_t delivered = 0;
    HubSlot* w = fd < static_cast<int>(fd_waiters_.size()) ? fd_waiters_[fd] : nullptr;
    while (w != nullptr) {
      HubSlot* next = w->fd_next;
      uint32_t mine = ready & w->events;
      if (mine & kPollRead) mine |= ready & kPollPeerClosed;
      if (mine != 0 || failed != 0) {
        delivered |= mine | failed;
        Resolve(w, static_cast<int32_t>(mine | failed));
      }
      w = next;
    }
    if (fd < static_cast<int>(fd_edges_.size()) && fd_edges_[fd].watched) {
      // Edge-triggered: this readiness will not be reported again; keep what nobody took for the next waiter.
      fd_edges_[fd].pending |= static_cast<uint8_t>(ready & ~delivered);
      if (failed != 0) fd_edges_[fd].pending |= static_cast<uint8_t>(failed);
      continue;
    }
    // One-shot: whoever still waits on this fd needs it armed again.
    if (fd < static_cast<int>(fd_waiters_.size()) && fd_waiters_[fd] != nullptr) {
      int err = poller_->Arm(fd, UnionOfEvents(fd));
      if (err != 0) {
        shared_[kStateErrno] = err;
        while (fd_waiters_[fd] != nullptr) Resolve(fd_waiters_[fd], kParkFailed);
      }
    }
  }
}

// --- timers ---------------------------------------------------------------------------------------------------

void Hub::StartTimer(HubTimer* timer, uint64_t deadline) {
  timers_.Push(timer, deadline);
  if (timer->ref) ref_timers_++;
  UpdateUvTimer();
}

void Hub::StopTimer(HubTimer* timer) {
  if (!timer->armed()) return;
  timers_.Remove(timer);
  if (timer->ref) ref_timers_--;
  UpdateUvTimer();
}

void Hub::FireTimer(HubTimer* timer) {
  counters_.timers_fired++;
  HubSlot* slot = timer->slot;
  switch (timer->kind) {
    case HubTimer::Kind::kParkTimeout:
      if (slot->phase == HubSlot::Phase::kParked) Resolve(slot, kWokenTimeout);
      break;
    case HubTimer::Kind::kStart:
      if (slot->phase == HubSlot::Phase::kScheduled) {
        slot->phase = HubSlot::Phase::kReady;
        slot->code = kWokenTimeout;
        Enqueue(slot, /*next_turn=*/false);
      }
      break;
    case HubTimer::Kind::kAlarm:
      Disarmed(timer);
      if (slot->g->state == GreenletState::kDead) {
        alarms_.erase(timer->alarm_id);
      } else if (slot->phase == HubSlot::Phase::kParked) {
        slot->alarm_id = timer->alarm_id;
        alarms_.erase(timer->alarm_id);
        Resolve(slot, kWokenAlarm);
      } else {
        slot->undelivered_alarms.push_back(timer->alarm_id);
      }
      break;
  }
}

void Hub::RunExpiredTimers() {
  if (timers_.empty()) return;
  uint64_t now = uv_hrtime();
  for (;;) {
    auto* top = static_cast<HubTimer*>(timers_.top());
    if (top == nullptr || top->deadline > now) break;
    timers_.Remove(top);
    if (top->ref) ref_timers_--;
    FireTimer(top);  // May free an alarm: nothing of `top` is used after this.
  }
  UpdateUvTimer();
}

void Hub::UpdateUvTimer() {
  if (closing_) return;
  auto* top = static_cast<HubTimer*>(timers_.top());
  if (top == nullptr) {
    uv_timer_stop(&timer_handle_);
    armed_deadline_ = 0;
    return;
  }
  if (ref_timers_ > 0) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&timer_handle_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&timer_handle_));
  }
  if (armed_deadline_ == top->deadline && uv_is_active(reinterpret_cast<uv_handle_t*>(&timer_handle_))) return;
  uint64_t now = uv_hrtime();
  // libuv counts from its cached loop time, which may lag: the callback checks against the real clock and
  // re-arms if it came early.
  uint64_t ms = top->deadline > now ? (top->deadline - now + 999999) / 1000000 : 0;
  armed_deadline_ = top->deadline;
  uv_timer_start(&timer_handle_, &Hub::OnTimer, ms, 0);
}

void Hub::UpdateIdle() {
  if (closing_) return;
  // The idle handle keeps the loop from sleeping in poll while something is ready to run (like setImmediate).
  if (ready_cursor_ < ready_.size() || !next_.empty()) {
    uv_idle_start(&idle_handle_, &Hub::OnIdle);
  } else {
    uv_idle_stop(&idle_handle_);
  }
}

void Hub::AdjustRefFd(int delta) {
  ref_fd_waits_ += delta;
  if (closing_) return;
  if (ref_fd_waits_ > 0) {
    uv_ref(reinterpret_cast<uv_handle_t*>(&poll_handle_));
  } else {
    uv_unref(reinterpret_cast<uv_handle_t*>(&poll_handle_));
  }
}

// --- dispatch -------------------------------------------------------------------------------------------------

void Hub::Dispatch(size_t budget) {
  if (dispatching_ || ready_cursor_ >= ready_.size() || context_.IsEmpty()) return;
  dispatching_ = true;
  budget += ready_.size() - ready_cursor_;
  {
    v8::HandleScope handle_scope(isolate_);
    v8::Context::Scope context_scope(context_.Get(isolate_));
    while (budget > 0 && ready_cursor_ < ready_.size()) {
      HubSlot* slot = ready_[ready_cursor_++];
      if (slot->phase != HubSlot::Phase::kReady) continue;  // Cancelled, or an older entry of a re-queued slot.
      budget--;
      Resume(slot);
      if (isolate_->IsExecutionTerminating()) break;
    }
  }
  if (ready_cursor_ == ready_.size()) {
    ready_.clear();
    ready_cursor_ = 0;
  } else if (ready_cursor_ > 1024 && ready_cursor_ * 2 > ready_.size()) {
    ready_.erase(ready_.begin(), ready_.begin() + static_cast<ptrdiff_t>(ready_cursor_));
    ready_cursor_ = 0;
  }
  dispatching_ = false;
  UpdateIdle();
}

void Hub::Resume(HubSlot* slot) {
  slot->phase = HubSlot::Phase::kIdle;
  Greenlet* g = slot->g;
  if (g->state == GreenletState::kDead || g->wrapper.IsEmpty()) return;
  v8::HandleScope handle_scope(isolate_);
  v8::Local<v8::Object> resource = g->wrapper.Get(isolate_);
  EnsureAsyncIds(slot);
  {
    // The green thread runs as its own async resource. When it switches out, the scope's end runs the nextTicks
    // and microtasks it queued, on main; an exception escaping is reported as uncaught (verbose TryCatch).
    node::CallbackScope callback_scope(isolate_, resource, slot->async_ids);
    if (g->state == GreenletState::kNew) {
      std::string why;
      if (!runtime_->Activate(g, &why)) {
        // No stack for it: lib/ fails the green thread with this reason instead of starting it.
        v8::Local<v8::Value> args[] = {resource, v8::String::NewFromUtf8(isolate_, why.c_str()).ToLocalChecked()};
        v8::MaybeLocal<v8::Value> ignored =
            on_start_failed_.Get(isolate_)->Call(isolate_->GetCurrentContext(), v8::Undefined(isolate_), 2, args);
        (void)ignored;
        return;
      }
    }
    counters_.resumes++;
    shared_[kStateMainInHub] = 1;
    shared_[kStateHubSwitch] = 1;
    runtime_->SwitchTo(g);
    // One writer (this thread), so a plain load and store: no locked instruction on the resume path.
    heartbeat_->store(heartbeat_->load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    shared_[kStateMainInHub] = 0;
    shared_[kStateHubSwitch] = 0;
  }
  if (g->state == GreenletState::kDead && slot->has_async_ids) {
    node::EmitAsyncDestroy(isolate_, slot->async_ids);
    slot->has_async_ids = false;
  }
}

void Hub::RunTurn() {
  for (int round = 0; round < kDispatchRounds && ready_cursor_ < ready_.size(); round++) Dispatch(kDispatchBudget);
  UpdateIdle();
}

void Hub::OnPoll(uv_poll_t* handle, int status, int events) {
  Hub* hub = HubOf(handle);
  hub->PollFds();
  hub->RunTurn();
}

void Hub::OnTimer(uv_timer_t* handle) {
  Hub* hub = HubOf(handle);
  hub->armed_deadline_ = 0;
  hub->RunExpiredTimers();
  hub->RunTurn();
}

void Hub::OnCheck(uv_check_t* handle) {
  Hub* hub = HubOf(handle);
  hub->counters_.turns++;
  hub->RunExpiredTimers();
  // Yields queued during the previous turn run now; yields made during this dispatch wait for the next turn.
  if (!hub->next_.empty()) {
    hub->ready_.insert(hub->ready_.end(), hub->next_.begin(), hub->next_.end());
    hub->next_.clear();
  }
  hub->RunTurn();
}

// --- teardown -------------------------------------------------------------------------------------------------

void Hub::Forget(Greenlet* g) {
  HubSlot* slot = SlotIn(g);
  if (slot == nullptr) return;
  CancelWait(slot);
  auto drop = [slot](std::vector<HubSlot*>& queue) {
    std::replace(queue.begin(), queue.end(), slot, static_cast<HubSlot*>(&kTombstone));
  };
  drop(ready_);
  drop(next_);
  for (auto it = alarms_.begin(); it != alarms_.end();) {
    if (it->second->slot == slot) {
      StopTimer(it->second.get());
      it = alarms_.erase(it);
    } else {
      ++it;
    }
  }
  delete slot;
  g->attachment = nullptr;
}

HubSlot Hub::kTombstone;

HubExtension* HubExtension::Install(Runtime* runtime) {
  auto* extension = new HubExtension();
  if (runtime->Extend(extension)) return extension;
  delete extension;
  return nullptr;
}

void HubExtension::OnGreenletFreed(Greenlet* g) {
  if (hub != nullptr) {
    hub->Forget(g);
  } else {
    delete SlotIn(g);  // The hub is gone with its queues: nothing refers to the slot any more.
    g->attachment = nullptr;
  }
}

}  // namespace verdant::detail
