// The two V8 internals the fcontext backend rewrites on every switch, neither of which V8 exposes:
//  - V8's `thread_local int thread_id` (v8::internal::ThreadId), so that each greenlet is a V8 "thread";
//  - the heap's stack-start slot (heap::base::Stack), so that cppgc and conservative scanning walk the running
//    greenlet's stack and not main's;
// They are found at load from the running executable's symbol tables and machine code, decoded and cross-checked
// by one resolver per architecture. Anything unexpected fails closed: the caller then uses the portable threads
// backend.
#pragma once

// Which resolver this build compiles, decided here and nowhere else. Every resolver source is listed in the build
// and compiles to nothing unless its macro is set (as the hub's pollers do with poller.h):
//  - internals_elf.cc with internals_x86_64.cc: x86-64 Linux;
//  - internals_elf.cc with internals_arm64.cc: AArch64 Linux;
//  - internals_unsupported.cc: anywhere else; it resolves nothing, with the reason "unsupported platform".
#if defined(__x86_64__) && defined(__linux__)
#define VERDANT_INTERNALS_X86_64 1
#define VERDANT_INTERNALS_ELF 1
#elif defined(__aarch64__) && defined(__linux__)
#define VERDANT_INTERNALS_ARM64 1
#define VERDANT_INTERNALS_ELF 1
#else
#define VERDANT_INTERNALS_UNSUPPORTED 1
#endif

#include <cstdint>
#include <string>

namespace v8 {
class Isolate;
}

namespace verdant::detail {

struct V8Internals {
  // Offset of V8's thread_local `thread_id` from the thread pointer (%fs base on x86-64, tpidr_el0 on AArch64).
  intptr_t thread_id_tp_offset = 0;
  // Offset of the internal Heap object inside the Isolate.
  uintptr_t heap_offset = 0;
  // Heap::stack() is `*(heap + stack_holder_offset) + stack_offset`; the Stack's first word is its start.
  uintptr_t stack_holder_offset = 0;
  uintptr_t stack_offset = 0;
  // v8::internal::ThreadId::GetCurrentThreadId, kept for cross-checks and tests.
  int (*get_current_thread_id)() = nullptr;
};

// Finds the internals of the V8 inside this process. Must run on a thread that has `isolate` entered and locked,
// with the JS stack of that thread below. Returns false with a one-line reason in `why` on any doubt.
bool ResolveV8Internals(v8::Isolate* isolate, V8Internals* out, std::string* why);

// The calling OS thread's V8 thread-id slot.
int* ThreadIdSlot(const V8Internals& internals);

// The isolate's heap stack-start slot (the address of heap::base::Stack's start field).
uintptr_t* StackStartSlot(v8::Isolate* isolate, const V8Internals& internals);

}  // namespace verdant::detail
