// Unit tests for the pure x86-64 decoders in native/greenlet/x86_64_decode.h: hand-assembled byte sequences in the
// shapes the design notes record for Node 20/22/24/26, the encodings they must refuse, and truncated or random
// input (every buffer is heap-allocated at its exact size, so an out-of-bounds read shows up under ASan).
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "exact_buffer.h"
#include "greenlet/x86_64_decode.h"

namespace x = verdant::detail::x86_64;

namespace {

using verdant_test::Buf;
using verdant_test::Bytes;

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes I32(int32_t v) {
  Bytes b(4);
  std::memcpy(b.data(), &v, 4);
  return b;
}

const Bytes kEndbr = {0xf3, 0x0f, 0x1e, 0xfa};
const uintptr_t kAddr = 0x1000000;

// --- GetCurrentThreadId ---

Bytes LocalExec(int32_t disp, bool endbr = true, int32_t store_disp = 0) {
  if (store_disp == 0) store_disp = disp;
  return Cat({endbr ? kEndbr : Bytes{}, {0x64, 0x8b, 0x04, 0x25}, I32(disp), {0x85, 0xc0},
              {0x74, 0x03, 0xc3, 0x90, 0x90},  // je +3; ret; filler (the lazy path follows)
              {0x64, 0x89, 0x04, 0x25}, I32(store_disp), {0xc3}});
}

bool DecodeTid(const Bytes& b, x::ThreadIdDecode* out, std::string* why) {
  Buf buf(b);
  return x::DecodeGetCurrentThreadId(buf.data.get(), buf.size, kAddr, out, why);
}

}  // namespace

TEST(thread_id_local_exec_all_versions) {
  for (int32_t disp : {-0x40, -0x68, -0x98, -0x170}) {  // Node 20, 22, 24, 26
    for (bool endbr : {true, false}) {
      x::ThreadIdDecode d;
      std::string why;
      CHECK(DecodeTid(LocalExec(disp, endbr), &d, &why));
      CHECK(why.empty());
      CHECK(!d.via_got);
      CHECK_EQ(d.tp_offset, int64_t{disp});
    }
  }
}

TEST(thread_id_initial_exec) {
  // endbr64; mov x@gottpoff(%rip),%rax; mov %fs:(%rax),%eax; test %eax,%eax
  Bytes b = Cat({kEndbr, {0x48, 0x8b, 0x05}, I32(0x2000), {0x64, 0x8b, 0x00, 0x85, 0xc0, 0xc3}});
  x::ThreadIdDecode d;
  std::string why;
  CHECK(DecodeTid(b, &d, &why));
  CHECK(d.via_got);
  // rip-relative: the end of the 7-byte mov (at +4) plus rel32.
  CHECK_EQ(d.got_slot_address, kAddr + 4 + 7 + 0x2000);
}

TEST(thread_id_refusals) {
  x::ThreadIdDecode d;
  std::string why;
  CHECK(!DecodeTid(LocalExec(0x40), &d, &why));  // positive TLS offset
  CHECK(why.find("implausible") != std::string::npos);
  CHECK(!DecodeTid(LocalExec(-0x42), &d, &why));  // not int-aligned
  CHECK(!DecodeTid(LocalExec(-0x40, true, -0x48), &d, &why));  // store to another slot
  CHECK(why.find("store") != std::string::npos);
  // No test %eax,%eax after the load.
  Bytes no_test = Cat({kEndbr, {0x64, 0x8b, 0x04, 0x25}, I32(-0x40), {0x90, 0x90, 0xc3}});
  CHECK(!DecodeTid(no_test, &d, &why));
  // Something else entirely (push %rbp; mov %rsp,%rbp).
  why.clear();
  CHECK(!DecodeTid({0x55, 0x48, 0x89, 0xe5, 0xc3}, &d, &why));
  CHECK(why.find("ThreadId::GetCurrentThreadId") == 0);
  CHECK(why.find("unexpected prologue") != std::string::npos);
  CHECK(why.find("55 48 89 e5") != std::string::npos);  // the reason shows the bytes
  // Initial-exec load followed by the wrong instruction.
  Bytes bad_ie = Cat({{0x48, 0x8b, 0x05}, I32(0x10), {0x64, 0x8b, 0x08, 0x85, 0xc0}});
  CHECK(!DecodeTid(bad_ie, &d, &why));
  CHECK(!DecodeTid({}, &d, &why));
}

// --- Isolate -> Heap thunk ---

namespace {

bool DecodeThunk(const Bytes& b, x::ThunkDecode* out, std::string* why) {
  Buf buf(b);
  return x::DecodeAddRdiThunk(buf.data.get(), buf.size, kAddr, "Isolate::AddGCPrologueCallback", out, why);
}

Bytes AddRdi32(int32_t v) { return Cat({{0x48, 0x81, 0xc7}, I32(v)}); }

}  // namespace

TEST(thunk_add_rdi_jmp) {
  for (int32_t heap : {0xd2c0, 0xdea0, 0xeff8, 0xf3c0}) {
    // endbr64; add $H,%rdi; jmp rel32
    Bytes b = Cat({kEndbr, AddRdi32(heap), {0xe9}, I32(0x1234)});
    x::ThunkDecode d;
    std::string why;
    CHECK(DecodeThunk(b, &d, &why));
    CHECK_EQ(d.heap_offset, static_cast<uint32_t>(heap));
    CHECK_EQ(d.jump_target, kAddr + b.size() + 0x1234);
  }
  // Frame-pointer fillers around the add, an 8-bit immediate and a short backwards jmp.
  Bytes framed = {0x55, 0x48, 0x89, 0xe5, 0x48, 0x83, 0xc7, 0x40, 0x5d, 0xeb, 0xf0};
  x::ThunkDecode d;
  std::string why;
  CHECK(DecodeThunk(framed, &d, &why));
  CHECK_EQ(d.heap_offset, 0x40u);
  CHECK_EQ(d.jump_target, kAddr + framed.size() - 0x10);
}

TEST(thunk_refusals) {
  x::ThunkDecode d;
  std::string why;
  // Two adds.
  CHECK(!DecodeThunk(Cat({AddRdi32(0x100), AddRdi32(0x100), {0xe9}, I32(0)}), &d, &why));
  CHECK(why.find("more than one add") != std::string::npos);
  // jmp with no add.
  CHECK(!DecodeThunk(Cat({kEndbr, {0xe9}, I32(0)}), &d, &why));
  // mov %rax,%rdi overwrites the Isolate pointer.
  CHECK(!DecodeThunk(Cat({{0x48, 0x89, 0xc7}, AddRdi32(0x100), {0xe9}, I32(0)}), &d, &why));
  CHECK(why.find("%rdi") != std::string::npos);
  // mov %rax,%rsp.
  CHECK(!DecodeThunk(Cat({{0x48, 0x89, 0xc4}, AddRdi32(0x100), {0xe9}, I32(0)}), &d, &why));
  // Implausible offsets: not 8-aligned, negative, huge.
  for (int32_t bad : {0x104, -0x100, 1 << 21}) {
    CHECK(!DecodeThunk(Cat({AddRdi32(bad), {0xe9}, I32(0)}), &d, &why));
  }
  // A call instead of a jmp.
  CHECK(!DecodeThunk(Cat({AddRdi32(0x100), {0xe8}, I32(0)}), &d, &why));
  // Endless fillers.
  CHECK(!DecodeThunk(Bytes(64, 0x55), &d, &why));
  CHECK(!DecodeThunk({}, &d, &why));
}

// --- Heap::stack ---

namespace {

bool DecodeStack(const Bytes& b, x::HeapStackDecode* out, std::string* why) {
  Buf buf(b);
  return x::DecodeHeapStack(buf.data.get(), buf.size, out, why);
}

Bytes LoadRdi(uint8_t reg, int32_t disp, bool wide) {
  uint8_t rex = reg >= 8 ? 0x4c : 0x48;
  uint8_t modrm = static_cast<uint8_t>(((wide ? 2 : 1) << 6) | ((reg & 7) << 3) | 7);
  if (wide) return Cat({{rex, 0x8b, modrm}, I32(disp)});
  return {rex, 0x8b, modrm, static_cast<uint8_t>(disp)};
}

Bytes HeapStack(int32_t d, int32_t s, bool test_je, bool endbr = true) {
  return Cat({endbr ? kEndbr : Bytes{}, LoadRdi(0, d, d > 0x7f),
              test_je ? Bytes{0x48, 0x85, 0xc0, 0x74, 0x07} : Bytes{}, {0x48, 0x05}, I32(s), {0xc3}});
}

}  // namespace

TEST(heap_stack_all_versions) {
  struct Case { int32_t d, s; bool test_je; };
  // Node 20 (slot in the Isolate), 22, 24, 26 (slot in the main-thread LocalHeap, null-checked).
  const Case cases[] = {{0x50, 0xf8f0, false}, {0x190, 0x698, true}, {0x218, 0x6c0, true}, {0x220, 0x750, false}};
  for (const Case& c : cases) {
    for (bool endbr : {true, false}) {
      x::HeapStackDecode h;
      std::string why;
      CHECK(DecodeStack(HeapStack(c.d, c.s, c.test_je, endbr), &h, &why));
      CHECK_EQ(h.holder_offset, static_cast<uint32_t>(c.d));
      CHECK_EQ(h.stack_offset, static_cast<uint32_t>(c.s));
    }
  }
  // add with an 8-bit immediate, je rel32.
  Bytes b = Cat({LoadRdi(0, 0x190, true), {0x48, 0x85, 0xc0, 0x0f, 0x84}, I32(0x10), {0x48, 0x83, 0xc0, 0x38, 0xc3}});
  x::HeapStackDecode h;
  std::string why;
  CHECK(DecodeStack(b, &h, &why));
  CHECK_EQ(h.stack_offset, 0x38u);
}

TEST(heap_stack_refusals) {
  x::HeapStackDecode h;
  std::string why;
  // Load into %rcx rather than %rax.
  CHECK(!DecodeStack(Cat({LoadRdi(1, 0x190, true), {0x48, 0x05}, I32(0x698), {0xc3}}), &h, &why));
  CHECK(why.find("Heap::stack") == 0);
  // Missing ret.
  CHECK(!DecodeStack(Cat({LoadRdi(0, 0x190, true), {0x48, 0x05}, I32(0x698), {0x90}}), &h, &why));
  CHECK(why.find("ret") != std::string::npos);
  // test without je.
  CHECK(!DecodeStack(Cat({LoadRdi(0, 0x190, true), {0x48, 0x85, 0xc0, 0x90}, {0x48, 0x05}, I32(0x698), {0xc3}}),
                     &h, &why));
  // Implausible offsets: misaligned holder, zero holder, misaligned or negative stack offset.
  CHECK(!DecodeStack(HeapStack(0x194, 0x698, false), &h, &why));
  CHECK(!DecodeStack(HeapStack(0, 0x698, false), &h, &why));
  CHECK(!DecodeStack(HeapStack(0x190, 0x69c, false), &h, &why));
  CHECK(!DecodeStack(HeapStack(0x190, -0x698, false), &h, &why));
  // Negative disp8 in the load.
  CHECK(!DecodeStack(Cat({{0x48, 0x8b, 0x47, 0xf8}, {0x48, 0x05}, I32(0x698), {0xc3}}), &h, &why));
  CHECK(!DecodeStack({}, &h, &why));
}

// --- Heap::SetStackStart cross-check ---

namespace {

bool FindStore(const Bytes& b, uint32_t holder, uint32_t* off, std::string* why) {
  Buf buf(b);
  return x::FindSetStackStartStore(buf.data.get(), buf.size, holder, off, why);
}

// mov %src,disp32(%base)
Bytes Store(uint8_t src, uint8_t base, int32_t disp) {
  uint8_t rex = static_cast<uint8_t>(0x48 | (src >= 8 ? 4 : 0) | (base >= 8 ? 1 : 0));
  uint8_t modrm = static_cast<uint8_t>((2 << 6) | ((src & 7) << 3) | (base & 7));
  return Cat({{rex, 0x89, modrm}, I32(disp)});
}

}  // namespace

TEST(set_stack_start_store) {
  uint32_t off = 0;
  std::string why;
  // 20/22: mov D(%rdi),%rax; mov %rsi,S(%rax)
  CHECK(FindStore(Cat({kEndbr, LoadRdi(0, 0x190, true), Store(6, 0, 0x698), {0xc3}}), 0x190, &off, &why));
  CHECK_EQ(off, 0x698u);
  // 24+: mov D(%rdi),%rbx; call GetStackStart; mov %rax,S(%rbx) -- with unrelated code in between.
  Bytes b = Cat({kEndbr, {0x53}, LoadRdi(3, 0x218, true), {0xe8}, I32(0x100), Store(0, 3, 0x6c0), {0x5b, 0xc3}});
  CHECK(FindStore(b, 0x218, &off, &why));
  CHECK_EQ(off, 0x6c0u);
  // Holder in %r14 (REX.R on the load, REX.B on the store).
  CHECK(FindStore(Cat({LoadRdi(14, 0x220, true), Store(0, 14, 0x750), {0xc3}}), 0x220, &off, &why));
  CHECK_EQ(off, 0x750u);
}

TEST(set_stack_start_refusals) {
  uint32_t off = 0;
  std::string why;
  // Loads another offset than Heap::stack() did.
  CHECK(!FindStore(Cat({LoadRdi(0, 0x198, true), Store(6, 0, 0x698), {0xc3}}), 0x190, &off, &why));
  CHECK(why.find("no load") != std::string::npos);
  // Holder in %rsp/%r12 or %rbp/%r13: refused (those bases need a SIB byte or have other ModRM forms).
  for (uint8_t reg : {4, 5, 12, 13}) {
    CHECK(!FindStore(Cat({LoadRdi(reg, 0x190, true), Store(6, reg, 0x698)}), 0x190, &off, &why));
    CHECK(why.find("unsupported holder register") != std::string::npos);
  }
  // A store through another register.
  CHECK(!FindStore(Cat({LoadRdi(0, 0x190, true), Store(6, 1, 0x698), {0xc3}}), 0x190, &off, &why));
  CHECK(why.find("no 64-bit store") != std::string::npos);
  CHECK(!FindStore({}, 0x190, &off, &why));
}


// --- the compact-record fields: ThreadManager::FreeThreadResources and Unlocker::Initialize ---
// The first bytes of each function in the official linux-x64 binaries (objdump -d), up to and past the instruction
// that answers, with the values read by hand from the same listing.

struct RecordFixture {
  const char* node;
  Bytes free_resources;         // ThreadManager::FreeThreadResources()
  uintptr_t free_resources_at;
  uintptr_t hsi_free_at;        // HandleScopeImplementer::FreeThreadResources()
  uint32_t isolate_offset;      // ThreadManager::isolate_
  uint32_t hsi_offset;          // Isolate::handle_scope_implementer_
  Bytes unlocker_init;          // v8::Unlocker::Initialize(v8::Isolate*)
  uint32_t thread_manager_offset;
};

const RecordFixture kRecord[] = {
    {"20.20.2",
     {0x55, 0x48, 0x89, 0xe5, 0x53, 0x48, 0x89, 0xfb, 0x48, 0x83, 0xec, 0x08, 0x48, 0x8b, 0x47, 0x48, 0x48, 0x8b,
      0xb8, 0xb0, 0xe3, 0x00, 0x00, 0xe8, 0x04, 0x1a, 0xe8, 0xff, 0x48, 0x8b, 0x43, 0x48},
     0x1082cc0, 0xf046e0, 0x48, 0xe3b0,
     {0x55, 0x48, 0x89, 0xe5, 0x41, 0x55, 0x49, 0x89, 0xfd, 0x41, 0x54, 0x53, 0x48, 0x83, 0xec, 0x08, 0x48, 0x89,
      0x37, 0x4c, 0x8b, 0xa6, 0xe8, 0xe3, 0x00, 0x00, 0x49, 0x8b, 0x44, 0x24, 0x38},
     0xe3e8},
    {"22.23.3",
     {0x55, 0x48, 0x89, 0xe5, 0x53, 0x48, 0x89, 0xfb, 0x48, 0x83, 0xec, 0x08, 0x48, 0x8b, 0x47, 0x48, 0x48, 0x8b,
      0xb8, 0xb8, 0xed, 0x00, 0x00, 0xe8, 0xb4, 0xbf, 0xe8, 0xff, 0x48, 0x8b, 0x43, 0x48},
     0x13e29f0, 0x126e9c0, 0x48, 0xedb8,
     {0x55, 0x48, 0x89, 0xe5, 0x41, 0x55, 0x49, 0x89, 0xfd, 0x41, 0x54, 0x53, 0x48, 0x83, 0xec, 0x08, 0x48, 0x89,
      0x37, 0x4c, 0x8b, 0xa6, 0x68, 0xee, 0x00, 0x00, 0x49, 0x8b, 0x44, 0x24, 0x38},
     0xee68},
    {"24.21.0",
     {0x55, 0x48, 0x89, 0xe5, 0x53, 0x48, 0x89, 0xfb, 0x48, 0x83, 0xec, 0x08, 0x48, 0x8b, 0x47, 0x28, 0x48, 0x8b,
      0xb8, 0xf0, 0xfc, 0x00, 0x00, 0xe8, 0x34, 0x8a, 0xe3, 0xff, 0x48, 0x8b, 0x43, 0x28},
     0xe601c0, 0xc98c10, 0x28, 0xfcf0,
     {0x55, 0x48, 0x89, 0xe5, 0x41, 0x55, 0x49, 0x89, 0xfd, 0x41, 0x54, 0x53, 0x48, 0x83, 0xec, 0x08, 0x48, 0x89,
      0x37, 0x4c, 0x8b, 0xa6, 0x88, 0xfd, 0x00, 0x00, 0x49, 0x8b, 0x44, 0x24, 0x18},
     0xfd88},
    // Node 26 is built with clang: `push %rax` for alignment, and the load straight after `mov %rdi,%rbx`.
    {"26.10.0",
     {0x55, 0x48, 0x89, 0xe5, 0x53, 0x50, 0x48, 0x89, 0xfb, 0x48, 0x8b, 0x47, 0x28, 0x48, 0x8b, 0xb8, 0xb0, 0x00,
      0x01, 0x00, 0xe8, 0x27, 0x77, 0xe7, 0xff, 0xbf, 0x48, 0x01, 0x00, 0x00},
     0xe89290, 0xd009d0, 0x28, 0x100b0,
     {0x55, 0x48, 0x89, 0xe5, 0x41, 0x57, 0x41, 0x56, 0x53, 0x50, 0x48, 0x89, 0xfb, 0x48, 0x89, 0x37, 0x4c, 0x8b,
      0xbe, 0x48, 0x01, 0x01, 0x00, 0x49, 0x8b, 0x47, 0x18},
     0x10148},
};

bool FirstCall(const Bytes& b, uintptr_t addr, x::FirstCallDecode* out, std::string* why) {
  Buf buf(b);
  return x::DecodeFirstCall(buf.data.get(), buf.size, addr, "FreeThreadResources", out, why);
}

bool FirstLoad(const Bytes& b, int arg, uint32_t* out, std::string* why) {
  Buf buf(b);
  return x::DecodeFirstLoadFromArg(buf.data.get(), buf.size, arg, "Unlocker::Initialize", out, why);
}

TEST(record_fields_all_versions) {
  for (const RecordFixture& f : kRecord) {
    x::FirstCallDecode call;
    std::string why;
    REQUIRE(FirstCall(f.free_resources, f.free_resources_at, &call, &why));
    CHECK_EQ(call.arg0.root, 0);
    CHECK_EQ(call.arg0.depth, 2);
    CHECK_EQ(call.arg0.offsets[0], f.isolate_offset);
    CHECK_EQ(call.arg0.offsets[1], f.hsi_offset);
    CHECK_EQ(call.call_target, f.hsi_free_at);
    uint32_t tm = 0;
    REQUIRE(FirstLoad(f.unlocker_init, 1, &tm, &why));
    CHECK_EQ(tm, f.thread_manager_offset);
    // The same code read for the wrong argument: Unlocker::Initialize loads nothing through `this` before
    // the thread manager, then through registers that are not arguments; it must not answer with a wrong field.
    uint32_t other = 0;
    if (FirstLoad(f.unlocker_init, 0, &other, &why)) CHECK(other != tm);
  }
}

TEST(record_fields_refusals) {
  const Bytes prologue = {0x55, 0x48, 0x89, 0xe5, 0x53, 0x48, 0x89, 0xfb};
  const Bytes load_isolate = {0x48, 0x8b, 0x47, 0x48};                    // mov 0x48(%rdi),%rax
  const Bytes load_hsi = {0x48, 0x8b, 0xb8, 0xb0, 0xe3, 0x00, 0x00};     // mov 0xe3b0(%rax),%rdi
  const Bytes call = {0xe8, 0x00, 0x00, 0x00, 0x00};
  x::FirstCallDecode d;
  std::string why;
  CHECK(FirstCall(Cat({prologue, load_isolate, load_hsi, call}), kAddr, &d, &why));
  // An address rather than a pointer: lea 0x108(%rax),%rdi.
  CHECK(!FirstCall(Cat({prologue, load_isolate, {0x48, 0x8d, 0xb8, 0x08, 0x01, 0x00, 0x00}, call}), kAddr, &d, &why));
  CHECK(why.find("address") != std::string::npos);
  // A pointer added to after the load.
  CHECK(!FirstCall(Cat({prologue, load_isolate, load_hsi, {0x48, 0x83, 0xc7, 0x08}, call}), kAddr, &d, &why));
  // %rdi clobbered from the stack pointer.
  CHECK(!FirstCall(Cat({prologue, {0x48, 0x89, 0xe7}, call}), kAddr, &d, &why));
  // An instruction outside the whitelist (xor %eax,%eax) before the call.
  CHECK(!FirstCall(Cat({prologue, {0x31, 0xc0}, load_isolate, load_hsi, call}), kAddr, &d, &why));
  CHECK(why.find("unexpected instruction") != std::string::npos);
  // A %rip-relative load, an indexed load.
  CHECK(!FirstCall(Cat({prologue, {0x48, 0x8b, 0x05, 0, 0, 0, 0}, call}), kAddr, &d, &why));
  CHECK(!FirstCall(Cat({prologue, {0x48, 0x8b, 0x04, 0xc7}, call}), kAddr, &d, &why));
  // No call at all.
  CHECK(!FirstCall(Cat({prologue, load_isolate, load_hsi, {0xc3}}), kAddr, &d, &why));
  // A first load from the argument at an implausible offset, and a call before any load.
  uint32_t off = 0;
  CHECK(!FirstLoad(Cat({prologue, {0x4c, 0x8b, 0xa6, 0x03, 0x00, 0x00, 0x00}}), 1, &off, &why));
  CHECK(!FirstLoad(Cat({prologue, call, {0x4c, 0x8b, 0xa6, 0xe8, 0xe3, 0x00, 0x00}}), 1, &off, &why));
  // The argument's register overwritten before the load: no answer for it.
  CHECK(!FirstLoad(Cat({prologue, {0x48, 0x89, 0xfe}, {0x4c, 0x8b, 0xa6, 0xe8, 0xe3, 0x00, 0x00}, {0xc3}}), 1, &off,
                   &why));
  for (const RecordFixture& f : kRecord) {
    for (size_t n = 0; n < f.free_resources.size(); n++) {
      Bytes cut(f.free_resources.begin(), f.free_resources.begin() + n);
      bool ok = FirstCall(cut, f.free_resources_at, &d, &why);
      // Only a cut after the whole call instruction may still answer, and then with the same result.
      if (ok) CHECK(d.arg0.offsets[1] == f.hsi_offset && d.call_target == f.hsi_free_at);
    }
    for (size_t n = 0; n < f.unlocker_init.size(); n++) {
      Bytes cut(f.unlocker_init.begin(), f.unlocker_init.begin() + n);
      if (FirstLoad(cut, 1, &off, &why)) CHECK_EQ(off, f.thread_manager_offset);
    }
  }
}

// --- robustness: truncations and random bytes ---

TEST(truncated_input_is_refused_without_overread) {
  const Bytes tid = LocalExec(-0x98);
  const Bytes thunk = Cat({kEndbr, AddRdi32(0xeff8), {0xe9}, I32(0x40)});
  const Bytes stack = HeapStack(0x218, 0x6c0, true);
  const Bytes store = Cat({LoadRdi(0, 0x190, true), Store(6, 0, 0x698)});
  // LocalExec ends with the TLS store and a ret; the decoder needs everything up to the store.
  for (size_t n = 0; n + 1 < tid.size(); n++) {
    x::ThreadIdDecode d;
    std::string why;
    CHECK(!DecodeTid(Bytes(tid.begin(), tid.begin() + n), &d, &why));
  }
  for (size_t n = 0; n < thunk.size(); n++) {
    x::ThunkDecode d;
    std::string why;
    CHECK(!DecodeThunk(Bytes(thunk.begin(), thunk.begin() + n), &d, &why));
  }
  for (size_t n = 0; n < stack.size(); n++) {
    x::HeapStackDecode h;
    std::string why;
    CHECK(!DecodeStack(Bytes(stack.begin(), stack.begin() + n), &h, &why));
  }
  for (size_t n = 0; n < store.size(); n++) {
    uint32_t off = 0;
    std::string why;
    CHECK(!FindStore(Bytes(store.begin(), store.begin() + n), 0x190, &off, &why));
  }
}

TEST(random_bytes_never_crash) {
  std::mt19937 rng(12345);
  // Bias towards the opcodes the decoders look for, so the fuzzing reaches past the first instruction.
  const uint8_t hot[] = {0x48, 0x4c, 0x8b, 0x89, 0x81, 0x83, 0xc7, 0xc0, 0x87, 0x47, 0x05, 0x64, 0x04, 0x25,
                         0x85, 0x74, 0x0f, 0x84, 0xe9, 0xeb, 0xc3, 0x55, 0x5d, 0xf3, 0x1e, 0xfa, 0x00,
                         0xe8, 0x8d, 0xb8, 0xa6, 0x49, 0x41, 0x53};
  int accepted = 0;
  for (int i = 0; i < 200000; i++) {
    Bytes b(rng() % 48);
    for (uint8_t& c : b) c = (rng() % 2) ? hot[rng() % sizeof(hot)] : static_cast<uint8_t>(rng());
    x::ThreadIdDecode t;
    x::ThunkDecode k;
    x::HeapStackDecode h;
    uint32_t off = 0;
    std::string why;
    accepted += DecodeTid(b, &t, &why);
    accepted += DecodeThunk(b, &k, &why);
    accepted += DecodeStack(b, &h, &why);
    accepted += FindStore(b, 0x190, &off, &why);
    x::FirstCallDecode call;
    if (FirstCall(b, kAddr, &call, &why)) {
      accepted++;
      CHECK(call.arg0.root >= 0 && call.arg0.depth > 0 && call.arg0.depth <= 2);
    }
    if (FirstLoad(b, 1, &off, &why)) {
      accepted++;
      CHECK(off > 0 && off % 8 == 0);
    }
    // Whatever is accepted must satisfy the documented plausibility bounds.
    if (DecodeThunk(b, &k, &why)) CHECK(k.heap_offset > 0 && k.heap_offset % 8 == 0 && k.heap_offset < (1u << 20));
    if (DecodeStack(b, &h, &why)) CHECK(h.holder_offset % 8 == 0 && h.stack_offset % 8 == 0);
  }
  std::printf("  random inputs accepted: %d of %d decoder calls\n", accepted, 6 * 200000);
}

int main() { return RUN_ALL_TESTS(); }
