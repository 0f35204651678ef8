// The hub: where green threads wait. One per Node environment, living inside that environment's libuv loop:
// one uv_poll watches the poller's fd, one uv_timer drives the timer heap, a uv_idle/uv_check pair runs the
// ready queue once per loop turn (like setImmediate), and a uv_async lets other threads wake the loop.
//
// A green thread parks here (Park, on its own stack) and the hub switches to main, whose stack runs the loop.
// When its fd is ready, its deadline passes or lib/ wakes it, the hub switches straight back into it from C++, in
// batches. Each resume runs inside a node::CallbackScope under the green thread's own async resource (its JS
// object, announced with EmitAsyncInit when it is scheduled or first parks): nextTicks and microtasks queued by
// green code run when it switches out, executionAsyncId() is the thread's own across its waits, and
// AsyncLocalStorage built on async resources (Node 20, 22) keeps one store per green thread, inherited from the
// spawner. No JS callback and no Promise sit between readiness and the resumed green thread.
//
// Policy (what a wake means, errors, which greenlet to wake) lives in lib/runtime/hub.ts; the hub only keeps
// the records and moves control. Tested by test/runtime/hub.test.ts and test/native/hub_test.cc.
#pragma once

#include <node.h>
#include <uv.h>
#include <v8.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

#include "greenlet/greenlet.h"
#include "hub/poller.h"
#include "hub/timer_heap.h"

namespace verdant::detail {

// What Park returns: >0 the fd readiness (PollEvents), otherwise one of these. Shared with lib/runtime/hub.ts.
enum WakeCode : int32_t {
  kWokenTimeout = 0,      // the park's own timeout passed (or a yield came round)
  kWokenByWake = -1,      // lib/ woke it (Hub::Wake); the value is in lib/
  kWokenFdClosed = -2,    // the fd it waited on was closed through the hub
  kWokenAlarm = -3,       // an alarm (a Timeout) fired; its id is in shared_state[kStateAlarmId]
  kSwitchedIn = -4,       // something switched to it directly, not the hub; its waits are cancelled
  kParkCollision = -5,    // another green thread already waits on this fd for the same event
  kParkFailed = -6,       // the poller refused the fd; errno in shared_state[kStateErrno]
};

// Flags of Park besides the PollEvents.
enum ParkFlags : uint32_t {
  kParkUnref = 16,        // this wait alone does not keep the process alive
  kParkShared = 32,       // other waiters on the same fd and event are allowed
  // The caller just saw EAGAIN (or a short read of a stream) on the fd: wait for its next edge. The fd is then
  // watched edge-triggered, with no syscall per wait, until FdClosed; the caller must tell the hub about fds it
  // closes (FdClosed) and opens (FdOpened).
  kParkEdge = 64,
};

// The Int32Array that lib/ and the hub share (index: meaning).
enum SharedState : int {
  kStateMainInHub = 0,    // 1 while main is suspended in a hub switch (lib/ must not expect a value back)
  kStateHubSwitch = 1,    // set by the hub right before it switches; cleared by whoever receives control
  kStateAlarmId = 2,
  kStateErrno = 3,
  kStateCount = 8,
};

struct HubTimer : TimerNode {
  enum class Kind : uint8_t { kParkTimeout, kStart, kAlarm };
  Kind kind = Kind::kParkTimeout;
  bool ref = true;
  struct HubSlot* slot = nullptr;
  uint32_t alarm_id = 0;  // kAlarm only
};

// The hub's record of one greenlet, made on first use and freed with the greenlet. It is the greenlet's
// attachment (Greenlet::attachment, which only the hub, as the runtime's extension, fills): read through SlotIn.
struct HubSlot : GreenletAttachment {
  enum class Phase : uint8_t {
    kIdle,       // not known to the hub right now
    kParked,     // suspended in Park
    kReady,      // in the ready queue: to be resumed (or started) at the next dispatch
    kScheduled,  // a start is pending on a timer
  };
  Greenlet* g = nullptr;
  Phase phase = Phase::kIdle;
  bool ref = true;
  bool in_ready = false;  // has an entry in ready_ or next_ (entries are checked against phase on dispatch)
  uint32_t events = 0;    // while parked on an fd
  int fd = -1;
  int32_t code = 0;       // what Park returns when it resumes
  uint32_t alarm_id = 0;  // with kWokenAlarm
  HubTimer timer;
  HubSlot* fd_next = nullptr;
  HubSlot* fd_prev = nullptr;
  std::vector<uint32_t> undelivered_alarms;  // fired while it could not receive them
  std::vector<HubTimer*> alarms;             // its armed alarms (owned by Hub::alarms_); a few at most
  // The green thread as an async resource (its wrapper object): ids from EmitAsyncInit, destroyed when it dies.
  node::async_context async_ids{0, 0};
  bool has_async_ids = false;
};

// The hub's record of `g`, or nullptr if the hub has not seen it.
inline HubSlot* SlotIn(const Greenlet* g) { return static_cast<HubSlot*>(g->attachment); }

struct HubCounters {
  uint64_t turns = 0;       // loop turns seen by the check handle
  uint64_t resumes = 0;
  uint64_t fd_events = 0;
  uint64_t timers_fired = 0;
};

class Hub {
 public:
  // `heartbeat` is bumped each time a greenlet the hub resumed gives control back (HubExtension::heartbeat).
  Hub(Runtime* runtime, uv_loop_t* loop, std::unique_ptr<Poller> poller, int32_t* shared_state,
      std::atomic<uint64_t>* heartbeat);
  ~Hub();
  // Closes the uv handles (the environment is going away); `done` runs once libuv has closed them all.
  void Close(std::function<void()> done);

  // lib/'s hook, told when a scheduled greenlet cannot start (no stack): fn(greenlet, message); and the context
  // the hub's callbacks run in.
  void SetCallbacks(v8::Local<v8::Context> context, v8::Local<v8::Function> on_start_failed);

  // Parks the current greenlet (not main) until its fd is ready for `flags`' events (fd -1: no fd), `timeout_ns`
  // passes (-1: never; 0: a yield, resumed on the next loop turn after everything ready now), or lib/ wakes it.
  // Returns a WakeCode or readiness bits.
  int32_t Park(int fd, uint32_t flags, int64_t timeout_ns);
  // Resumes a parked greenlet at the next dispatch with kWokenByWake. False if it is not parked, or if one of its
  // alarms is already due: that alarm raises into it instead (see FireDueAlarm).
  bool Wake(Greenlet* g);
  // Starts a never-started greenlet from the hub after `delay_ns` (<= 0: at the next dispatch).
  bool ScheduleStart(Greenlet* g, int64_t delay_ns, bool ref);
  // Cancels a pending start. False if there was none.
  bool Unschedule(Greenlet* g);
  // An alarm raises into `g` when it fires: at once if g is parked, else at g's next Park. Returns its id.
  uint32_t AlarmStart(Greenlet* g, int64_t delay_ns, bool ref);
  // False if the alarm already reached its greenlet (or never existed).
  bool AlarmCancel(uint32_t id);
  // The fd is about to be closed: its waiters resume with kWokenFdClosed and the poller forgets it.
  void FdClosed(int fd);
  // A new fd got this number: whatever the hub knew about an older fd of that number no longer holds.
  void FdOpened(int fd);
  // The greenlets waiting on `fd` (for error messages).
  std::vector<HubSlot*> FdWaiters(int fd) const;
  void ForEachListener(const std::function<void(const HubSlot&)>& fn) const;
  void ForEachTimer(const std::function<void(const HubTimer&)>& fn) const;
  // Where the hub has `g` now (HubSlot::Phase as a number).
  int PhaseOf(Greenlet* g) const { return SlotIn(g) == nullptr ? 0 : static_cast<int>(SlotIn(g)->phase); }
  // The greenlet record is being freed.
  void Forget(Greenlet* g);

  const HubCounters& counters() const { return counters_; }
  const char* poller_name() const { return poller_->name(); }
  size_t ready_count() const { return ready_.size() - ready_cursor_ + next_.size(); }

 private:
  // By fd: watched edge-triggered (kParkEdge), and the readiness bits its edges brought while nobody waited for
  // them (an edge is reported once, so it is kept until a waiter takes it).
  struct EdgeState {
    bool watched = false;
    uint8_t pending = 0;
  };

  HubSlot* SlotOf(Greenlet* g);
  // Announces the greenlet as an async resource, in the current async context (once).
  void EnsureAsyncIds(HubSlot* slot);
  void Enqueue(HubSlot* slot, bool next_turn);
  // Takes a parked slot out of every wait structure and queues it with `code`.
  void Resolve(HubSlot* slot, int32_t code);
  void CancelWait(HubSlot* slot);
  void DetachFromFd(HubSlot* slot);
  uint32_t UnionOfEvents(int fd) const;
  EdgeState* EdgesOf(int fd);
  // Registers the parked slot on its fd's poller interest; an errno, or 0.
  int ArmForSlot(HubSlot* slot, bool edge);
  void StartTimer(HubTimer* timer, uint64_t deadline);
  void StopTimer(HubTimer* timer);
  bool FireDueAlarm(HubSlot* slot);
  void Disarmed(HubTimer* alarm);
  void FireTimer(HubTimer* timer);
  void RunExpiredTimers();
  void UpdateUvTimer();
  void UpdateIdle();
  void AdjustRefFd(int delta);
  // Resumes ready greenlets (at most `budget`) inside a callback scope; then nextTicks and microtasks run.
  void Dispatch(size_t budget);
  void Resume(HubSlot* slot);
  void RunTurn();
  void PollFds();

  static void OnPoll(uv_poll_t* handle, int status, int events);
  static void OnTimer(uv_timer_t* handle);
  static void OnCheck(uv_check_t* handle);
  static void OnIdle(uv_idle_t* handle) {}
  static void OnAsync(uv_async_t* handle) {}

  Runtime* runtime_;
  v8::Isolate* isolate_;
  uv_loop_t* loop_;
  std::unique_ptr<Poller> poller_;
  int32_t* shared_;
  std::atomic<uint64_t>* heartbeat_;
  uv_poll_t poll_handle_;
  uv_timer_t timer_handle_;
  uv_check_t check_handle_;
  uv_idle_t idle_handle_;
  uv_async_t async_handle_;
  int open_handles_ = 0;
  std::function<void()> on_closed_;
  uint64_t armed_deadline_ = 0;
  bool closing_ = false;
  bool dispatching_ = false;

  v8::Global<v8::Context> context_;
  v8::Global<v8::Function> on_start_failed_;

  // Heads of the waiter lists, by fd.
  std::vector<HubSlot*> fd_waiters_;
  std::vector<EdgeState> fd_edges_;
  size_t fd_waiter_count_ = 0;
  TimerHeap timers_;
  std::unordered_map<uint32_t, std::unique_ptr<HubTimer>> alarms_;
  uint32_t next_alarm_id_ = 1;
  // The ready queue: ready_ runs at this dispatch (and takes what is woken during it, within a budget); next_
  // holds yields, which wait for the next loop turn.
  std::vector<HubSlot*> ready_;
  size_t ready_cursor_ = 0;
  std::vector<HubSlot*> next_;
  int ref_fd_waits_ = 0;
  int ref_timers_ = 0;
  HubCounters counters_;
  // Stands in for a forgotten slot in the ready queues (never ready, so Dispatch skips it).
  static HubSlot kTombstone;
};

// What the hub keeps per runtime, as the runtime's extension (greenlet/greenlet.h): the running Hub, the cells
// shared with lib/, the heartbeat the watchdog reads, and the release of each greenlet's HubSlot. Made once per
// runtime when the addon loads (InitHubBindings), before lib/ can start the hub, and never freed, like the runtime
// itself: a greenlet record freed late in the isolate's teardown, after the Hub has closed, must still find it
// (to free its slot) and a watchdog thread that reads the heartbeat late must find it too.
class HubExtension final : public RuntimeExtension {
 public:
  // Makes this runtime's, or returns nullptr if the runtime already has an extension (another floor took it).
  static HubExtension* Install(Runtime* runtime);
  // This runtime's, found in O(1). Precondition: Install succeeded for it (the addon's load did it).
  static HubExtension* Of(const Runtime* runtime) { return static_cast<HubExtension*>(runtime->extension()); }

  void OnGreenletFreed(Greenlet* g) override;

  // The running hub, once lib/ has started it; null before that and after the environment's teardown began.
  Hub* hub = nullptr;
  // The Int32Array shared with lib/ (SharedState), off the V8 heap so its address never moves.
  int32_t* shared_state = nullptr;
  std::shared_ptr<v8::BackingStore> shared_state_owner;
  // Bumped by the hub each time a greenlet it resumed gives control back. The watchdog thread
  // (native/debug/watchdog.h) reads it to tell a green thread that never yields from many that each run briefly;
  // atomic for that reader, and safe to read late because this record is never freed.
  std::atomic<uint64_t> heartbeat{0};

 private:
  HubExtension() = default;
};

}  // namespace verdant::detail
