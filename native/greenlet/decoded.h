// What the per-architecture decoders (x86_64_decode.h, arm64_decode.h) read out of V8's machine code: the same
// facts whatever the instruction set, so that the resolver (internals_elf.cc) takes them as they come.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace verdant::detail {

// v8::Isolate::{Add,Remove}GCPrologueCallback: a thunk that adds the Heap's offset to the Isolate* and jumps on.
struct ThunkDecode {
  uint32_t heap_offset = 0;
  uintptr_t jump_target = 0;
};

// v8::internal::Heap::stack(): `*(heap + holder_offset) + stack_offset`.
struct HeapStackDecode {
  uint32_t holder_offset = 0;  // D
  uint32_t stack_offset = 0;   // S
};

// A value traced through a function's straight-line prefix: one of its own arguments, then `depth` loads of a
// pointer, each at the value so far plus offsets[i]: `*(*(arg + offsets[0]) + offsets[1])` for depth 2.
struct LoadChain {
  static constexpr int kMaxDepth = 2;
  int root = -1;  // the argument register it starts from (0 = first); -1: not derived from an argument
  int depth = 0;
  uint32_t offsets[kMaxDepth] = {};
};

// The first call a function makes, and the first argument it passes there, traced as a LoadChain. For
// ThreadManager::FreeThreadResources(): `isolate_->handle_scope_implementer()->FreeThreadResources()`, so the
// argument is *(*(this + isolate_offset) + handle_scope_implementer_offset) and the target HSI's method.
struct FirstCallDecode {
  LoadChain arg0;
  uintptr_t call_target = 0;
};

// ---- reasons: every doubt ends in one line that says what was wrong and where ----------------------------------

inline std::string Hex(uintptr_t v) {
  char buf[32];
  snprintf(buf, sizeof(buf), "0x%lx", static_cast<unsigned long>(v));
  return buf;
}

// Sets `why` (if given) and returns false, so that a check reads `if (...) return Fail(why, ...)`.
inline bool Fail(std::string* why, std::string reason) {
  if (why != nullptr) *why = std::move(reason);
  return false;
}

// A decoder's reason: the function, the problem, the offset and what was found there (bytes, an instruction).
inline bool DecodeFailed(std::string* why, const char* what, const char* problem, size_t at, const std::string& found) {
  char head[32];
  snprintf(head, sizeof(head), " at +%zu: ", at);
  return Fail(why, std::string(what) + ": " + problem + head + found);
}

}  // namespace verdant::detail
