// What one architecture gives the ELF resolver (internals_elf.cc): its registers and the decoding of its machine
// code. Everything else (which symbols, the order, the cross-checks against the live process) is shared. One
// implementation per architecture, chosen in internals.h: internals_x86_64.cc, internals_arm64.cc.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "greenlet/decoded.h"
#include "greenlet/elf_symbols.h"

namespace verdant::detail::arch {

// A function's first bytes in the loaded image.
struct Code {
  const uint8_t* bytes = nullptr;
  size_t len = 0;
  uintptr_t addr = 0;  // runtime address of bytes[0], for branch targets
};

// The thread pointer V8's thread_local variables are addressed from (%fs base, tpidr_el0).
uintptr_t ThreadPointer();
uintptr_t StackPointer();

// Whether `tp`, this thread's thread pointer, has the shape this ABI gives it; false with the reason if not.
bool CheckThreadPointer(uintptr_t tp, std::string* why);

// v8::internal::ThreadId::GetCurrentThreadId → the offset of its thread_local slot from the thread pointer,
// checked to be plausible for this ABI's TLS layout. `elf` resolves indirections (an initial-exec GOT slot).
bool DecodeThreadIdOffset(const ElfSymbols& elf, const Code& code, intptr_t* tp_offset, std::string* why);

// v8::Isolate::{Add,Remove}GCPrologueCallback, a thunk that adds the Heap's offset to the Isolate* and jumps to
// the Heap's method.
bool DecodeHeapThunk(const Code& code, const char* what, ThunkDecode* out, std::string* why);

// v8::internal::Heap::stack().
bool DecodeHeapStack(const Code& code, HeapStackDecode* out, std::string* why);

// v8::internal::Heap::SetStackStart: where, past the same holder, it stores the stack start.
bool FindSetStackStartStore(const Code& code, uint32_t holder_offset, uint32_t* store_offset, std::string* why);

// The compact-record switch (record_backend.cc) needs two fields of V8's Isolate, read from code that loads them:
// - the first call of `code`, with the LoadChain of the first argument it passes, traced through the straight
//   line before it (ThreadManager::FreeThreadResources → the HandleScopeImplementer);
bool DecodeFirstCall(const Code& code, const char* what, FirstCallDecode* out, std::string* why);
// - the offset of the first load `code` makes from its argument `arg` (0 = first), before any call or branch
//   (v8::Unlocker::Initialize(Isolate*) → isolate->thread_manager()).
bool DecodeFirstLoadFromArg(const Code& code, int arg, const char* what, uint32_t* offset, std::string* why);

}  // namespace verdant::detail::arch
