#include "greenlet/greenlet.h"

#include <node.h>

#include <cstdlib>
#include <cstring>

#include "v8_compat.h"

namespace verdant::detail {

Runtime::Runtime(v8::Isolate* isolate, std::unique_ptr<Backend> backend)
    : isolate_(isolate), backend_(std::move(backend)) {
  backend_->Attach(this);
  if constexpr (compat::kHasAsyncContextSlot) {
    isolate_->AddGCPrologueCallback(&Runtime::StashAsyncContext, this, v8::kGCTypeAll);
    isolate_->AddGCEpilogueCallback(&Runtime::UnstashAsyncContext, this, v8::kGCTypeAll);
  }
}

// V8 visits the isolate's async-context slot (continuation-preserved embedder data) as a root once per V8
// thread it iterates: the running one and every archived one. Each suspended greenlet is an archived V8 thread,
// so the slot is visited many times in one collection; when it holds a young object, the scavenger copies that
// object again on the second visit and leaves the heap corrupt (a crash at a later GC). So, for the duration of
// every collection, the slot holds undefined and its value waits in a global handle, which V8 visits exactly
// once. Tested by test/runtime/cppgc.test.ts ("async context slot").
void Runtime::StashAsyncContext(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data) {
  auto* self = static_cast<Runtime*>(data);
  v8::HandleScope handle_scope(isolate);
  v8::Local<v8::Value> value = compat::GetAsyncContext(isolate);
  if (value->IsUndefined()) return;
  self->stashed_async_context_.Reset(isolate, value);
  compat::SetAsyncContext(isolate, v8::Undefined(isolate));
}

void Runtime::UnstashAsyncContext(v8::Isolate* isolate, v8::GCType, v8::GCCallbackFlags, void* data) {
  auto* self = static_cast<Runtime*>(data);
  if (self->stashed_async_context_.IsEmpty()) return;
  v8::HandleScope handle_scope(isolate);
  compat::SetAsyncContext(isolate, self->stashed_async_context_.Get(isolate));
  self->stashed_async_context_.Reset();
}

Runtime::~Runtime() = default;

void Runtime::Shutdown() {
  backend_->Shutdown();
  if constexpr (compat::kHasAsyncContextSlot) {
    // The environment is going away, with its Locker still held. Disposing the isolate afterwards may collect once
    // more, no longer locked, and a callback entering V8 then is fatal ("Entering the V8 API without proper
    // locking", seen with worker threads on Node 24). No JavaScript runs after this point, so the slot can simply
    // be emptied now, which is what the stash would have protected.
    isolate_->RemoveGCPrologueCallback(&Runtime::StashAsyncContext, this);
    isolate_->RemoveGCEpilogueCallback(&Runtime::UnstashAsyncContext, this);
    stashed_async_context_.Reset();
    compat::SetAsyncContext(isolate_, v8::Undefined(isolate_));
  }
}

void Runtime::AdoptMain(Greenlet* main_record) {
  main_record->runtime = this;
  main_record->is_main = true;
  main_record->state = GreenletState::kActive;
  main_ = main_record;
  current_ = main_record;
  backend_->AttachMain(main_record);
}

void Runtime::SaveAsyncContext(Greenlet* g) {
  if constexpr (compat::kHasAsyncContextSlot) {
    v8::HandleScope handle_scope(isolate_);
    // Most switches carry the same context they found (or none): skip the global-handle churn then.
    v8::Local<v8::Value> value = compat::GetAsyncContext(isolate_);
    if (value->IsUndefined()) {
      g->async_context.Reset();
    } else if (g->async_context != value) {
      g->async_context.Reset(isolate_, value);
    }
  }
}

void Runtime::OnGainControl(Greenlet* g) {
  isolate_->SetStackLimit(g->is_main ? main_stack_limit_ : g->stack_limit);
  if constexpr (compat::kHasAsyncContextSlot) {
    // A greenlet's first entry has no handle scope yet.
    v8::HandleScope handle_scope(isolate_);
    if (g->async_context.IsEmpty()) {
      compat::SetAsyncContext(isolate_, v8::Undefined(isolate_));
    } else {
      compat::SetAsyncContext(isolate_, g->async_context.Get(isolate_));
    }
  }
  g->async_id_on_entry = node::AsyncHooksGetExecutionAsyncId(isolate_);
}

bool Runtime::SwitchTo(Greenlet* target) {
  Greenlet* from = current_;
  // A greenlet that switches out while inside an async scope it entered itself (runInAsyncScope, an
  // EventEmitterAsyncResource...) would leave its entry on Node's single async-hooks stack, and whatever runs next
  // pops the wrong entry: Node aborts the process. lib/runtime/async-stack.ts normally takes such entries off the
  // stack before every switch (and puts them back on resume), so this only fires where that mechanism is off:
  // refuse the switch then, at the switch site. Tested by test/stress/eventloop.test.ts.
  if (!from->is_main && node::AsyncHooksGetExecutionAsyncId(isolate_) != from->async_id_on_entry) {
    ThrowGreenletError(
        "cannot switch out of a greenlet while it is inside an async scope it entered itself "
        "(AsyncResource.runInAsyncScope or similar): leave the scope before switching");
    return false;
  }
  if (target->state == GreenletState::kNew) {
    std::string why;
    if (!Activate(target, &why)) {
      ThrowGreenletError(why.c_str());
      return false;
    }
  }
  SaveAsyncContext(from);
  current_ = target;
  switches++;
  backend_->Switch(from, target);
  // Control is back in `from`, locked and with its stack limit and async context restored. Someone may have
  // switched here only to visit (see VisitRequest): serve it and go back, as often as asked.
  while (visit_ != nullptr && visit_->target == from) visit_->serve(this, visit_);
  if (!pending_error_.empty()) {
    std::string message;
    message.swap(pending_error_);
    ThrowGreenletError(message.c_str());
    return true;
  }
  if (!pending_exception_.IsEmpty()) {
    v8::Local<v8::Value> exception = pending_exception_.Get(isolate_);
    pending_exception_.Reset();
    isolate_->ThrowException(exception);
    return true;
  }
  if (termination_pending) {
    termination_pending = false;
    ContinueTermination();
  }
  return true;
}

bool Runtime::Extend(RuntimeExtension* extension) {
  if (extension_ != nullptr) return false;
  extension_ = extension;
  return true;
}

bool Runtime::Visit(VisitRequest* request) {
  if (visit_ != nullptr) return false;
  visit_ = request;
  bool switched = SwitchTo(request->target);
  visit_ = nullptr;
  return switched;
}

void Runtime::EndVisit(Greenlet* requester) {
  Greenlet* from = current_;
  SaveAsyncContext(from);
  current_ = requester;
  switches++;
  backend_->Switch(from, requester);
}

void Runtime::ContinueTermination() {
  // TerminateExecution only requests an interrupt, which V8 honours at the next stack check in JS; native calls
  // made before that (postMessage, say) would still run. Entering a trivial script takes that check now, so this
  // switch returns with the termination already under way and no more of the parent's code runs.
  isolate_->TerminateExecution();
  v8::HandleScope handle_scope(isolate_);
  v8::Local<v8::Context> context = isolate_->GetCurrentContext();
  v8::Local<v8::Script> script;
  if (v8::Script::Compile(context, v8::String::NewFromUtf8Literal(isolate_, "undefined")).ToLocal(&script)) {
    v8::MaybeLocal<v8::Value> ignored = script->Run(context);  // Terminates: there is no result to use.
    (void)ignored;
  }
}

void Runtime::ThrowGreenletError(const char* message) {
  v8::Local<v8::Value> text = v8::String::NewFromUtf8(isolate_, message).ToLocalChecked();
  v8::Local<v8::Object> error;
  if (error_class_.IsEmpty() ||
      !error_class_.Get(isolate_)->NewInstance(isolate_->GetCurrentContext(), 1, &text).ToLocal(&error)) {
    if (isolate_->IsExecutionTerminating()) return;
    isolate_->ThrowException(v8::Exception::Error(text.As<v8::String>()));
    return;
  }
  isolate_->ThrowException(error);
}

Greenlet* Runtime::RunEntry(Greenlet* self) {
  v8::HandleScope handle_scope(isolate_);
  v8::Local<v8::Context> context = self->context.Get(isolate_);
  v8::Context::Scope context_scope(context);
  // Node finds its environment through the entered context, which OnGainControl did not have yet.
  self->async_id_on_entry = node::AsyncHooksGetExecutionAsyncId(isolate_);
  v8::TryCatch try_catch(isolate_);
  self->context.Reset();
  v8::MaybeLocal<v8::Value> maybe_next =
      entry_.Get(isolate_)->Call(context, self->wrapper.Get(isolate_), 0, nullptr);

  Greenlet* next = nullptr;
  v8::Local<v8::Value> next_value;
  if (maybe_next.ToLocal(&next_value)) {
    next = FromValue(next_value);
  }
  if (try_catch.HasTerminated() || isolate_->IsExecutionTerminating()) {
    // process.exit() in a worker, or worker.terminate(): unwind to the parent and keep terminating there.
    termination_pending = true;
  } else if (try_catch.HasCaught()) {
    // lib/runtime/greenlet.ts catches everything the user's function throws; reaching this means the entry
    // itself failed (e.g. out of memory). Hand it to the greenlet that runs next rather than losing it.
    pending_exception_.Reset(isolate_, try_catch.Exception());
  }
  if (next == nullptr || next == self || next->state == GreenletState::kDead || next->runtime != this) {
    next = main_;
  }
  next = PrepareFinalJump(next);
  self->state = GreenletState::kDead;
  // Nothing of ours is on this stack any more once we leave; the wrapper may now be collected like any object.
  self->wrapper.SetWeak(self, WeakCallback, v8::WeakCallbackType::kParameter);
  self->async_context.Reset();
  finished++;
  active--;
  return next;
}

Greenlet* Runtime::FromValue(v8::Local<v8::Value> value) const {
  if (!value->IsObject()) return nullptr;
  // The template check walks the object's constructor chain (8% of a switch round trip): first try the two
  // greenlets a switch names most often, main and the last one found, by identity.
  if (main_ != nullptr && main_->wrapper == value) return main_;
  if (last_found_ != nullptr && last_found_->wrapper == value) return last_found_;
  v8::Local<v8::Object> obj = value.As<v8::Object>();
  if (template_.IsEmpty() || !template_.Get(isolate_)->HasInstance(obj)) return nullptr;
  last_found_ = static_cast<Greenlet*>(compat::GetWrapped(obj));
  return last_found_;
}

bool Runtime::Activate(Greenlet* g, std::string* why) {
  if (g->state != GreenletState::kNew) return true;
  if (!backend_->Prepare(g, why)) return false;
  g->state = GreenletState::kActive;
  // A started greenlet owns a stack that V8 scans through its archived thread: it must outlive every reference.
  g->wrapper.ClearWeak();
  started++;
  active++;
  return true;
}

Greenlet* Runtime::PrepareFinalJump(Greenlet* candidate) {
  std::string why;
  if (Activate(candidate, &why)) return candidate;
  // The parent could not even get a stack: go to main and make its pending switch throw.
  pending_error_ = why;
  return main_;
}

void Runtime::WeakCallback(const v8::WeakCallbackInfo<Greenlet>& info) {
  // First pass: V8 allows nothing but resetting the collected handle here.
  info.GetParameter()->wrapper.Reset();
  info.SetSecondPassCallback(FreeRecord);
}

void Runtime::FreeRecord(const v8::WeakCallbackInfo<Greenlet>& info) {
  Greenlet* g = info.GetParameter();
  if (g->runtime != nullptr && g->runtime->last_found_ == g) g->runtime->last_found_ = nullptr;
  // Only the extension fills the attachment, so it is there to free it.
  if (g->attachment != nullptr) g->runtime->extension()->OnGreenletFreed(g);
  if (g->runtime != nullptr) g->runtime->backend()->Destroy(g);
  delete g;  // Also releases its context and async-context handles.
}

std::unique_ptr<Backend> CreateBackend(v8::Isolate* isolate, std::string* why) {
  const char* forced = std::getenv("VERDANT_BACKEND");
  if (forced != nullptr && std::strcmp(forced, "threads") == 0) {
    *why = "VERDANT_BACKEND=threads";
    return CreateThreadsBackend(isolate, why);
  }
  // VERDANT_BACKEND=v8-thread keeps the fast backend but skips its compact record, for the rung below it.
  bool record_allowed = forced == nullptr || std::strcmp(forced, "v8-thread") != 0;
  std::unique_ptr<Backend> fast = CreateFcontextBackend(isolate, record_allowed, why);
  if (fast) return fast;
  std::string fast_why = *why;
  std::unique_ptr<Backend> portable = CreateThreadsBackend(isolate, why);
  *why = fast_why;
  return portable;
}

}  // namespace verdant::detail
