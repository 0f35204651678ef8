// Resolves the V8 internals of internals.h on ELF platforms: symbols from the executable's tables
// (elf_symbols.h), machine code decoded by the architecture's decoders (internals_arch.h), then every result
// cross-checked against the live process. Anything unexpected fails closed with a one-line reason.
#include "greenlet/internals.h"

#if defined(VERDANT_INTERNALS_ELF)

#include <v8.h>

#include <cstdio>

#include "greenlet/elf_symbols.h"
#include "greenlet/internals_arch.h"
#include "platform/posix.h"

namespace verdant::detail {

namespace {

using arch::Code;

enum Sym {
  kGetCurrentThreadId,
  kIsolateAddPrologue,
  kHeapAddPrologue,
  kIsolateRemovePrologue,
  kHeapRemovePrologue,
  kHeapStack,
  kHeapSetStackStartArg,  // Heap::SetStackStart(void*)   (Node 20, 22)
  kHeapSetStackStart,     // Heap::SetStackStart()        (Node 24+)
  kBaseGetStackStart,
  kSymCount
};

constexpr const char* kNames[kSymCount] = {
    "_ZN2v88internal8ThreadId18GetCurrentThreadIdEv",
    "_ZN2v87Isolate21AddGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_S2_",
    "_ZN2v88internal4Heap21AddGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES4_S6_",
    "_ZN2v87Isolate24RemoveGCPrologueCallbackEPFvPS0_NS_6GCTypeENS_15GCCallbackFlagsEPvES4_",
    "_ZN2v88internal4Heap24RemoveGCPrologueCallbackEPFvPNS_7IsolateENS_6GCTypeENS_15GCCallbackFlagsEPvES6_",
    "_ZN2v88internal4Heap5stackEv",
    "_ZN2v88internal4Heap13SetStackStartEPv",
    "_ZN2v88internal4Heap13SetStackStartEv",
    "_ZN2v84base5Stack13GetStackStartEv",
};

constexpr const char* kPretty[kSymCount] = {
    "v8::internal::ThreadId::GetCurrentThreadId()",
    "v8::Isolate::AddGCPrologueCallback(cb, data, type)",
    "v8::internal::Heap::AddGCPrologueCallback(cb, type, data)",
    "v8::Isolate::RemoveGCPrologueCallback(cb, data)",
    "v8::internal::Heap::RemoveGCPrologueCallback(cb, data)",
    "v8::internal::Heap::stack()",
    "v8::internal::Heap::SetStackStart(void*)",
    "v8::internal::Heap::SetStackStart()",
    "v8::base::Stack::GetStackStart()",
};

// Bytes of a function we are willing to decode (all the patterns we accept are within the first ~64 bytes).
constexpr size_t kMaxCodeBytes = 256;

std::string SignedHex(intptr_t v) {
  char buf[32];
  unsigned long magnitude = v < 0 ? 0ul - static_cast<unsigned long>(v) : static_cast<unsigned long>(v);
  snprintf(buf, sizeof(buf), "%s0x%lx", v < 0 ? "-" : "+", magnitude);
  return buf;
}

bool CodeOf(const ElfSymbols& elf, const ElfSymbol* syms, Sym s, Code* out, std::string* why) {
  const ElfSymbol& e = syms[s];
  if (e.address == 0) return Fail(why, std::string("symbol not found: ") + kPretty[s]);
  if (e.size == 0) return Fail(why, std::string("symbol has no size: ") + kPretty[s]);
  size_t len = e.size < kMaxCodeBytes ? e.size : kMaxCodeBytes;
  if (!elf.InLoadedImage(e.address, len)) return Fail(why, std::string("symbol outside the image: ") + kPretty[s]);
  out->bytes = reinterpret_cast<const uint8_t*>(e.address);
  out->len = len;
  out->addr = e.address;
  return true;
}

bool ResolveThreadId(const ElfSymbols& elf, const ElfSymbol* syms, V8Internals* out, std::string* why) {
  Code c;
  if (!CodeOf(elf, syms, kGetCurrentThreadId, &c, why)) return false;
  intptr_t offset = 0;
  if (!arch::DecodeThreadIdOffset(elf, c, &offset, why)) return false;
  out->thread_id_tp_offset = offset;
  out->get_current_thread_id = reinterpret_cast<int (*)()>(c.addr);

  // Cross-check on the live thread: the function returns the slot's value, and sees a value written to the slot.
  uintptr_t tp = arch::ThreadPointer();
  if (!arch::CheckThreadPointer(tp, why)) return false;
  volatile int* slot = reinterpret_cast<volatile int*>(tp + offset);
  int id = out->get_current_thread_id();
  if (id <= 0) return Fail(why, "ThreadId::GetCurrentThreadId returned " + std::to_string(id));
  if (*slot != id) {
    return Fail(why, "thread_id TLS slot at tp" + SignedHex(offset) + " holds " + std::to_string(*slot) +
                         ", GetCurrentThreadId() returned " + std::to_string(id));
  }
  const int probe = id == 0x3fffffff ? 0x3ffffffe : 0x3fffffff;
  *slot = probe;
  int seen = out->get_current_thread_id();
  *slot = id;
  if (seen != probe) {
    return Fail(why, "thread_id TLS slot at tp" + SignedHex(offset) + ": write probe not seen by GetCurrentThreadId");
  }
  return true;
}

bool ResolveHeapOffset(const ElfSymbols& elf, const ElfSymbol* syms, V8Internals* out, std::string* why) {
  Code add, remove;
  if (!CodeOf(elf, syms, kIsolateAddPrologue, &add, why) || !CodeOf(elf, syms, kIsolateRemovePrologue, &remove, why)) {
    return false;
  }
  if (syms[kHeapAddPrologue].address == 0 || syms[kHeapRemovePrologue].address == 0) {
    return Fail(why, std::string("symbol not found: ") +
                         kPretty[syms[kHeapAddPrologue].address == 0 ? kHeapAddPrologue : kHeapRemovePrologue]);
  }
  ThunkDecode a, r;
  if (!arch::DecodeHeapThunk(add, "Isolate::AddGCPrologueCallback", &a, why) ||
      !arch::DecodeHeapThunk(remove, "Isolate::RemoveGCPrologueCallback", &r, why)) {
    return false;
  }
  if (a.jump_target != syms[kHeapAddPrologue].address) {
    return Fail(why, "Isolate::AddGCPrologueCallback: jump target " + Hex(a.jump_target) +
                         " is not Heap::AddGCPrologueCallback " + Hex(syms[kHeapAddPrologue].address));
  }
  if (r.jump_target != syms[kHeapRemovePrologue].address) {
    return Fail(why, "Isolate::RemoveGCPrologueCallback: jump target " + Hex(r.jump_target) +
                         " is not Heap::RemoveGCPrologueCallback " + Hex(syms[kHeapRemovePrologue].address));
  }
  if (a.heap_offset != r.heap_offset) {
    return Fail(why, "Heap offset mismatch: Add " + Hex(a.heap_offset) + " vs Remove " + Hex(r.heap_offset));
  }
  out->heap_offset = a.heap_offset;
  return true;
}

bool ResolveStackSlot(v8::Isolate* isolate, const ElfSymbols& elf, const ElfSymbol* syms, V8Internals* out,
                      std::string* why) {
  Code stack, set;
  if (!CodeOf(elf, syms, kHeapStack, &stack, why)) return false;
  Sym set_sym = syms[kHeapSetStackStart].address != 0 ? kHeapSetStackStart : kHeapSetStackStartArg;
  if (!CodeOf(elf, syms, set_sym, &set, why)) return false;
  HeapStackDecode d;
  uint32_t store = 0;
  if (!arch::DecodeHeapStack(stack, &d, why)) return false;
  if (!arch::FindSetStackStartStore(set, d.holder_offset, &store, why)) return false;
  if (store != d.stack_offset) {
    // heap::base::Stack's start field is its first word in every V8 we know; anything else is a layout we have
    // not validated.
    return Fail(why, "Heap::SetStackStart stores at holder+" + Hex(store) + " but Heap::stack() is holder+" +
                         Hex(d.stack_offset) + " (stack start not the Stack's first word)");
  }
  out->stack_holder_offset = d.holder_offset;
  out->stack_offset = d.stack_offset;

  // Live cross-checks.
  auto* heap = reinterpret_cast<uint8_t*>(isolate) + out->heap_offset;
  uintptr_t holder = *reinterpret_cast<uintptr_t*>(heap + out->stack_holder_offset);
  if (holder == 0 || holder % 8 != 0) return Fail(why, "stack holder pointer is " + Hex(holder));
  auto heap_stack = reinterpret_cast<uintptr_t (*)(void*)>(stack.addr);
  uintptr_t via_call = heap_stack(heap);
  uintptr_t slot_addr = holder + out->stack_offset;
  if (via_call != slot_addr) {
    return Fail(why, "Heap::stack() returned " + Hex(via_call) + ", decoded " + Hex(slot_addr));
  }
  uintptr_t value = *reinterpret_cast<uintptr_t*>(slot_addr);
  if (syms[kBaseGetStackStart].address == 0) return Fail(why, std::string("symbol not found: ") + kPretty[kBaseGetStackStart]);
  auto get_stack_start = reinterpret_cast<uintptr_t (*)()>(syms[kBaseGetStackStart].address);
  uintptr_t expected = get_stack_start();
  if (value != expected) {
    return Fail(why, "stack-start slot holds " + Hex(value) + ", base::Stack::GetStackStart() is " + Hex(expected));
  }
  uintptr_t lo, hi;
  if (!posix::CurrentThreadStack(&lo, &hi)) return Fail(why, "cannot read this thread's stack bounds");
  uintptr_t sp = arch::StackPointer();
  if (!(value > sp && value <= hi && sp >= lo)) {
    return Fail(why, "stack-start slot value " + Hex(value) + " is not above sp " + Hex(sp) +
                         " within this thread's stack [" + Hex(lo) + ", " + Hex(hi) + "]");
  }
  return true;
}

}  // namespace

bool ResolveV8Internals(v8::Isolate* isolate, V8Internals* out, std::string* why) {
  std::string scratch;
  if (why == nullptr) why = &scratch;
  V8Internals result;
  if (isolate == nullptr || v8::Isolate::TryGetCurrent() != isolate) {
    return Fail(why, "ResolveV8Internals: isolate is not entered on this thread");
  }
  ElfSymbols elf;
  if (!elf.Open(why)) return false;
  // Heap::SetStackStart() only exists where SetStackStart(void*) does not: skip it when the latter is exported, so
  // that Node 20/22 (everything in .dynsym) never scan .symtab.
  ElfSymbol syms[kSymCount];
  elf.LookupDynamic(kNames, syms, kSymCount);
  const char* names[kSymCount];
  for (int i = 0; i < kSymCount; i++) names[i] = kNames[i];
  if (syms[kHeapSetStackStartArg].address != 0) names[kHeapSetStackStart] = nullptr;
  elf.LookupAll(names, syms, kSymCount);
  if (!ResolveThreadId(elf, syms, &result, why)) return false;
  if (!ResolveHeapOffset(elf, syms, &result, why)) return false;
  if (!ResolveStackSlot(isolate, elf, syms, &result, why)) return false;
  elf.Close();
  *out = result;
  why->clear();
  return true;
}

int* ThreadIdSlot(const V8Internals& internals) {
  return reinterpret_cast<int*>(arch::ThreadPointer() + internals.thread_id_tp_offset);
}

uintptr_t* StackStartSlot(v8::Isolate* isolate, const V8Internals& internals) {
  auto* heap = reinterpret_cast<uint8_t*>(isolate) + internals.heap_offset;
  uintptr_t holder = *reinterpret_cast<uintptr_t*>(heap + internals.stack_holder_offset);
  return reinterpret_cast<uintptr_t*>(holder + internals.stack_offset);
}

}  // namespace verdant::detail

#endif  // VERDANT_INTERNALS_ELF
