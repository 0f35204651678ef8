// Pure AArch64 decoders for the few V8 functions verdant reads at load (bytes in, offsets out; no V8, no process
// state), the arm64 counterpart of x86_64_decode.h. Each accepts a short whitelist of instruction words, every one
// matched bit-exactly under a mask (the variable fields are then read and checked), bounds-checks every read
// against `len`, and returns false with a one-line reason on anything else. The accepted forms are exactly those
// of the official linux-arm64 Node 20/22/24/26 binaries (docs/internals.md; the real bytes are the test fixtures
// of test/native/arm64_decode_test.cc). internals_arm64.cc hands their results to the resolver.
//
// `code` points at the function's first byte, `len` is how many bytes may be read (the symbol size, capped by the
// caller), `addr` is the runtime address of `code` (for branch targets). Instructions are 4-byte little-endian
// words at 4-byte-aligned offsets; a trailing partial word is never read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "greenlet/decoded.h"

namespace verdant::detail::arm64 {

// Register number 31 is sp or xzr depending on the instruction; the decoders never accept it where a general
// register is expected.
constexpr unsigned kZrOrSp = 31;

inline bool ReadInsn(const uint8_t* code, size_t len, size_t at, uint32_t* insn) {
  if (at % 4 != 0 || at > len || len - at < 4) return false;
  *insn = static_cast<uint32_t>(code[at]) | static_cast<uint32_t>(code[at + 1]) << 8 |
          static_cast<uint32_t>(code[at + 2]) << 16 | static_cast<uint32_t>(code[at + 3]) << 24;
  return true;
}

inline std::string DescribeInsn(const uint8_t* code, size_t len, size_t at) {
  uint32_t insn = 0;
  if (!ReadInsn(code, len, at, &insn)) return "<end>";
  char buf[16];
  snprintf(buf, sizeof(buf), "%08x", static_cast<unsigned>(insn));
  return buf;
}

inline bool Fail(std::string* why, const char* what, const char* problem, const uint8_t* code, size_t len,
                 size_t at) {
  return DecodeFailed(why, what, problem, at, DescribeInsn(code, len, at));
}

// ---- instruction forms (each: a mask/value pair for the fixed bits, then the fields) ---------------------------

inline unsigned Rd(uint32_t i) { return i & 31; }  // also Rt
inline unsigned Rn(uint32_t i) { return (i >> 5) & 31; }
inline unsigned Rm(uint32_t i) { return (i >> 16) & 31; }
inline uint32_t Imm12(uint32_t i) { return (i >> 10) & 0xfff; }

// stp x29, x30, [sp, #imm]!  (64-bit pre-index; the frame record push)
inline bool IsStpFramePush(uint32_t i) { return (i & 0xffc07fff) == 0xa9807bfd; }
// mov x29, sp  (add x29, sp, #0)
constexpr uint32_t kMovFpSp = 0x910003fd;
// str xT, [sp, #imm]  (64-bit unsigned offset, base sp; a callee-saved spill)
inline bool IsStrXToSp(uint32_t i) { return (i & 0xffc003e0) == 0xf90003e0; }
// stp xA, xB, [sp, #imm]  (64-bit signed offset, base sp, no writeback; a pair of callee-saved spills)
inline bool IsStpXToSp(uint32_t i) { return (i & 0xffc003e0) == 0xa90003e0; }
// mrs xT, tpidr_el0
inline bool IsMrsTpidrEl0(uint32_t i) { return (i & 0xffffffe0) == 0xd53bd040; }
// add xD, xN, #imm12{, lsl #12}  (64-bit, no flags); bit 22 is the shift
inline bool IsAddXImm(uint32_t i) { return (i & 0xff800000) == 0x91000000; }
inline bool AddImmShifted(uint32_t i) { return (i >> 22) & 1; }
// add xD, xN, xM  (64-bit shifted-register form with LSL #0)
inline bool IsAddXReg(uint32_t i) { return (i & 0xffe0fc00) == 0x8b000000; }
// ldr wT, [xN, #imm]  (32-bit, unsigned offset scaled by 4)
inline bool IsLdrWImm(uint32_t i) { return (i & 0xffc00000) == 0xb9400000; }
// str wT, [xN, #imm]  (32-bit, unsigned offset scaled by 4)
inline bool IsStrWImm(uint32_t i) { return (i & 0xffc00000) == 0xb9000000; }
// ldr xT, [xN, #imm]  (64-bit, unsigned offset scaled by 8)
inline bool IsLdrXImm(uint32_t i) { return (i & 0xffc00000) == 0xf9400000; }
// str xT, [xN, #imm]  (64-bit, unsigned offset scaled by 8)
inline bool IsStrXImm(uint32_t i) { return (i & 0xffc00000) == 0xf9000000; }
// ldrb wT, [xN, #imm]  (unsigned offset)
inline bool IsLdrbImm(uint32_t i) { return (i & 0xffc00000) == 0x39400000; }
// cbz/cbnz wT (32-bit) and cbz xT (64-bit); imm19 in bits 5..23
inline bool IsCbzW(uint32_t i) { return (i & 0xff000000) == 0x34000000; }
inline bool IsCbnzW(uint32_t i) { return (i & 0xff000000) == 0x35000000; }
inline bool IsCbzX(uint32_t i) { return (i & 0xff000000) == 0xb4000000; }
// movz xD, #imm16 / movz wD, #imm16  (hw = 0 only: no shifted halfword)
inline bool IsMovzX(uint32_t i) { return (i & 0xffe00000) == 0xd2800000; }
inline bool IsMovzW(uint32_t i) { return (i & 0xffe00000) == 0x52800000; }
inline uint32_t MovzImm(uint32_t i) { return (i >> 5) & 0xffff; }
// mov xD, xM / mov wD, wM  (orr with the zero register, no shift)
inline bool IsMovXReg(uint32_t i) { return (i & 0xffe0ffe0) == 0xaa0003e0; }
inline bool IsMovWReg(uint32_t i) { return (i & 0xffe0ffe0) == 0x2a0003e0; }
// adrp xD, label
inline bool IsAdrp(uint32_t i) { return (i & 0x9f000000) == 0x90000000; }
// b label / bl label (imm26, in instructions)
inline bool IsB(uint32_t i) { return (i & 0xfc000000) == 0x14000000; }
inline bool IsBl(uint32_t i) { return (i & 0xfc000000) == 0x94000000; }
inline int64_t BranchOffset(uint32_t i) {
  int64_t imm26 = static_cast<int64_t>(i & 0x03ffffff);
  if (imm26 & 0x02000000) imm26 -= int64_t{1} << 26;
  return imm26 * 4;
}
constexpr uint32_t kRet = 0xd65f03c0;
// Every way out of the straight line: b, bl, b.cond, cbz/cbnz, tbz/tbnz (either size), br/blr/ret.
inline bool IsBranch(uint32_t i) {
  return IsB(i) || IsBl(i) || (i & 0xff000010) == 0x54000000 || (i & 0x7e000000) == 0x34000000 ||
         (i & 0x7e000000) == 0x36000000 || (i & 0xfe000000) == 0xd6000000;
}

// Skips the frame set-up the official builds put in front of a function body: any of `stp x29, x30, [sp, #-N]!`,
// `mov x29, sp`, `str xR, [sp, #imm]`, at most four in all. Returns the offset of the first other instruction.
inline size_t SkipFrameSetup(const uint8_t* code, size_t len) {
  size_t at = 0;
  uint32_t i = 0;
  for (int n = 0; n < 4 && ReadInsn(code, len, at, &i); n++) {
    if (!IsStpFramePush(i) && i != kMovFpSp && !IsStrXToSp(i)) break;
    at += 4;
  }
  return at;
}

// ---- v8::internal::ThreadId::GetCurrentThreadId() ------------------------------------------------------------
// Local-exec TLS (TLS variant 1: the block sits above the 16-byte TCB at tpidr_el0, so the offset is positive):
//   [frame set-up]
//   mrs   xT, tpidr_el0
//   add   xA, xT, #hi, lsl #12          (tprel_hi12; #0 in every official build)
//   add   xS, xA, #lo                   (tprel_lo12_nc)
//   ldr   w0, [xS]
//   cbz w0 | cbnz w0                     (the lazy id assignment follows or precedes the return)
// and later `str w0, [xS]` (the assignment writes the same slot). Node 20-24 use T = A = S = x19; Node 26 (clang)
// T = A = x8, S = x19. offset = hi << 12 | lo.
struct ThreadIdDecode {
  int64_t tp_offset = 0;
};

inline bool DecodeGetCurrentThreadId(const uint8_t* code, size_t len, ThreadIdDecode* out, std::string* why) {
  static const char kWhat[] = "ThreadId::GetCurrentThreadId";
  *out = ThreadIdDecode();
  size_t at = SkipFrameSetup(code, len);
  uint32_t i = 0;
  if (!ReadInsn(code, len, at, &i)) return Fail(why, kWhat, "ran off the end", code, len, at);
  if (!IsMrsTpidrEl0(i) || Rd(i) == kZrOrSp) {
    return Fail(why, kWhat, "expected mrs xT, tpidr_el0", code, len, at);
  }
  const unsigned t = Rd(i);
  at += 4;
  if (!ReadInsn(code, len, at, &i)) return Fail(why, kWhat, "ran off the end", code, len, at);
  if (!IsAddXImm(i) || !AddImmShifted(i) || Rn(i) != t || Rd(i) == kZrOrSp) {
    return Fail(why, kWhat, "expected add xA, xT, #hi, lsl #12 after the mrs", code, len, at);
  }
  const unsigned a = Rd(i);
  const uint32_t hi = Imm12(i);
  at += 4;
  if (!ReadInsn(code, len, at, &i)) return Fail(why, kWhat, "ran off the end", code, len, at);
  if (!IsAddXImm(i) || AddImmShifted(i) || Rn(i) != a || Rd(i) == kZrOrSp) {
    return Fail(why, kWhat, "expected add xS, xA, #lo", code, len, at);
  }
  const unsigned s = Rd(i);
  const uint32_t lo = Imm12(i);
  at += 4;
  if (!ReadInsn(code, len, at, &i)) return Fail(why, kWhat, "ran off the end", code, len, at);
  const uint32_t load = 0xb9400000u | (s << 5);  // ldr w0, [xS]
  if (i != load) return Fail(why, kWhat, "expected ldr w0, [xS] of the TLS slot", code, len, at);
  at += 4;
  if (!ReadInsn(code, len, at, &i)) return Fail(why, kWhat, "ran off the end", code, len, at);
  if (!((IsCbzW(i) || IsCbnzW(i)) && Rd(i) == 0)) {
    return Fail(why, kWhat, "no cbz/cbnz w0 after the TLS load", code, len, at);
  }
  at += 4;
  const int64_t offset = static_cast<int64_t>(hi) << 12 | lo;
  if (offset < 16 || offset % 4 != 0) return Fail(why, kWhat, "implausible TLS offset", code, len, 0);
  // The lazy-assignment store must write the same TLS slot.
  const uint32_t store = 0xb9000000u | (s << 5);  // str w0, [xS]
  bool stored = false;
  for (; !stored && ReadInsn(code, len, at, &i); at += 4) stored = i == store;
  if (!stored) return Fail(why, kWhat, "no store back to the same TLS slot", code, len, at);
  out->tp_offset = offset;
  return true;
}

// ---- v8::Isolate::{Add,Remove}GCPrologueCallback(...) -> internal Heap method -----------------------------------
// A thunk that turns the Isolate* in x0 into its Heap* and tail-calls the Heap method:
//   { mov xD, xM | mov wD, wM (D != 0) | movz xK, #imm16 | movz wK, #imm16 (K != 0) }*
//   add x0, x0, xK   (exactly once; K must hold a movz constant H)
//   { same fillers }*
//   b target
// (20-24: movz x3, 26: movz w8/w9; the Heap offsets 0xd2c0..0xf3c0 fit one movz.)
using detail::ThunkDecode;  // decoded.h

inline bool DecodeAddX0Thunk(const uint8_t* code, size_t len, uintptr_t addr, const char* what, ThunkDecode* out,
                             std::string* why) {
  *out = ThunkDecode();
  bool known[32] = {};
  uint32_t value[32] = {};
  int adds = 0;
  size_t at = 0;
  for (int n = 0; n < 16; n++, at += 4) {
    uint32_t i = 0;
    if (!ReadInsn(code, len, at, &i)) return Fail(why, what, "ran off the end", code, len, at);
    if (IsMovXReg(i) || IsMovWReg(i) || IsMovzX(i) || IsMovzW(i)) {
      unsigned d = Rd(i);
      if (d == 0) return Fail(why, what, "another write to x0", code, len, at);
      if (d == kZrOrSp) return Fail(why, what, "write to the zero register", code, len, at);
      known[d] = IsMovzX(i) || IsMovzW(i);
      value[d] = known[d] ? MovzImm(i) : 0;
      continue;
    }
    if (IsAddXReg(i) && Rd(i) == 0 && Rn(i) == 0) {
      unsigned k = Rm(i);
      if (!known[k]) return Fail(why, what, "add to x0 of a register with no movz constant", code, len, at);
      if (++adds > 1) return Fail(why, what, "more than one add to x0", code, len, at);
      uint32_t v = value[k];
      if (v == 0 || v >= (1u << 20) || v % 8 != 0) return Fail(why, what, "implausible Heap offset", code, len, at);
      out->heap_offset = v;
      continue;
    }
    if (IsB(i)) {
      if (adds != 1) return Fail(why, what, "b without add x0, x0, xK", code, len, at);
      out->jump_target = addr + at + static_cast<uintptr_t>(BranchOffset(i));
      return true;
    }
    return Fail(why, what, "unexpected instruction", code, len, at);
  }
  return Fail(why, what, "too many instructions", code, len, at);
}

// ---- v8::internal::Heap::stack() -------------------------------------------------------------------------------
//   ldr   xH, [x0, #D]
//   [cbz  xH, <fatal>]                                    (22, 24, 26)
//   add   x0, xH, #S                                      (22, 24: H = x0; 26: H = x8)
//   | movz xK, #S ; add x0, xH, xK                        (20: H = x0, K = x1; S = 0xf928 does not fit imm12)
//   ret
using detail::HeapStackDecode;  // decoded.h

inline bool DecodeHeapStack(const uint8_t* code, size_t len, HeapStackDecode* out, std::string* why) {
  static const char kWhat[] = "Heap::stack";
  *out = HeapStackDecode();
  size_t at = 0;
  uint32_t i = 0;
  if (!ReadInsn(code, len, at, &i)) return Fail(why, kWhat, "ran off the end", code, len, at);
  if (!IsLdrXImm(i) || Rn(i) != 0 || Rd(i) == kZrOrSp) return Fail(why, kWhat, "expected ldr xH, [x0, #D]", code, len, at);
  const unsigned h = Rd(i);
  const uint32_t d = Imm12(i) * 8;
  at += 4;
  if (!ReadInsn(code, len, at, &i)) return Fail(why, kWhat, "ran off the end", code, len, at);
  if (IsCbzX(i)) {
    if (Rd(i) != h) return Fail(why, kWhat, "cbz of another register than the holder", code, len, at);
    at += 4;
    if (!ReadInsn(code, len, at, &i)) return Fail(why, kWhat, "ran off the end", code, len, at);
  }
  uint32_t s = 0;
  if (IsAddXImm(i) && !AddImmShifted(i)) {
    if (Rd(i) != 0 || Rn(i) != h) return Fail(why, kWhat, "expected add x0, xH, #S", code, len, at);
    s = Imm12(i);
  } else if (IsMovzX(i) || IsMovzW(i)) {
    unsigned k = Rd(i);
    if (k == h || k == kZrOrSp) return Fail(why, kWhat, "movz into the holder register", code, len, at);
    s = MovzImm(i);
    at += 4;
    if (!ReadInsn(code, len, at, &i)) return Fail(why, kWhat, "ran off the end", code, len, at);
    if (!IsAddXReg(i) || Rd(i) != 0 || Rn(i) != h || Rm(i) != k) {
      return Fail(why, kWhat, "expected add x0, xH, xK after the movz", code, len, at);
    }
  } else {
    return Fail(why, kWhat, "expected add x0, xH, #S or movz xK, #S", code, len, at);
  }
  at += 4;
  if (!ReadInsn(code, len, at, &i) || i != kRet) return Fail(why, kWhat, "expected ret", code, len, at);
  if (d == 0 || d >= (1u << 16)) return Fail(why, kWhat, "implausible holder offset", code, len, 0);
  if (s == 0 || s >= (1u << 20) || s % 8 != 0) return Fail(why, kWhat, "implausible stack offset", code, len, 0);
  out->holder_offset = d;
  out->stack_offset = s;
  return true;
}

// ---- v8::internal::Heap::SetStackStart(...) (cross-check) -------------------------------------------------------
// Must load the same holder (`ldr xH, [x0, #D]`, searched for over the function's words, so that a frame set-up
// may precede it) and then, walking a whitelist of instructions, store a 64-bit register to the holder plus S',
// which the resolver compares with Heap::stack()'s S:
//   20: ldr x0, [x0, #80]; movz x3, #0xf800; adrp x2, ..; add x0, x0, x3; ldrb w2, [x2, #..]; str x1, [x0, #296]
//   22: ldr x0, [x0, #400]; cbz x0, ..; str x1, [x0, #1688]
//   24, 26: ldr x19, [x0, #D]; cbz x19, ..; bl base::Stack::GetStackStart; str x0, [x19, #S]
// Between the load and the store: cbz of the holder, movz (a constant), adrp and ldrb into other registers,
// `add xH, xH, xK` with K a movz constant (adds K to S'), and bl when H is callee-saved (x19..x28). Anything else
// fails.
inline bool FindSetStackStartStore(const uint8_t* code, size_t len, uint32_t holder_offset, uint32_t* store_offset,
                                   std::string* why) {
  static const char kWhat[] = "Heap::SetStackStart";
  if (holder_offset == 0 || holder_offset % 8 != 0 || holder_offset / 8 > 0xfff) {
    return Fail(why, kWhat, "unencodable holder offset", code, len, 0);
  }
  const uint32_t load = 0xf9400000u | (holder_offset / 8) << 10;  // ldr xH, [x0, #D] with H = 0
  size_t at = 0;
  uint32_t i = 0;
  bool loaded = false;
  for (; ReadInsn(code, len, at, &i); at += 4) {
    if ((i & 0xffffffe0) == load) {
      loaded = true;
      break;
    }
  }
  if (!loaded) return Fail(why, kWhat, "no load of the stack holder from x0", code, len, 0);
  const unsigned h = Rd(i);
  if (h == kZrOrSp) return Fail(why, kWhat, "unsupported holder register", code, len, at);
  bool known[32] = {};
  uint32_t value[32] = {};
  uint32_t bias = 0;
  for (int n = 0; n < 16; n++) {
    at += 4;
    if (!ReadInsn(code, len, at, &i)) return Fail(why, kWhat, "no 64-bit store through the stack holder", code, len, at);
    if (IsStrXImm(i) && Rn(i) == h) {
      uint32_t s = bias + Imm12(i) * 8;
      if (s == 0 || s >= (1u << 20)) return Fail(why, kWhat, "implausible store offset", code, len, at);
      *store_offset = s;
      return true;
    }
    if (IsCbzX(i) && Rd(i) == h) continue;
    if (IsMovzX(i) || IsMovzW(i) || IsAdrp(i) || IsLdrbImm(i)) {
      unsigned d = Rd(i);
      if (d == h) return Fail(why, kWhat, "the holder register is overwritten", code, len, at);
      if (d == kZrOrSp) return Fail(why, kWhat, "write to the zero register", code, len, at);
      known[d] = IsMovzX(i) || IsMovzW(i);
      value[d] = known[d] ? MovzImm(i) : 0;
      continue;
    }
    if (IsAddXReg(i) && Rd(i) == h && Rn(i) == h) {
      if (!known[Rm(i)]) return Fail(why, kWhat, "add to the holder of a register with no movz constant", code, len, at);
      bias += value[Rm(i)];
      continue;
    }
    if (IsBl(i)) {
      if (h < 19 || h > 28) return Fail(why, kWhat, "call with the holder in a caller-saved register", code, len, at);
      for (unsigned r = 0; r < 19; r++) known[r] = false;
      known[30] = false;
      continue;
    }
    return Fail(why, kWhat, "unexpected instruction", code, len, at);
  }
  return Fail(why, kWhat, "no 64-bit store through the stack holder", code, len, at);
}

// ---- the compact-record fields: a trace of a function's straight-line prefix -----------------------------------
// Follows the registers of a function's prologue as LoadChains of its arguments (x0..x7 at entry), word by word,
// up to the answer: the first call (with x0's chain) or the first load from a given argument. Accepted, because
// the official builds' prologues of ThreadManager::FreeThreadResources and Unlocker::Initialize are made of them:
//   stp x29, x30, [sp, #-N]!   stp xA, xB, [sp, #imm]   str xT, [xN, #imm]   (stores: no register changes)
//   mov xD, xM                 (copies M's chain)
//   add xD, xN, #imm{, lsl #12} (adds to the pending addend; `mov x29, sp` is this form from sp)
//   ldr xD, [xN, #imm]         (one more load: its offset is the pending addend plus imm)
//   bl label
// A store is taken to change no memory the chain then reads: these prologues store only to the frame and to the
// Unlocker in x0 (its isolate_), never to the Isolate fields they load. Anything else before the answer, branches
// included, fails closed: this is a straight-line trace, not a disassembler.
//
// After the frame set-up (I: 80 on 20 and 22, 40 on 24 and 26; H and T past 32 KiB, the values are in the tests):
//   FreeThreadResources 20-24:  mov x19, x0; ldr x0, [x0, #I]; add x0, x0, #0x8, lsl #12; ldr x0, [x0, #H]; bl
//                       26:     ldr x8, [x0, #I]; mov x19, x0; add x9, x8, #0x10, lsl #12; ldr x0, [x9, #H]; bl
//   Unlocker::Initialize 20-24: mov x21, x0; add x0, x1, #0x8, lsl #12; stp; str x1, [x21]; ldr x20, [x0, #T]
//                        26:    str x1, [x0]; add x8, x1, #0x10, lsl #12; mov x19, x0; ldr x21, [x8, #T]
using detail::FirstCallDecode;  // decoded.h
using detail::LoadChain;

struct RegisterTrace {
  LoadChain chain;
  uint64_t addend = 0;         // added after the last load, not yet loaded through
  const char* lost = nullptr;  // why a value that came from an argument can no longer be followed (root is -1)
};

struct PrefixTracer {
  static constexpr int kMaxInstructions = 32;
  static constexpr int kArgumentRegisters = 8;  // AAPCS64: x0..x7
  static constexpr uint64_t kMaxOffset = 1u << 24;
  RegisterTrace regs[32];  // x0..x30; 31 (sp/xzr) is never written and reads as untraced

  PrefixTracer() {
    for (int r = 0; r < kArgumentRegisters; r++) regs[r].chain.root = r;
  }

  // What a load at `imm` through `base` gives.
  static RegisterTrace Load(const RegisterTrace& base, uint32_t imm) {
    RegisterTrace r;
    if (base.chain.root < 0) {
      r.lost = base.lost;
      return r;
    }
    const uint64_t offset = base.addend + imm;
    if (base.chain.depth >= LoadChain::kMaxDepth) {
      r.lost = "loaded through more pointers than a LoadChain holds";
    } else if (offset >= kMaxOffset || offset % 8 != 0) {
      r.lost = "loaded at an implausible offset";
    } else {
      r.chain = base.chain;
      r.chain.offsets[r.chain.depth++] = static_cast<uint32_t>(offset);
    }
    return r;
  }

  // Applies one non-branch instruction; false if it is not one of the accepted forms.
  bool Step(uint32_t i) {
    if (IsStpFramePush(i) || IsStpXToSp(i) || IsStrXImm(i)) return true;
    const unsigned d = Rd(i);
    if (IsMovXReg(i) && d != kZrOrSp) {
      regs[d] = Rm(i) == kZrOrSp ? RegisterTrace() : regs[Rm(i)];
      return true;
    }
    if (IsAddXImm(i) && d != kZrOrSp) {
      RegisterTrace r = Rn(i) == kZrOrSp ? RegisterTrace() : regs[Rn(i)];
      r.addend += AddImmShifted(i) ? Imm12(i) << 12 : Imm12(i);
      regs[d] = r;
      return true;
    }
    if (IsLdrXImm(i) && d != kZrOrSp) {
      regs[d] = Rn(i) == kZrOrSp ? RegisterTrace() : Load(regs[Rn(i)], Imm12(i) * 8);
      return true;
    }
    return false;
  }
};

// Runs the tracer until `answer` settles (1: answered, -1: refused, with its reason set; 0: go on), or fails.
// `answer` sees each instruction before it is applied.
template <typename Answer>
inline bool TracePrefix(const uint8_t* code, size_t len, const char* what, std::string* why, Answer answer) {
  PrefixTracer t;
  size_t at = 0;
  for (int n = 0; n < PrefixTracer::kMaxInstructions; n++, at += 4) {
    uint32_t i = 0;
    if (!ReadInsn(code, len, at, &i)) return Fail(why, what, "ran off the end", code, len, at);
    const int settled = answer(t, i, at);
    if (settled != 0) return settled > 0;
    if (IsBl(i)) return Fail(why, what, "a call before the answer", code, len, at);
    if (IsBranch(i)) return Fail(why, what, "a branch before the answer", code, len, at);
    if (!t.Step(i)) return Fail(why, what, "unexpected instruction", code, len, at);
  }
  return Fail(why, what, "too many instructions", code, len, at);
}

// The first call and the chain of x0 there (see FirstCallDecode).
inline bool DecodeFirstCall(const uint8_t* code, size_t len, uintptr_t addr, const char* what, FirstCallDecode* out,
                            std::string* why) {
  *out = FirstCallDecode();
  auto refuse = [&](const char* problem, size_t at) {
    Fail(why, what, problem, code, len, at);
    return -1;
  };
  return TracePrefix(code, len, what, why, [&](const PrefixTracer& t, uint32_t i, size_t at) {
    if (!IsBl(i)) return 0;
    const RegisterTrace& x0 = t.regs[0];
    if (x0.lost != nullptr) return refuse(x0.lost, at);
    if (x0.chain.root < 0 || x0.chain.depth == 0) {
      return refuse("the first argument of the call is not loaded from an argument", at);
    }
    // A LoadChain ends with a load: an addend after it would make x0 an address inside the last object.
    if (x0.addend != 0) return refuse("the first argument of the call is an address, not a loaded pointer", at);
    out->arg0 = x0.chain;
    out->call_target = addr + at + static_cast<uintptr_t>(BranchOffset(i));
    return 1;
  });
}

// The offset of the first load through argument `arg` itself (a depth-0 chain of it, plus its pending addend).
inline bool DecodeFirstLoadFromArg(const uint8_t* code, size_t len, int arg, const char* what, uint32_t* offset,
                                   std::string* why) {
  if (arg < 0 || arg >= PrefixTracer::kArgumentRegisters) {
    return Fail(why, what, "no such argument register", code, len, 0);
  }
  return TracePrefix(code, len, what, why, [&](const PrefixTracer& t, uint32_t i, size_t at) {
    if (!IsLdrXImm(i) || Rn(i) == kZrOrSp) return 0;
    const RegisterTrace& base = t.regs[Rn(i)];
    if (base.chain.root != arg || base.chain.depth != 0) return 0;
    const uint64_t v = base.addend + Imm12(i) * 8;
    if (v == 0 || v >= PrefixTracer::kMaxOffset || v % 8 != 0) {
      Fail(why, what, "implausible field offset", code, len, at);
      return -1;
    }
    *offset = static_cast<uint32_t>(v);
    return 1;
  });
}

}  // namespace verdant::detail::arm64
