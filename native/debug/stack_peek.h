// The JS stack of a suspended greenlet, for dumps, at no cost while nobody asks.
//
// V8 can only describe the stack that is running. Every suspended greenlet sits inside Runtime::SwitchTo, so a
// peek visits the greenlet (Runtime::Visit, greenlet/greenlet.h): it switches in, the greenlet's pending switch
// serves the visit as soon as it returns by capturing its own stack (native code only: none of its JavaScript
// runs), and switches straight back. Nothing is recorded when greenlets park; a peek costs two switches. Tested by
// test/debug/dump.test.ts.
#pragma once

#include <string>
#include <vector>

#include "greenlet/greenlet.h"

namespace verdant::detail {

// One peek in progress; lives on the requester's stack.
struct StackPeek : VisitRequest {
  Greenlet* requester;  // where the target switches back to
  int max_frames;
  bool served = false;
  std::vector<std::string> lines;
};

// Fills `lines` with `target`'s stack (innermost first, see CurrentStackLines) and returns true, or returns false
// when there is no stack to take: target is the running greenlet, not started, finished, of another thread, or
// the switch was refused (then a JS exception is pending).
bool PeekStack(Runtime* runtime, Greenlet* target, int max_frames, std::vector<std::string>* lines);

}  // namespace verdant::detail
