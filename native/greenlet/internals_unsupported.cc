// The resolver for every platform without one of its own (internals.h decides): it finds nothing, so the fcontext
// backend is never validated there and the runtime uses the threads backend, saying why in backend().
#include "greenlet/internals.h"

#if defined(VERDANT_INTERNALS_UNSUPPORTED)

namespace verdant::detail {

bool ResolveV8Internals(v8::Isolate*, V8Internals*, std::string* why) {
  if (why != nullptr) *why = "unsupported platform";
  return false;
}

int* ThreadIdSlot(const V8Internals&) { return nullptr; }

uintptr_t* StackStartSlot(v8::Isolate*, const V8Internals&) { return nullptr; }

}  // namespace verdant::detail

#endif  // VERDANT_INTERNALS_UNSUPPORTED
