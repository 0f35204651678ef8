#include "debug/stack_peek.h"

#include <v8.h>

#include "debug/stack_format.h"

namespace verdant::detail {
namespace {

// The visit's serve function: runs in the peeked greenlet, right after its pending switch regained control.
void ServeStackPeek(Runtime* runtime, VisitRequest* request) {
  auto* peek = static_cast<StackPeek*>(request);
  peek->target = nullptr;
  {
    v8::HandleScope handle_scope(runtime->isolate());
    peek->lines = CurrentStackLines(runtime->isolate(), peek->max_frames);
  }
  peek->served = true;
  // `peek` lives on the requester's stack: it is gone once this switch returns. That happens when this greenlet
  // is resumed for real or visited again, and either way Runtime::SwitchTo's loop takes over from there, so any
  // number of peeks costs no stack here.
  runtime->EndVisit(peek->requester);
}

}  // namespace

bool PeekStack(Runtime* runtime, Greenlet* target, int max_frames, std::vector<std::string>* lines) {
  v8::Isolate* isolate = runtime->isolate();
  if (target == nullptr || target->runtime != runtime || target == runtime->current() ||
      target->state != GreenletState::kActive || isolate->IsExecutionTerminating()) {
    return false;
  }
  StackPeek peek;
  peek.target = target;
  peek.serve = &ServeStackPeek;
  peek.requester = runtime->current();
  peek.max_frames = max_frames;
  // False without switching when another visit is in progress.
  if (!runtime->Visit(&peek) || !peek.served) return false;
  *lines = std::move(peek.lines);
  return true;
}

}  // namespace verdant::detail
