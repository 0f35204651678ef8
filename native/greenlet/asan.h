// AddressSanitizer must be told when a thread moves to another stack, or it mistakes the switch for a stack
// overflow or reports stale shadow memory on reused stacks. These compile to nothing in a normal build; the
// sanitizer build (scripts/sanitize.sh) turns them on. Only the fcontext backend switches stacks in one thread.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define VERDANT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VERDANT_ASAN 1
#endif
#endif

#ifdef VERDANT_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace verdant::detail {

// The sanitizer's view of one stack: where it is and the fake stack saved while it is switched out.
struct AsanStack {
  const void* bottom = nullptr;
  size_t size = 0;
  void* fake_stack = nullptr;
};

// About to leave `from` (nullptr when `from` is finished and its stack will not be used again) for `to`.
inline void AsanBeforeSwitch(AsanStack* from, const AsanStack& to) {
#ifdef VERDANT_ASAN
  __sanitizer_start_switch_fiber(from != nullptr ? &from->fake_stack : nullptr, to.bottom, to.size);
#else
  (void)from;
  (void)to;
#endif
}

// Arrived on `self`'s stack; learns the bounds of the stack we came from when it had none yet (main's).
inline void AsanAfterSwitch(AsanStack* self, AsanStack* came_from) {
#ifdef VERDANT_ASAN
  const void* old_bottom = nullptr;
  size_t old_size = 0;
  __sanitizer_finish_switch_fiber(self->fake_stack, &old_bottom, &old_size);
  if (came_from != nullptr && came_from->bottom == nullptr) {
    came_from->bottom = old_bottom;
    came_from->size = old_size;
  }
#else
  (void)self;
  (void)came_from;
#endif
}

// A stack goes back to the pool: the frames that never returned on it (a greenlet's bottom frames) leave redzone
// poison behind that would otherwise trip the next greenlet to use it.
inline void AsanForgetStack(const void* bottom, size_t size) {
#ifdef VERDANT_ASAN
  ASAN_UNPOISON_MEMORY_REGION(bottom, size);
#else
  (void)bottom;
  (void)size;
#endif
}

}  // namespace verdant::detail
