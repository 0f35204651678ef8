// Pure x86-64 decoders for the few V8 functions verdant reads at load (bytes in, offsets out; no V8, no process
// state), so that they can be unit-tested on byte buffers. Each accepts a short whitelist of exact encodings,
// bounds-checks every read against `len`, and returns false with a one-line reason on anything else.
//
// `code` points at the function's first byte, `len` is how many bytes may be read (the symbol size, capped by the
// caller), `addr` is the runtime address of `code` (for rip-relative and branch targets).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "greenlet/decoded.h"

namespace verdant::detail::x86_64 {

inline std::string DescribeBytes(const uint8_t* code, size_t len, size_t at, size_t n = 6) {
  std::string s;
  char buf[8];
  for (size_t i = at; i < len && i < at + n; i++) {
    snprintf(buf, sizeof(buf), i == at ? "%02x" : " %02x", code[i]);
    s += buf;
  }
  if (s.empty()) s = "<end>";
  return s;
}

inline bool Fail(std::string* why, const char* what, const char* problem, const uint8_t* code, size_t len,
                 size_t at) {
  return DecodeFailed(why, what, problem, at, DescribeBytes(code, len, at));
}

inline bool Match(const uint8_t* code, size_t len, size_t at, const uint8_t* pat, size_t n) {
  return at <= len && n <= len - at && memcmp(code + at, pat, n) == 0;
}

inline int32_t ReadI32(const uint8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return static_cast<int32_t>(v);
}

constexpr uint8_t kEndbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};

inline size_t SkipEndbr64(const uint8_t* code, size_t len) {
  return Match(code, len, 0, kEndbr64, sizeof(kEndbr64)) ? sizeof(kEndbr64) : 0;
}

// ---- v8::internal::ThreadId::GetCurrentThreadId() ------------------------------------------------------------
// Local-exec TLS:   [endbr64] 64 8b 04 25 disp32      mov %fs:disp32,%eax      ; then 85 c0 test %eax,%eax
//                   and later 64 89 04 25 disp32      mov %eax,%fs:disp32      (the lazy id assignment)
// Initial-exec TLS: [endbr64] 48 8b 05 rel32         mov x@gottpoff(%rip),%rax
//                   64 8b 00                          mov %fs:(%rax),%eax      ; then 85 c0
//                   (the offset is then the 64-bit value in the GOT slot at got_slot_address)
struct ThreadIdDecode {
  bool via_got = false;
  int64_t tp_offset = 0;           // valid if !via_got
  uintptr_t got_slot_address = 0;  // valid if via_got
};

inline bool DecodeGetCurrentThreadId(const uint8_t* code, size_t len, uintptr_t addr, ThreadIdDecode* out,
                                     std::string* why) {
  static const char kWhat[] = "ThreadId::GetCurrentThreadId";
  static constexpr uint8_t kFsLoad[] = {0x64, 0x8b, 0x04, 0x25};
  static constexpr uint8_t kFsStore[] = {0x64, 0x89, 0x04, 0x25};
  static constexpr uint8_t kGotLoad[] = {0x48, 0x8b, 0x05};
  static constexpr uint8_t kFsRaxLoad[] = {0x64, 0x8b, 0x00};
  static constexpr uint8_t kTestEax[] = {0x85, 0xc0};
  *out = ThreadIdDecode();
  size_t at = SkipEndbr64(code, len);
  if (Match(code, len, at, kFsLoad, sizeof(kFsLoad)) && len - at >= 8) {
    int32_t disp = ReadI32(code + at + 4);
    size_t next = at + 8;
    if (!Match(code, len, next, kTestEax, sizeof(kTestEax))) {
      return Fail(why, kWhat, "no test %eax,%eax after the TLS load", code, len, next);
    }
    if (disp >= 0 || disp % 4 != 0) return Fail(why, kWhat, "implausible TLS offset", code, len, at);
    // The lazy-assignment store must write the same TLS slot.
    bool store = false;
    for (size_t i = next; i + 8 <= len && !store; i++) {
      store = memcmp(code + i, kFsStore, sizeof(kFsStore)) == 0 && ReadI32(code + i + 4) == disp;
    }
    if (!store) return Fail(why, kWhat, "no store back to the same TLS slot", code, len, next);
    out->tp_offset = disp;
    return true;
  }
  if (Match(code, len, at, kGotLoad, sizeof(kGotLoad)) && len - at >= 7) {
    int32_t rel = ReadI32(code + at + 3);
    size_t next = at + 7;
    if (!Match(code, len, next, kFsRaxLoad, sizeof(kFsRaxLoad))) {
      return Fail(why, kWhat, "initial-exec GOT load not followed by mov %fs:(%rax),%eax", code, len, next);
    }
    next += sizeof(kFsRaxLoad);
    if (!Match(code, len, next, kTestEax, sizeof(kTestEax))) {
      return Fail(why, kWhat, "no test %eax,%eax after the TLS load", code, len, next);
    }
    out->via_got = true;
    out->got_slot_address = addr + at + 7 + static_cast<intptr_t>(rel);
    return true;
  }
  return Fail(why, kWhat, "unexpected prologue", code, len, at);
}

// ---- v8::Isolate::{Add,Remove}GCPrologueCallback(...) -> internal Heap method -----------------------------------
// A thunk that turns the Isolate* in %rdi into its Heap* and tail-calls the Heap method:
//   [endbr64] { push %rbp | mov %rsp,%rbp | pop %rbp | mov reg,reg (not into rdi/rsp) }*
//   add $H,%rdi (exactly once)  { same fillers }*  jmp target
using detail::ThunkDecode;  // decoded.h

inline bool DecodeAddRdiThunk(const uint8_t* code, size_t len, uintptr_t addr, const char* what, ThunkDecode* out,
                              std::string* why) {
  *out = ThunkDecode();
  size_t at = SkipEndbr64(code, len);
  int adds = 0;
  for (int n = 0; n < 16; n++) {
    if (at >= len) return Fail(why, what, "ran off the end", code, len, at);
    uint8_t b = code[at];
    if (b == 0x55 || b == 0x5d) {  // push %rbp / pop %rbp
      at += 1;
      continue;
    }
    uint8_t rex = 0;
    size_t op = at;
    if ((b & 0xf0) == 0x40) {
      rex = b;
      op = at + 1;
    }
    if (op + 1 >= len) return Fail(why, what, "ran off the end", code, len, at);
    uint8_t opc = code[op];
    uint8_t modrm = code[op + 1];
    if ((opc == 0x89 || opc == 0x8b) && (modrm >> 6) == 3) {  // mov reg,reg
      unsigned dest = opc == 0x89 ? (modrm & 7) | ((rex & 1) << 3) : ((modrm >> 3) & 7) | ((rex & 4) << 1);
      if (dest == 7) return Fail(why, what, "another write to %rdi", code, len, at);
      if (dest == 4) return Fail(why, what, "write to %rsp", code, len, at);
      at = op + 2;
      continue;
    }
    if (rex == 0x48 && (opc == 0x81 || opc == 0x83) && modrm == 0xc7) {  // add $imm,%rdi
      size_t imm = opc == 0x81 ? 4 : 1;
      if (op + 2 + imm > len) return Fail(why, what, "ran off the end", code, len, at);
      int32_t v = imm == 4 ? ReadI32(code + op + 2) : static_cast<int8_t>(code[op + 2]);
      if (++adds > 1) return Fail(why, what, "more than one add to %rdi", code, len, at);
      if (v <= 0 || v >= (1 << 20) || v % 8 != 0) return Fail(why, what, "implausible Heap offset", code, len, at);
      out->heap_offset = static_cast<uint32_t>(v);
      at = op + 2 + imm;
      continue;
    }
    if (rex == 0 && (b == 0xe9 || b == 0xeb)) {  // jmp rel32 / rel8
      size_t imm = b == 0xe9 ? 4 : 1;
      if (at + 1 + imm > len) return Fail(why, what, "ran off the end", code, len, at);
      int32_t rel = imm == 4 ? ReadI32(code + at + 1) : static_cast<int8_t>(code[at + 1]);
      if (adds != 1) return Fail(why, what, "jmp without add $H,%rdi", code, len, at);
      out->jump_target = addr + at + 1 + imm + static_cast<intptr_t>(rel);
      return true;
    }
    return Fail(why, what, "unexpected instruction", code, len, at);
  }
  return Fail(why, what, "too many instructions", code, len, at);
}

// ---- v8::internal::Heap::stack() -------------------------------------------------------------------------------
//   [endbr64] mov D(%rdi),%rax   (48 8b 47 d8 | 48 8b 87 d32)
//             [test %rax,%rax; je ...]   (48 85 c0; 74 rel8 | 0f 84 rel32)
//             add $S,%rax        (48 05 imm32 | 48 83 c0 imm8)
//             ret                (c3)
using detail::HeapStackDecode;  // decoded.h

// Reads `mov disp(%rdi),%reg` (REX.W 8b, mod 01/10, rm=rdi). Returns the length (0 if no match).
inline size_t ReadLoadFromRdi(const uint8_t* code, size_t len, size_t at, unsigned* reg, uint32_t* disp) {
  if (at + 3 > len) return 0;
  uint8_t rex = code[at];
  if ((rex & 0xfb) != 0x48 || code[at + 1] != 0x8b) return 0;  // REX.W, optional REX.R, no X/B
  uint8_t modrm = code[at + 2];
  if ((modrm & 7) != 7) return 0;
  unsigned mod = modrm >> 6;
  *reg = ((modrm >> 3) & 7) | ((rex & 4) << 1);
  if (mod == 1 && at + 4 <= len) {
    int8_t d = static_cast<int8_t>(code[at + 3]);
    if (d < 0) return 0;
    *disp = static_cast<uint32_t>(d);
    return 4;
  }
  if (mod == 2 && at + 7 <= len) {
    int32_t d = ReadI32(code + at + 3);
    if (d < 0) return 0;
    *disp = static_cast<uint32_t>(d);
    return 7;
  }
  return 0;
}

inline bool DecodeHeapStack(const uint8_t* code, size_t len, HeapStackDecode* out, std::string* why) {
  static const char kWhat[] = "Heap::stack";
  *out = HeapStackDecode();
  size_t at = SkipEndbr64(code, len);
  unsigned reg = 0;
  uint32_t d = 0;
  size_t n = ReadLoadFromRdi(code, len, at, &reg, &d);
  if (n == 0 || reg != 0) return Fail(why, kWhat, "expected mov D(%rdi),%rax", code, len, at);
  at += n;
  static constexpr uint8_t kTestRax[] = {0x48, 0x85, 0xc0};
  if (Match(code, len, at, kTestRax, sizeof(kTestRax))) {
    at += 3;
    if (at + 2 <= len && code[at] == 0x74) {
      at += 2;
    } else if (at + 6 <= len && code[at] == 0x0f && code[at + 1] == 0x84) {
      at += 6;
    } else {
      return Fail(why, kWhat, "test %rax,%rax not followed by je", code, len, at);
    }
  }
  int32_t s = 0;
  if (at + 6 <= len && code[at] == 0x48 && code[at + 1] == 0x05) {
    s = ReadI32(code + at + 2);
    at += 6;
  } else if (at + 4 <= len && code[at] == 0x48 && code[at + 1] == 0x83 && code[at + 2] == 0xc0) {
    s = static_cast<int8_t>(code[at + 3]);
    at += 4;
  } else {
    return Fail(why, kWhat, "expected add $S,%rax", code, len, at);
  }
  if (at >= len || code[at] != 0xc3) return Fail(why, kWhat, "expected ret", code, len, at);
  if (d == 0 || d >= (1 << 16) || d % 8 != 0) return Fail(why, kWhat, "implausible holder offset", code, len, 0);
  if (s <= 0 || s >= (1 << 20) || s % 8 != 0) return Fail(why, kWhat, "implausible stack offset", code, len, 0);
  out->holder_offset = d;
  out->stack_offset = static_cast<uint32_t>(s);
  return true;
}

// ---- v8::internal::Heap::SetStackStart(...) (cross-check) -------------------------------------------------------
// Must load the same holder (mov D(%rdi),%reg) and then store a 64-bit register to S'(%reg), where S' is where the
// stack-start field lives; it must equal Heap::stack()'s S (the start field is the Stack's first word). Searched
// over the function's bytes: 20/22 store %rsi (the argument), 24+ store %rax (base::Stack::GetStackStart()).
inline bool FindSetStackStartStore(const uint8_t* code, size_t len, uint32_t holder_offset, uint32_t* store_offset,
                                   std::string* why) {
  static const char kWhat[] = "Heap::SetStackStart";
  size_t at = 0;
  unsigned reg = 0;
  bool loaded = false;
  for (; at < len; at++) {
    uint32_t d = 0;
    size_t n = ReadLoadFromRdi(code, len, at, &reg, &d);
    if (n != 0 && d == holder_offset) {
      at += n;
      loaded = true;
      break;
    }
  }
  if (!loaded) return Fail(why, kWhat, "no load of the stack holder from %rdi", code, len, 0);
  if ((reg & 7) == 4 || (reg & 7) == 5) return Fail(why, kWhat, "unsupported holder register", code, len, at);
  for (; at + 7 <= len; at++) {
    uint8_t rex = code[at];
    if ((rex & 0xfa) != 0x48 || code[at + 1] != 0x89) continue;  // REX.W, optional R and B
    uint8_t modrm = code[at + 2];
    unsigned base = (modrm & 7) | ((rex & 1) << 3);
    if ((modrm >> 6) != 2 || base != reg) continue;
    int32_t d = ReadI32(code + at + 3);
    if (d <= 0) continue;
    *store_offset = static_cast<uint32_t>(d);
    return true;
  }
  return Fail(why, kWhat, "no 64-bit store through the stack holder", code, len, at);
}

}  // namespace verdant::detail::x86_64
