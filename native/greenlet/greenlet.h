// The native half of a greenlet: a record per greenlet and a Runtime per isolate (per Node environment: the main
// thread and each worker thread), plus the interface the two switching backends implement.
//
// Policy (parents, throw, GreenletExit, tracing) lives in lib/runtime/greenlet.ts. This layer only knows how to
// start a greenlet by calling its JS entry function on a fresh stack, how to transfer control between two
// greenlets of the same isolate, and how to finish a greenlet whose entry returned the greenlet to go to next.
// Values travel in TypeScript module state, not through here.
#pragma once

#include <v8.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "greenlet/stack.h"

namespace verdant::detail {

class Backend;
class Runtime;
struct Greenlet;

// --- hooks for the floors above ---------------------------------------------------------------------------------
// The core knows nothing of what is built on it; a floor above that must keep state per greenlet, or act inside a
// switch, does it through the three hooks below, each owned and typed by that floor (it derives its own records
// from these bases and casts back, so no void* travels and no name of an upper floor appears here).

// Base of the one per-greenlet record an upper floor may keep in Greenlet::attachment. A plain pointer field
// rather than a lookup table keyed by greenlet: its owner reads it on every park and wake, where a field load is
// the whole cost. One field because one floor needs it; a second would turn it into a small array indexed by
// registration order, not into a map.
struct GreenletAttachment {};

// The upper floor that extends a runtime (one per runtime, see Runtime::Extend): its per-runtime record, found in
// O(1) from the Runtime by the floor's own code, on whatever OS thread the greenlet runs (the threads backend
// runs each greenlet on a thread of its own, so a thread_local would not do). It lives as long as the runtime,
// which is never freed (see Runtime::Shutdown): greenlet records are freed by weak callbacks that may run during
// the isolate's teardown, after the extension's own machinery has closed, and must still find it.
class RuntimeExtension {
 public:
  // The record of `g` is being freed (its wrapper was collected): drop whatever refers to it and free
  // g->attachment, which is non-null when this is called. Runs in a second-pass weak callback, with no JS.
  virtual void OnGreenletFreed(Greenlet* g) = 0;

 protected:
  ~RuntimeExtension() = default;  // never deleted through this base: it outlives every greenlet
};

// A visit: some native code must run on a suspended greenlet's own stack (V8 only describes the running stack),
// so the requester switches into it, the visited greenlet runs `serve` as soon as its pending SwitchTo regains
// control, before any of its JS, and `serve` switches straight back with Runtime::EndVisit. Derive the request
// from this base (it lives on the requester's stack) and pass it to Runtime::Visit.
struct VisitRequest {
  // The greenlet to visit; `serve` clears it once served, so that a later real resume runs no second serve.
  Greenlet* target = nullptr;
  // Runs in `target`, with the isolate locked for it; must end with runtime->EndVisit(requester). Returns when
  // `target` is resumed again, for real or for another visit.
  void (*serve)(Runtime* runtime, VisitRequest* request) = nullptr;
};

enum class GreenletState : uint8_t {
  kNew,        // created, never switched to: no stack, no V8 thread
  kActive,     // started and not finished: running or suspended, owns a stack (or an OS thread)
  kDead,       // entry returned: its stack is gone
};

struct Greenlet {
  Runtime* runtime = nullptr;
  GreenletState state = GreenletState::kNew;
  bool is_main = false;

  // The JS object that represents this greenlet (the TS Greenlet instance). Strong while kActive, so that a
  // suspended greenlet is never collected under its own stack; weak otherwise, and its collection frees us.
  v8::Global<v8::Object> wrapper;
  // The context the runtime's entry function runs in for this greenlet: its creator's.
  v8::Global<v8::Context> context;
  size_t stack_size = 0;

  // The async context (AsyncContextFrame) this greenlet runs with; saved when it switches out.
  v8::Global<v8::Value> async_context;
  // node::AsyncHooksGetExecutionAsyncId when this greenlet last gained control; if it differs at switch-out, the
  // greenlet entered an async scope it has not left, and switching would corrupt Node's async-hooks stack.
  double async_id_on_entry = 0;
  // The JS stack limit V8 must use while this greenlet runs.
  uintptr_t stack_limit = 0;
  // Where this greenlet's stack starts (its highest address), for the heap's stack-start slot.
  uintptr_t stack_start = 0;

  // Backend-private state (the machine context and stack, or the OS thread).
  void* backend_data = nullptr;
  // The runtime extension's record of this greenlet (see GreenletAttachment), made and typed by that extension;
  // the core only hands it back through RuntimeExtension::OnGreenletFreed.
  GreenletAttachment* attachment = nullptr;
};

// Everything per isolate: the greenlets' shared state and the backend instance. Lives as long as the Node
// environment that loaded the addon.
class Runtime {
 public:
  Runtime(v8::Isolate* isolate, std::unique_ptr<Backend> backend);
  ~Runtime();

  v8::Isolate* isolate() const { return isolate_; }
  Backend* backend() const { return backend_.get(); }
  Greenlet* main() const { return main_; }
  Greenlet* current() const { return current_; }
  void set_current(Greenlet* g) { current_ = g; }

  // The environment is going away: give back pooled stacks and drop the GC callbacks (the isolate may collect
  // once more when disposed, unlocked). The runtime itself stays allocated, because weak
  // callbacks of greenlet wrappers may still run during the isolate's teardown and reach it.
  void Shutdown();

  // Binds the main greenlet record to its JS wrapper (once per isolate).
  void AdoptMain(Greenlet* main_record);

  // Transfers control from the current greenlet to `target`. Returns true when control comes back (possibly with
  // a JS exception pending, raised by whoever switched back), or false with a pending JS exception, without
  // switching, if the switch is not allowed. Precondition: target belongs to this runtime, is not dead and is
  // not current. Tested by test/runtime/greenlet.test.ts.
  bool SwitchTo(Greenlet* target);

  // Runs on a fresh greenlet's own stack, with the isolate locked for it: calls the entry function, marks the
  // greenlet dead and returns the greenlet to switch to next, already activated (main if the entry misbehaved
  // or the next one could not get a stack). Shared by both backends.
  Greenlet* RunEntry(Greenlet* self);

  // Called by the backends right after `g` gains control (first entry or resume), with the isolate locked:
  // restores its stack limit and async context and notes its async id.
  void OnGainControl(Greenlet* g);

  // A greenlet finished; called on the target's side after the jump, so the dead stack can be released.
  void ReleaseDead(Greenlet* g);

  // Moves a kNew greenlet to kActive, getting its stack or thread; false with a reason if it cannot.
  bool Activate(Greenlet* g, std::string* why);

  // A finished greenlet's entry named `candidate` as the next greenlet; makes sure it can run (a never-started
  // parent gets its stack here) and returns the greenlet to jump to: main, with an error pending, if not.
  Greenlet* PrepareFinalJump(Greenlet* candidate);

  // The record behind a JS value, or nullptr if it is not a greenlet of this isolate.
  Greenlet* FromValue(v8::Local<v8::Value> value) const;
  void set_template(v8::Local<v8::FunctionTemplate> tmpl) { template_.Reset(isolate_, tmpl); }
  // The TS function every greenlet starts in, called with the greenlet's wrapper as `this` and no arguments on
  // the greenlet's own stack; it returns the greenlet to switch to when the greenlet is done.
  void set_entry(v8::Local<v8::Function> entry) { entry_.Reset(isolate_, entry); }
  // lib/runtime/errors.ts's GreenletError, for the errors this layer raises itself.
  void set_error_class(v8::Local<v8::Function> error_class) { error_class_.Reset(isolate_, error_class); }
  void ThrowGreenletError(const char* message);
  bool has_entry() const { return !entry_.IsEmpty(); }

  // Frees the native record once the JS wrapper is gone (never for kActive greenlets).
  static void WeakCallback(const v8::WeakCallbackInfo<Greenlet>& info);
  static void FreeRecord(const v8::WeakCallbackInfo<Greenlet>& info);

  // Main's JS stack limit, to restore when main regains control.
  uintptr_t main_stack_limit() const { return main_stack_limit_; }
  void set_main_stack_limit(uintptr_t limit) { main_stack_limit_ = limit; }

  // Bytes of stack a greenlet's JS may use; its stack is this plus the margin (plus a guard page).
  size_t default_stack_size = 224 * 1024;
  size_t stack_margin = 32 * 1024;
  // Counters for tests and benchmarks.
  uint64_t switches = 0;
  uint64_t started = 0;
  uint64_t finished = 0;
  size_t active = 0;

  // A pending uncatchable termination seen inside a greenlet's entry, re-raised in its parent.
  bool termination_pending = false;

  // Makes `extension` this runtime's extension, which alone may fill Greenlet::attachment and is told when a
  // greenlet record is freed. Once per runtime: false (and nothing changes) if another one is already there.
  bool Extend(RuntimeExtension* extension);
  RuntimeExtension* extension() const { return extension_; }

  // Switches to request->target (started, suspended, of this runtime, not current) only to run request->serve
  // on its stack. Returns true once serve has switched back, false without visiting when a visit is already in
  // progress, or false with a pending JS exception when the switch is refused (see SwitchTo).
  bool Visit(VisitRequest* request);
  // Hands control straight back to the greenlet that asked for the visit, from the visited one (a serve
  // function's last step). Unlike SwitchTo it checks nothing and handles no pending error: the SwitchTo the
  // visited greenlet is suspended in does that when it really resumes.
  void EndVisit(Greenlet* requester);

 private:
  void SaveAsyncContext(Greenlet* g);
  static void StashAsyncContext(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags, void* data);
  static void UnstashAsyncContext(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags, void* data);
  v8::Global<v8::Value> stashed_async_context_;
  void ContinueTermination();
  // FromValue's last answer from the template check (cleared when its record is freed).
  mutable Greenlet* last_found_ = nullptr;
  // Read by SwitchTo after every switch back: the one load and null test a visit costs while none is asked for.
  VisitRequest* visit_ = nullptr;
  RuntimeExtension* extension_ = nullptr;
  v8::Isolate* isolate_;
  std::unique_ptr<Backend> backend_;
  Greenlet* main_ = nullptr;
  Greenlet* current_ = nullptr;
  uintptr_t main_stack_limit_ = 0;
  v8::Global<v8::FunctionTemplate> template_;
  v8::Global<v8::Function> entry_;
  v8::Global<v8::Function> error_class_;
  // An error raised where no JS frame can receive it (a finished greenlet's parent could not get a stack, or its
  // entry function itself threw); thrown from the pending switch() of the greenlet that runs next.
  std::string pending_error_;
  v8::Global<v8::Value> pending_exception_;
  friend class Backend;
};

// The switching mechanism. Exactly one instance per Runtime.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;
  // How V8's per-thread state follows the greenlet that runs: "record" (a compact record per greenlet, swapped on
  // every switch) or "v8-thread" (each greenlet a V8 thread, handed over through Locker and Unlocker).
  virtual const char* state_switch() const { return "v8-thread"; }
  // Why the compact record is not used, where it is not (empty otherwise).
  std::string state_switch_why;

  // Called once when the runtime is created on the isolate's thread, with the isolate locked and entered.
  virtual void Attach(Runtime* runtime) { runtime_ = runtime; }

  // The main greenlet record of this isolate: the thread that loaded the addon, on its own stack.
  virtual void AttachMain(Greenlet* main) = 0;

  // Gets a never-started greenlet ready to run (its stack or thread). False with a reason when it cannot; the
  // switch is then refused with a catchable error. A no-op for started greenlets.
  virtual bool Prepare(Greenlet* g, std::string* why) = 0;

  // Transfers control from `from` (running, on its own stack/thread) to `to` (kNew or kActive), which the
  // runtime has already made current. Returns when something switches back to `from`, with the isolate locked
  // for `from` again and Runtime::OnGainControl(from) done.
  // Precondition: the isolate is locked by `from`; no V8 handle of `from` is used by the callee until it returns.
  virtual void Switch(Greenlet* from, Greenlet* to) = 0;

  // Frees whatever the backend holds for a dead greenlet (its stack or thread). Runs after the greenlet has
  // left its stack for good.
  virtual void Release(Greenlet* g) = 0;

  // The greenlet record is going away (wrapper collected, or the runtime shutting down).
  virtual void Destroy(Greenlet* g) { Release(g); }

  // Stack statistics for tests and benchmarks (may be empty for the threads backend).
  virtual StackAllocatorStats stack_stats() const { return {}; }
  virtual void set_stack_pool_limit(size_t limit) {}
  virtual void TrimStackPool() {}
  // The environment is going away (Runtime::Shutdown): give back what is not needed for the isolate's teardown.
  virtual void Shutdown() { TrimStackPool(); }

 protected:
  Runtime* runtime_ = nullptr;
};

// Chooses and builds the backend for this isolate: fcontext unless VERDANT_BACKEND=threads or its internals
// cannot be validated. `why` receives the reason when it fell back (empty otherwise).
std::unique_ptr<Backend> CreateBackend(v8::Isolate* isolate, std::string* why);

// The fast backend with its compact record when `record_allowed` and its internals validate, else with a V8 thread
// per greenlet; null with the reason when neither can run here.
std::unique_ptr<Backend> CreateFcontextBackend(v8::Isolate* isolate, bool record_allowed, std::string* why);
std::unique_ptr<Backend> CreateThreadsBackend(v8::Isolate* isolate, std::string* why);

}  // namespace verdant::detail
