#include "debug/stack_peek.h"

#include <v8.h>

#include "debug/stack_format.h"
#include "greenlet/greenlet.h"

namespace verdant::detail {

bool PeekStack(Runtime* runtime, Greenlet* target, int max_frames, std::vector<std::string>* lines) {
  v8::Isolate* isolate = runtime->isolate();
  if (target == nullptr || target->runtime != runtime || target == runtime->current() ||
      target->state != GreenletState::kActive || runtime->stack_peek != nullptr || isolate->IsExecutionTerminating()) {
    return false;
  }
  StackPeek peek{target, runtime->current(), max_frames};
  runtime->stack_peek = &peek;
  bool switched = runtime->SwitchTo(target);
  runtime->stack_peek = nullptr;
  if (!switched || !peek.served) return false;
  *lines = std::move(peek.lines);
  return true;
}

void ServeStackPeek(Runtime* runtime) {
  StackPeek* peek = runtime->stack_peek;
  peek->target = nullptr;
  {
    v8::HandleScope handle_scope(runtime->isolate());
    peek->lines = CurrentStackLines(runtime->isolate(), peek->max_frames);
  }
  peek->served = true;
  // `peek` lives on the requester's stack: it is gone once this switch returns. That happens when this greenlet
  // is resumed for real or peeked again, and either way Runtime::SwitchTo's loop takes over from there, so any
  // number of peeks costs no stack here.
  runtime->SwitchForPeek(peek->requester);
}

}  // namespace verdant::detail
