// The AArch64 part of the ELF resolver (internals_arch.h): tpidr_el0 and sp, and the decoders of arm64_decode.h.
// TLS here is variant 1: the executable's thread_local block sits above the 16-byte TCB that tpidr_el0 points at,
// so V8's offsets are positive and at least 16.
#include "greenlet/internals.h"

#if defined(VERDANT_INTERNALS_ARM64)

#include "greenlet/arm64_decode.h"
#include "greenlet/internals_arch.h"

namespace verdant::detail::arch {

// glibc's aarch64 TCB: the dtv pointer and one private word, then the executable's TLS block.
constexpr intptr_t kTcbSize = 16;

uintptr_t ThreadPointer() {
  uintptr_t tp;
  asm volatile("mrs %0, tpidr_el0" : "=r"(tp));
  return tp;
}

uintptr_t StackPointer() {
  uintptr_t sp;
  asm volatile("mov %0, sp" : "=r"(sp));
  return sp;
}

bool CheckThreadPointer(uintptr_t tp, std::string* why) {
  // It points at the TCB, whose first word is this thread's dtv (never null once the thread runs).
  if (tp == 0 || tp % 16 != 0) return Fail(why, "thread pointer: tpidr_el0 is " + Hex(tp));
  if (*reinterpret_cast<uintptr_t*>(tp) == 0) return Fail(why, "thread pointer: the TCB at tpidr_el0 has no dtv");
  return true;
}

bool DecodeThreadIdOffset(const ElfSymbols&, const Code& code, intptr_t* tp_offset, std::string* why) {
  arm64::ThreadIdDecode d;
  if (!arm64::DecodeGetCurrentThreadId(code.bytes, code.len, &d, why)) return false;
  if (d.tp_offset < kTcbSize || d.tp_offset >= (int64_t{1} << 24) || d.tp_offset % 4 != 0) {
    return Fail(why, "ThreadId::GetCurrentThreadId: implausible local-exec TLS offset " +
                         Hex(static_cast<uintptr_t>(d.tp_offset)));
  }
  *tp_offset = static_cast<intptr_t>(d.tp_offset);
  return true;
}

bool DecodeHeapThunk(const Code& code, const char* what, ThunkDecode* out, std::string* why) {
  return arm64::DecodeAddX0Thunk(code.bytes, code.len, code.addr, what, out, why);
}

bool DecodeHeapStack(const Code& code, HeapStackDecode* out, std::string* why) {
  return arm64::DecodeHeapStack(code.bytes, code.len, out, why);
}

bool FindSetStackStartStore(const Code& code, uint32_t holder_offset, uint32_t* store_offset, std::string* why) {
  return arm64::FindSetStackStartStore(code.bytes, code.len, holder_offset, store_offset, why);
}

bool DecodeFirstCall(const Code& code, const char* what, FirstCallDecode* out, std::string* why) {
  return arm64::DecodeFirstCall(code.bytes, code.len, code.addr, what, out, why);
}

bool DecodeFirstLoadFromArg(const Code& code, int arg, const char* what, uint32_t* offset, std::string* why) {
  return arm64::DecodeFirstLoadFromArg(code.bytes, code.len, arg, what, offset, why);
}

}  // namespace verdant::detail::arch

#endif  // VERDANT_INTERNALS_ARM64
