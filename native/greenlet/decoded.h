// What the per-architecture decoders (x86_64_decode.h, arm64_decode.h) read out of V8's machine code: the same
// facts whatever the instruction set, so that the resolver (internals_elf.cc) takes them as they come.
#pragma once

#include <cstdint>

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

}  // namespace verdant::detail
