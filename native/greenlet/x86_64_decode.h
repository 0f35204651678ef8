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
using detail::FirstCallDecode;  // decoded.h
using detail::LoadChain;        // decoded.h

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

// ---- the compact-record fields: a trace of a function's straight-line prefix -----------------------------------
// Follows the registers of a function's prologue as LoadChains of its arguments, instruction by instruction, up to
// the answer: the first call (with %rdi's chain) or the first load from a given argument. Accepted, because V8's
// prologues are made of them: endbr64, push, sub/add $imm to a register, mov reg,reg, mov disp(%reg),%reg (a load),
// lea disp(%reg),%reg, mov %reg,disp(%reg) (a store, which changes no register) and call rel32. Anything else
// before the answer fails closed. Addressing through a SIB byte or %rip is refused, except stores relative to %rsp.
struct RegisterTrace {
  LoadChain chain;
  int64_t addend = 0;  // added after the last load (lea, add $imm), not yet loaded through
};

struct PrefixTracer {
  static constexpr int kMaxInstructions = 32;
  static constexpr uint32_t kMaxOffset = 1u << 24;
  RegisterTrace regs[16];

  PrefixTracer() {
    // The SysV argument registers, in order: rdi, rsi, rdx, rcx, r8, r9.
    static constexpr int kArgs[] = {7, 6, 2, 1, 8, 9};
    for (int i = 0; i < 6; i++) regs[kArgs[i]].chain.root = i;
  }

  // What a load at `disp` through `base` gives; root -1 when it is not a chain we can follow.
  RegisterTrace Load(const RegisterTrace& base, int32_t disp) const {
    RegisterTrace r;
    int64_t offset = base.addend + disp;
    if (base.chain.root < 0 || base.chain.depth >= LoadChain::kMaxDepth || offset < 0 || offset >= kMaxOffset) {
      return r;
    }
    r.chain = base.chain;
    r.chain.offsets[r.chain.depth++] = static_cast<uint32_t>(offset);
    return r;
  }
};

// One instruction of the accepted set, as the tracer needs it.
struct PrefixInstruction {
  enum Kind { kOther, kCall, kLoad, kLea, kStore, kMove, kAddImm, kFrame } kind = kOther;
  size_t length = 0;
  unsigned dest = 0, base = 0;
  int32_t disp = 0;    // load, lea, store displacement; add immediate
  int32_t rel = 0;     // call
};

// Decodes `REX.W op modrm [disp]` with a memory operand (no SIB, no %rip) or a register operand.
inline bool ReadModrm(const uint8_t* code, size_t len, size_t at, uint8_t rex, PrefixInstruction* out,
                      bool* memory, unsigned* reg, unsigned* rm) {
  if (at >= len) return false;
  uint8_t modrm = code[at];
  unsigned mod = modrm >> 6;
  *reg = ((modrm >> 3) & 7) | ((rex & 4) << 1);
  *rm = (modrm & 7) | ((rex & 1) << 3);
  *memory = mod != 3;
  size_t n = 1;
  if (mod == 3) {
    out->length = n;
    return true;
  }
  if ((modrm & 7) == 4) {  // SIB: accepted only as a plain base of %rsp (stores to the frame)
    if (at + 1 >= len || (code[at + 1] & 0x3f) != 0x24 || (rex & 3) != 0) return false;
    n = 2;
  } else if (mod == 0 && (modrm & 7) == 5) {
    return false;  // %rip-relative
  }
  if (mod == 1) {
    if (at + n >= len) return false;
    out->disp = static_cast<int8_t>(code[at + n]);
    n += 1;
  } else if (mod == 2) {
    if (at + n + 4 > len) return false;
    out->disp = ReadI32(code + at + n);
    n += 4;
  }
  out->length = n;
  return true;
}

inline PrefixInstruction ReadPrefixInstruction(const uint8_t* code, size_t len, size_t at) {
  PrefixInstruction in;
  if (at >= len) return in;
  if (Match(code, len, at, kEndbr64, sizeof(kEndbr64))) {
    in.kind = PrefixInstruction::kFrame;
    in.length = sizeof(kEndbr64);
    return in;
  }
  uint8_t b = code[at];
  if (b >= 0x50 && b <= 0x57) {  // push %reg
    in.kind = PrefixInstruction::kFrame;
    in.length = 1;
    return in;
  }
  if (b == 0x41 && at + 1 < len && code[at + 1] >= 0x50 && code[at + 1] <= 0x57) {  // push %r8..%r15
    in.kind = PrefixInstruction::kFrame;
    in.length = 2;
    return in;
  }
  if (b == 0xe8 && at + 5 <= len) {
    in.kind = PrefixInstruction::kCall;
    in.rel = ReadI32(code + at + 1);
    in.length = 5;
    return in;
  }
  if ((b & 0xf8) != 0x48 || at + 1 >= len) return in;  // REX.W with any of R, X, B
  uint8_t rex = b;
  uint8_t op = code[at + 1];
  bool memory = false;
  unsigned reg = 0, rm = 0;
  if (rex & 2) return in;  // REX.X: an index register
  if (op == 0x8b || op == 0x89 || op == 0x8d) {
    if (!ReadModrm(code, len, at + 2, rex, &in, &memory, &reg, &rm)) return PrefixInstruction();
    in.length += 2;
    if (op == 0x8b) {
      in.kind = memory ? PrefixInstruction::kLoad : PrefixInstruction::kMove;
      in.dest = reg;
      in.base = rm;
    } else if (op == 0x89) {
      in.kind = memory ? PrefixInstruction::kStore : PrefixInstruction::kMove;
      in.dest = memory ? 0 : rm;
      in.base = memory ? rm : reg;
    } else {
      if (!memory) return PrefixInstruction();
      in.kind = PrefixInstruction::kLea;
      in.dest = reg;
      in.base = rm;
    }
    return in;
  }
  if (op == 0x83 || op == 0x81) {  // add/sub $imm, %reg
    if (!ReadModrm(code, len, at + 2, rex, &in, &memory, &reg, &rm) || memory) return PrefixInstruction();
    size_t imm = op == 0x81 ? 4 : 1;
    size_t end = at + 2 + in.length;
    if (end + imm > len || (reg != 0 && reg != 5)) return PrefixInstruction();
    int32_t v = imm == 4 ? ReadI32(code + end) : static_cast<int8_t>(code[end]);
    in.kind = PrefixInstruction::kAddImm;
    in.dest = rm;
    in.disp = reg == 0 ? v : -v;
    in.length += 2 + imm;
    return in;
  }
  return in;
}

// What a tracer's `answer` says of an instruction, before the tracer executes it.
enum class TraceStep { kGoOn, kFound, kRefused };

// Runs the tracer until `answer` finds (true) or refuses (false, having set `why`) an instruction.
template <typename Answer>
inline bool TracePrefix(const uint8_t* code, size_t len, const char* what, std::string* why, Answer answer) {
  PrefixTracer t;
  size_t at = 0;
  for (int n = 0; n < PrefixTracer::kMaxInstructions; n++) {
    PrefixInstruction in = ReadPrefixInstruction(code, len, at);
    if (in.kind == PrefixInstruction::kOther) {
      return Fail(why, what, at >= len ? "ran off the end" : "unexpected instruction", code, len, at);
    }
    TraceStep step = answer(t, in, at);
    if (step != TraceStep::kGoOn) return step == TraceStep::kFound;
    switch (in.kind) {
      case PrefixInstruction::kCall:
        return Fail(why, what, "a call before the answer", code, len, at);
      case PrefixInstruction::kLoad:
        t.regs[in.dest] = t.Load(t.regs[in.base], in.disp);
        break;
      case PrefixInstruction::kLea: {
        RegisterTrace r = t.regs[in.base];
        r.addend += in.disp;
        t.regs[in.dest] = r;
        break;
      }
      case PrefixInstruction::kMove:
        t.regs[in.dest] = in.base == 4 ? RegisterTrace() : t.regs[in.base];
        break;
      case PrefixInstruction::kAddImm:
        t.regs[in.dest].addend += in.disp;
        break;
      default:
        break;
    }
    at += in.length;
  }
  return Fail(why, what, "too many instructions", code, len, at);
}

// The first call and the chain of %rdi there (see FirstCallDecode).
inline bool DecodeFirstCall(const uint8_t* code, size_t len, uintptr_t addr, const char* what, FirstCallDecode* out,
                            std::string* why) {
  *out = FirstCallDecode();
  return TracePrefix(code, len, what, why, [&](const PrefixTracer& t, const PrefixInstruction& in, size_t at) {
    if (in.kind != PrefixInstruction::kCall) return TraceStep::kGoOn;
    const RegisterTrace& rdi = t.regs[7];
    if (rdi.chain.root < 0 || rdi.chain.depth == 0) {
      Fail(why, what, "the first argument of the call is not loaded from an argument", code, len, at);
      return TraceStep::kRefused;
    }
    if (rdi.addend != 0) {
      Fail(why, what, "the first argument of the call is an address, not a loaded pointer", code, len, at);
      return TraceStep::kRefused;
    }
    out->arg0 = rdi.chain;
    out->call_target = addr + at + in.length + static_cast<intptr_t>(in.rel);
    return TraceStep::kFound;
  });
}

// The offset of the first load through argument `arg` itself.
inline bool DecodeFirstLoadFromArg(const uint8_t* code, size_t len, int arg, const char* what, uint32_t* offset,
                                   std::string* why) {
  return TracePrefix(code, len, what, why, [&](const PrefixTracer& t, const PrefixInstruction& in, size_t at) {
    if (in.kind != PrefixInstruction::kLoad) return TraceStep::kGoOn;
    const RegisterTrace& base = t.regs[in.base];
    if (base.chain.root != arg || base.chain.depth != 0) return TraceStep::kGoOn;
    int64_t v = base.addend + in.disp;
    if (v <= 0 || v >= PrefixTracer::kMaxOffset || v % 8 != 0) {
      Fail(why, what, "implausible field offset", code, len, at);
      return TraceStep::kRefused;
    }
    *offset = static_cast<uint32_t>(v);
    return TraceStep::kFound;
  });
}

}  // namespace verdant::detail::x86_64
