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

// What the compact-record switch (record_backend.cc) calls: V8's own archive and restore functions for the three
// pieces of per-thread state a greenlet carries (its handle scopes, its ThreadLocalTop and its Relocatable chain),
// and the ThreadManager's ThreadState records, in whose in-use list the GC finds suspended greenlets. Functions
// take their `this` first.
struct V8RecordInternals {
  void* thread_manager = nullptr;            // isolate->thread_manager()
  void* handle_scope_implementer = nullptr;  // isolate->handle_scope_implementer()
  char* (*archive_handle_scopes)(void* hsi, char* to) = nullptr;
  char* (*restore_handle_scopes)(void* hsi, char* from) = nullptr;
  void (*free_handle_scopes)(void* hsi) = nullptr;
  char* (*archive_thread_local_top)(void* isolate, char* to) = nullptr;
  char* (*restore_thread_local_top)(void* isolate, char* from) = nullptr;
  void (*initialize_thread_local_top)(void* isolate) = nullptr;
  char* (*archive_relocatables)(void* isolate, char* to) = nullptr;
  char* (*restore_relocatables)(void* isolate, char* from) = nullptr;
  void* (*get_free_thread_state)(void* thread_manager) = nullptr;
  void (*link_thread_state)(void* state, int list) = nullptr;  // ThreadState::LinkInto(List)
  void (*unlink_thread_state)(void* state) = nullptr;
  void* (*first_thread_state_in_use)(void* thread_manager) = nullptr;
  // ThreadState::List.
  static constexpr int kFreeList = 0;
  static constexpr int kInUseList = 1;
  // Where a ThreadState keeps its `char* data_`, and how many bytes of it the three archives fill.
  size_t thread_state_data_offset = 0;
  size_t archive_bytes = 0;
};

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
  // The compact-record switch's internals, when they could all be validated (see record_why otherwise).
  bool has_record = false;
  V8RecordInternals record;
  std::string record_why;
};

// Finds the internals of the V8 inside this process. Must run on a thread that has `isolate` entered and locked,
// with the JS stack of that thread below. Returns false with a one-line reason in `why` on any doubt. The
// compact-record part is optional: when it cannot be validated, `has_record` is false and `record_why` says why.
bool ResolveV8Internals(v8::Isolate* isolate, V8Internals* out, std::string* why);

// The calling OS thread's V8 thread-id slot.
int* ThreadIdSlot(const V8Internals& internals);

// The isolate's heap stack-start slot (the address of heap::base::Stack's start field).
uintptr_t* StackStartSlot(v8::Isolate* isolate, const V8Internals& internals);

}  // namespace verdant::detail
