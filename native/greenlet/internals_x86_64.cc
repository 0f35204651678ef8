// The x86-64 part of the ELF resolver (internals_arch.h): %fs and %rsp, and the decoders of x86_64_decode.h.
// TLS here is variant 2: thread_local blocks sit below the thread pointer, so V8's offsets are negative.
#include "greenlet/internals.h"

#if defined(VERDANT_INTERNALS_X86_64)

#include "greenlet/internals_arch.h"
#include "greenlet/x86_64_decode.h"

namespace verdant::detail::arch {

uintptr_t ThreadPointer() {
  uintptr_t tp;
  asm volatile("mov %%fs:0, %0" : "=r"(tp));
  return tp;
}

uintptr_t StackPointer() {
  uintptr_t sp;
  asm volatile("mov %%rsp, %0" : "=r"(sp));
  return sp;
}

bool CheckThreadPointer(uintptr_t tp, std::string* why) {
  // The x86-64 TCB's first word points at itself (that is how %fs:0 reads the thread pointer).
  if (tp == 0 || *reinterpret_cast<uintptr_t*>(tp) != tp) return Fail(why, "thread pointer: %fs:0 is not self-referential");
  return true;
}

bool DecodeThreadIdOffset(const ElfSymbols& elf, const Code& code, intptr_t* tp_offset, std::string* why) {
  x86_64::ThreadIdDecode d;
  if (!x86_64::DecodeGetCurrentThreadId(code.bytes, code.len, code.addr, &d, why)) return false;
  intptr_t offset = static_cast<intptr_t>(d.tp_offset);
  if (d.via_got) {
    if (!elf.InLoadedImage(d.got_slot_address, sizeof(int64_t))) {
      return Fail(why, "ThreadId::GetCurrentThreadId: GOT slot outside the image " + Hex(d.got_slot_address));
    }
    offset = static_cast<intptr_t>(*reinterpret_cast<const int64_t*>(d.got_slot_address));
  }
  if (offset >= 0 || offset < -(intptr_t{1} << 24) || offset % 4 != 0) {
    return Fail(why, std::string("ThreadId::GetCurrentThreadId: implausible ") +
                         (d.via_got ? "initial-exec" : "local-exec") + " TLS offset -" +
                         Hex(0ul - static_cast<unsigned long>(offset)));
  }
  *tp_offset = offset;
  return true;
}

bool DecodeHeapThunk(const Code& code, const char* what, ThunkDecode* out, std::string* why) {
  return x86_64::DecodeAddRdiThunk(code.bytes, code.len, code.addr, what, out, why);
}

bool DecodeHeapStack(const Code& code, HeapStackDecode* out, std::string* why) {
  return x86_64::DecodeHeapStack(code.bytes, code.len, out, why);
}

bool FindSetStackStartStore(const Code& code, uint32_t holder_offset, uint32_t* store_offset, std::string* why) {
  return x86_64::FindSetStackStartStore(code.bytes, code.len, holder_offset, store_offset, why);
}

bool DecodeFirstCall(const Code& code, const char* what, FirstCallDecode* out, std::string* why) {
  return x86_64::DecodeFirstCall(code.bytes, code.len, code.addr, what, out, why);
}

bool DecodeFirstLoadFromArg(const Code& code, int arg, const char* what, uint32_t* offset, std::string* why) {
  return x86_64::DecodeFirstLoadFromArg(code.bytes, code.len, arg, what, offset, why);
}

}  // namespace verdant::detail::arch

#endif  // VERDANT_INTERNALS_X86_64
