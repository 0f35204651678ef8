// Unit test of the pure x86-64 decoders (native/greenlet/x86_64_decode.h) on the real function bytes of Node
// 20/22/24/26 (node_bytes.h) plus synthetic encodings and corruptions. No V8 needed; from this directory:
//   g++ -std=gnu++20 -O1 -g -Wall -Wextra -fno-exceptions -fsanitize=address,undefined
//       -I../../../native decode_test.cc -o /tmp/decode_test && /tmp/decode_test
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "greenlet/x86_64_decode.h"
#include "node_bytes.h"

namespace x = verdant::detail::x86_64;

static int failures = 0;
#define CHECK(cond, ...)                                   \
  do {                                                     \
    if (!(cond)) {                                         \
      failures++;                                          \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
      fprintf(stderr, __VA_ARGS__);                        \
      fprintf(stderr, "\n");                               \
    }                                                      \
  } while (0)

struct Expected {
  const char* node;
  int64_t tid;
  uint32_t heap, d, s;
  uint64_t hadd, hremove;
};

static const Expected kExpected[] = {
    {"20", -0x40, 0xd2c0, 0x50, 0xf8f0, khadd_20, khremove_20},
    {"22", -0x68, 0xdea0, 0x190, 0x698, khadd_22, khremove_22},
    {"24", -0x98, 0xeff8, 0x218, 0x6c0, khadd_24, khremove_24},
    {"26", -0x170, 0xf3c0, 0x220, 0x750, khadd_26, khremove_26},
};

// Runs every decoder on a heap copy of exactly `len` bytes (so ASan catches any overread). Returns a bitmask of
// decoders that succeeded.
static int RunAll(const uint8_t* src, size_t len, uint64_t addr, std::string* why_out = nullptr) {
  uint8_t* exact = static_cast<uint8_t*>(malloc(len ? len : 1));
  if (len) memcpy(exact, src, len);
  const uint8_t* p = exact;
  int ok = 0;
  std::string why;
  x::ThreadIdDecode t;
  if (x::DecodeGetCurrentThreadId(p, len, addr, &t, &why)) ok |= 1;
  x::ThunkDecode th;
  if (x::DecodeAddRdiThunk(p, len, addr, "thunk", &th, &why)) ok |= 2;
  x::HeapStackDecode hs;
  if (x::DecodeHeapStack(p, len, &hs, &why)) ok |= 4;
  uint32_t store = 0;
  if (x::FindSetStackStartStore(p, len, 0x218, &store, &why)) ok |= 8;
  if (why_out) *why_out = why;
  free(exact);
  return ok;
}

int main() {
  // 1. Real bytes decode to the expected values.
  for (const Expected& e : kExpected) {
    std::string node = e.node;
    for (const FnBytes& f : kAllFns) {
      if (node != f.node) continue;
      std::string fn = f.fn, why;
      if (fn == "tid") {
        x::ThreadIdDecode d;
        bool ok = x::DecodeGetCurrentThreadId(f.bytes, f.len, f.addr, &d, &why);
        CHECK(ok && !d.via_got && d.tp_offset == e.tid, "node %s tid: %s %lld", e.node, why.c_str(),
              (long long)d.tp_offset);
      } else if (fn == "add" || fn == "remove") {
        x::ThunkDecode d;
        bool ok = x::DecodeAddRdiThunk(f.bytes, f.len, f.addr, f.fn, &d, &why);
        uint64_t target = fn == "add" ? e.hadd : e.hremove;
        CHECK(ok && d.heap_offset == e.heap && d.jump_target == target, "node %s %s: %s heap=0x%x target=0x%lx",
              e.node, f.fn, why.c_str(), d.heap_offset, (unsigned long)d.jump_target);
      } else if (fn == "stack") {
        x::HeapStackDecode d;
        bool ok = x::DecodeHeapStack(f.bytes, f.len, &d, &why);
        CHECK(ok && d.holder_offset == e.d && d.stack_offset == e.s, "node %s stack: %s D=0x%x S=0x%x", e.node,
              why.c_str(), d.holder_offset, d.stack_offset);
      } else if (fn == "set") {
        uint32_t store = 0;
        bool ok = x::FindSetStackStartStore(f.bytes, f.len, e.d, &store, &why);
        CHECK(ok && store == e.s, "node %s set: %s store=0x%x", e.node, why.c_str(), store);
        CHECK(!x::FindSetStackStartStore(f.bytes, f.len, e.d + 8, &store, &why), "node %s set with wrong D", e.node);
      }
    }
  }

  // 2. Decoders reject each other's functions (no cross-matches), except where the shapes genuinely coincide.
  for (const FnBytes& f : kAllFns) {
    std::string fn = f.fn;
    int ok = RunAll(f.bytes, f.len, f.addr);
    int expect = fn == "tid" ? 1 : (fn == "add" || fn == "remove") ? 2 : fn == "stack" ? 4 : 0;
    // FindSetStackStartStore is a search (holder 0x218 only matches 24's functions); ignore bit 8 here.
    CHECK((ok & 7) == expect, "node %s %s: decoders matched mask %d, expected %d", f.node, f.fn, ok, expect);
  }

  // 3. Every truncation of every real function: no overread (ASan), and shorter-than-pattern never succeeds with
  //    a different result.
  for (const FnBytes& f : kAllFns) {
    for (size_t len = 0; len < f.len; len++) RunAll(f.bytes, len, f.addr);
  }

  // 4. Synthetic forms.
  {
    // endbr64 + local-exec
    const uint8_t a[] = {0xf3, 0x0f, 0x1e, 0xfa, 0x64, 0x8b, 0x04, 0x25, 0x98, 0xff, 0xff, 0xff, 0x85, 0xc0,
                         0x74, 0x01, 0xc3, 0x64, 0x89, 0x04, 0x25, 0x98, 0xff, 0xff, 0xff, 0xc3};
    x::ThreadIdDecode d;
    std::string why;
    CHECK(x::DecodeGetCurrentThreadId(a, sizeof a, 0x1000, &d, &why) && d.tp_offset == -0x68, "endbr64: %s",
          why.c_str());
    // initial-exec: mov rel32(%rip),%rax ; mov %fs:(%rax),%eax ; test
    const uint8_t b[] = {0x48, 0x8b, 0x05, 0x10, 0x00, 0x00, 0x00, 0x64, 0x8b, 0x00, 0x85, 0xc0, 0xc3};
    CHECK(x::DecodeGetCurrentThreadId(b, sizeof b, 0x1000, &d, &why) && d.via_got &&
              d.got_slot_address == 0x1000 + 7 + 0x10,
          "initial-exec: %s", why.c_str());
    // store to a different slot -> reject
    uint8_t c[sizeof a];
    memcpy(c, a, sizeof a);
    c[21] = 0x90;
    CHECK(!x::DecodeGetCurrentThreadId(c, sizeof c, 0x1000, &d, &why), "mismatched store accepted");
    // unknown prologue -> reason names the bytes
    const uint8_t e[] = {0x48, 0x89, 0xe5, 0xc3};
    CHECK(!x::DecodeGetCurrentThreadId(e, sizeof e, 0, &d, &why) &&
              why == "ThreadId::GetCurrentThreadId: unexpected prologue at +0: 48 89 e5 c3",
          "reason: %s", why.c_str());
    printf("example reason: %s\n", why.c_str());

    // thunk: two adds, write to rdi, no add, jmp rel8
    x::ThunkDecode t;
    const uint8_t t1[] = {0x48, 0x81, 0xc7, 0x00, 0x10, 0, 0, 0x48, 0x81, 0xc7, 0x00, 0x10, 0, 0, 0xe9, 0, 0, 0, 0};
    CHECK(!x::DecodeAddRdiThunk(t1, sizeof t1, 0, "t", &t, &why), "two adds accepted");
    const uint8_t t2[] = {0x48, 0x89, 0xf7, 0x48, 0x81, 0xc7, 0x00, 0x10, 0, 0, 0xe9, 0, 0, 0, 0};
    CHECK(!x::DecodeAddRdiThunk(t2, sizeof t2, 0, "t", &t, &why), "mov %%rsi,%%rdi accepted");
    const uint8_t t3[] = {0x49, 0x89, 0xd0, 0xe9, 0, 0, 0, 0};
    CHECK(!x::DecodeAddRdiThunk(t3, sizeof t3, 0, "t", &t, &why), "jmp without add accepted");
    const uint8_t t4[] = {0x48, 0x81, 0xc7, 0x00, 0x10, 0, 0, 0xeb, 0x10};
    CHECK(x::DecodeAddRdiThunk(t4, sizeof t4, 0x100, "t", &t, &why) && t.heap_offset == 0x1000 &&
              t.jump_target == 0x100 + 9 + 0x10,
          "jmp rel8: %s", why.c_str());
    const uint8_t t5[] = {0x48, 0x81, 0xc7, 0x03, 0x10, 0, 0, 0xe9, 0, 0, 0, 0};
    CHECK(!x::DecodeAddRdiThunk(t5, sizeof t5, 0, "t", &t, &why), "unaligned heap offset accepted");
    const uint8_t t6[] = {0x48, 0x81, 0xc7, 0x00, 0x10, 0, 0, 0xe8, 0, 0, 0, 0};
    CHECK(!x::DecodeAddRdiThunk(t6, sizeof t6, 0, "t", &t, &why), "call accepted as jmp");

    // Heap::stack variants
    x::HeapStackDecode h;
    const uint8_t h1[] = {0x48, 0x8b, 0x47, 0x50, 0x48, 0x83, 0xc0, 0x40, 0xc3};
    CHECK(x::DecodeHeapStack(h1, sizeof h1, &h, &why) && h.holder_offset == 0x50 && h.stack_offset == 0x40,
          "imm8: %s", why.c_str());
    const uint8_t h2[] = {0x48, 0x8b, 0x4f, 0x50, 0x48, 0x83, 0xc0, 0x40, 0xc3};  // into %rcx
    CHECK(!x::DecodeHeapStack(h2, sizeof h2, &h, &why), "mov into rcx accepted");
    const uint8_t h3[] = {0x48, 0x8b, 0x47, 0x50, 0x48, 0x83, 0xc0, 0x40, 0x90};  // no ret
    CHECK(!x::DecodeHeapStack(h3, sizeof h3, &h, &why), "missing ret accepted");
    const uint8_t h4[] = {0x48, 0x8b, 0x47, 0x50, 0x48, 0x85, 0xc0, 0x75, 0x02, 0x48, 0x83, 0xc0, 0x40, 0xc3};
    CHECK(!x::DecodeHeapStack(h4, sizeof h4, &h, &why), "jne accepted");
  }

  // 5. Random mutations of real functions: never crash or overread; count how many still decode.
  std::mt19937 rng(12345);
  size_t accepted = 0, total = 0;
  for (const FnBytes& f : kAllFns) {
    for (int iter = 0; iter < 4000; iter++) {
      std::vector<uint8_t> m(f.bytes, f.bytes + f.len);
      int flips = 1 + rng() % 3;
      for (int i = 0; i < flips; i++) m[rng() % m.size()] = static_cast<uint8_t>(rng());
      size_t len = rng() % 4 == 0 ? rng() % (m.size() + 1) : m.size();
      if (RunAll(m.data(), len, f.addr) != 0) accepted++;
      total++;
    }
  }
  printf("mutations: %zu/%zu still decoded (mutations outside the decoded prefix are expected to)\n", accepted,
         total);
  // 6. Pure random buffers.
  for (int iter = 0; iter < 100000; iter++) {
    uint8_t buf[48];
    size_t len = rng() % sizeof buf;
    for (size_t i = 0; i < len; i++) buf[i] = static_cast<uint8_t>(rng());
    RunAll(buf, len, 0x400000);
  }
  if (failures) {
    printf("%d FAILURES\n", failures);
    return 1;
  }
  printf("decode_test: all checks passed\n");
  return 0;
}
