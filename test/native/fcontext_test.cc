// Raw boost.context (make_fcontext / jump_fcontext) on stacks from verdant's StackAllocator: the mechanism the
// fcontext backend is built on, tested without Node or V8.
#include "platform/fcontext.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "check.h"
#include "greenlet/asan.h"
#include "greenlet/stack.h"

namespace ctx = verdant::fcontext;
using verdant::detail::AsanAfterSwitch;
using verdant::detail::AsanBeforeSwitch;
using verdant::detail::AsanStack;
using verdant::detail::Stack;
using verdant::detail::StackAllocator;

namespace {

// The main (OS thread) stack as AddressSanitizer sees it, learned on the first switch into a coroutine.
AsanStack g_main_stack;

// jump_fcontext with the sanitizer bookkeeping of native/greenlet/asan.h (no-ops in a normal build).
// `to_bottom/to_size` describe the target's stack (nullptr for main); `final_jump` when the current stack is never
// resumed again.
ctx::transfer_t Jump(ctx::fcontext_t to, void* data, const void* to_bottom, size_t to_size,
                     bool final_jump = false) {
  AsanStack target = to_bottom == nullptr ? g_main_stack : AsanStack{to_bottom, to_size, nullptr};
  AsanStack self;
  AsanBeforeSwitch(final_jump ? nullptr : &self, target);
  ctx::transfer_t t = jump_fcontext(to, data);
  AsanAfterSwitch(&self, nullptr);
  return t;
}

// First thing a coroutine entry does (every entry here is reached from main).
void OnEntry() {
  AsanStack fresh;
  AsanAfterSwitch(&fresh, &g_main_stack);
}

ctx::fcontext_t Make(const Stack& s, void (*fn)(ctx::transfer_t)) {
  return make_fcontext(reinterpret_cast<void*>(s.top), s.usable_size(), fn);
}

const void* Bottom(const Stack& s) { return reinterpret_cast<const void*>(s.base); }

// --- ping-pong: a counter goes back and forth, each side transforming it ------------------------------------------

struct PingPong {
  Stack stack;
  uintptr_t local_addr = 0;  // address of a local on the coroutine, to prove it runs on our stack
  uint64_t received = 0;     // values the coroutine saw
  bool done = false;
};

PingPong* g_pp = nullptr;

void PingPongEntry(ctx::transfer_t t) {
  OnEntry();
  PingPong* pp = g_pp;
  int marker = 0;
  pp->local_addr = reinterpret_cast<uintptr_t>(&marker);
  // `t.data` carries main's value in; we answer with value * 2 + 1. A null pointer means stop.
  for (;;) {
    uint64_t* in = static_cast<uint64_t*>(t.data);
    if (in == nullptr) break;
    pp->received++;
    uint64_t reply = *in * 2 + 1;
    t = Jump(t.fctx, &reply, nullptr, 0);
  }
  pp->done = true;
  Jump(t.fctx, nullptr, nullptr, 0, /*final_jump=*/true);
  std::abort();  // never resumed
}

}  // namespace

TEST(ping_pong_values_both_ways) {
  StackAllocator alloc;
  PingPong pp;
  std::string why;
  REQUIRE(alloc.Allocate(64 * 1024, &pp.stack, &why));
  g_pp = &pp;
  ctx::fcontext_t c = Make(pp.stack, PingPongEntry);
  REQUIRE(c != nullptr);

  const uint64_t kRounds = 1000000;  // 1e6 round trips = 2e6 switches
  uint64_t bad = 0;
  for (uint64_t i = 0; i < kRounds; i++) {
    uint64_t value = i;
    ctx::transfer_t t = Jump(c, &value, Bottom(pp.stack), pp.stack.usable_size());
    c = t.fctx;
    if (t.data == nullptr || *static_cast<uint64_t*>(t.data) != i * 2 + 1) bad++;
  }
  CHECK_EQ(bad, uint64_t{0});
  CHECK_EQ(pp.received, kRounds);
  CHECK(pp.local_addr >= pp.stack.base && pp.local_addr < pp.stack.top);
  CHECK(!pp.done);

  ctx::transfer_t t = Jump(c, nullptr, Bottom(pp.stack), pp.stack.usable_size());
  CHECK(t.data == nullptr);
  CHECK(pp.done);
  alloc.Release(&pp.stack);
}

// --- several coroutines interleaved, each with its own state on its own stack -------------------------------------

namespace {

struct Worker {
  Stack stack;
  ctx::fcontext_t ctx = nullptr;
  int id = 0;
  uint64_t sum = 0;  // reported back
};

void WorkerEntry(ctx::transfer_t t) {
  OnEntry();
  Worker* w = static_cast<Worker*>(t.data);
  // The running sum lives in a stack local, so interleaving proves each stack keeps its own frame.
  uint64_t local_sum = 0;
  for (int step = 1; step <= 1000; step++) {
    local_sum += static_cast<uint64_t>(w->id) * step;
    w->sum = local_sum;
    t = Jump(t.fctx, w, nullptr, 0);
  }
  Jump(t.fctx, nullptr, nullptr, 0, true);
  std::abort();
}

}  // namespace

TEST(interleaved_coroutines_keep_their_frames) {
  StackAllocator alloc;
  std::string why;
  Worker workers[4];
  for (int i = 0; i < 4; i++) {
    workers[i].id = i + 1;
    REQUIRE(alloc.Allocate(32 * 1024, &workers[i].stack, &why));
    workers[i].ctx = Make(workers[i].stack, WorkerEntry);
  }
  int finished = 0;
  while (finished < 4) {
    for (Worker& w : workers) {
      if (w.ctx == nullptr) continue;
      ctx::transfer_t t = Jump(w.ctx, &w, Bottom(w.stack), w.stack.usable_size());
      w.ctx = t.fctx;
      if (t.data == nullptr) {
        w.ctx = nullptr;
        finished++;
      }
    }
  }
  for (Worker& w : workers) {
    CHECK_EQ(w.sum, static_cast<uint64_t>(w.id) * 1000 * 1001 / 2);
    alloc.Release(&w.stack);
  }
}

// --- a coroutine can use most of its stack ---------------------------------------------------------------------------

namespace {

// Recursion with a real frame, not optimised into a loop.
__attribute__((noinline)) uint64_t Recurse(int depth, volatile char* prev) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  frame[511] = prev ? prev[0] : 0;
  if (depth == 0) return frame[0] + frame[511];
  return Recurse(depth - 1, frame) + frame[0];
}

void DeepEntry(ctx::transfer_t t) {
  OnEntry();
  int depth = *static_cast<int*>(t.data);
  uint64_t result = Recurse(depth, nullptr);
  Jump(t.fctx, &result, nullptr, 0, true);
  std::abort();
}

}  // namespace

TEST(deep_recursion_on_coroutine_stack) {
  StackAllocator alloc;
  std::string why;
  Stack s;
  REQUIRE(alloc.Allocate(256 * 1024, &s, &why));
  // ~600 bytes per frame (more under ASan, whose fake frames are elsewhere) x 200 = well under 256 KiB.
  int depth = 200;
  ctx::fcontext_t c = Make(s, DeepEntry);
  ctx::transfer_t t = Jump(c, &depth, Bottom(s), s.usable_size());
  REQUIRE(t.data != nullptr);
  // The innermost frame adds its caller's byte (depth 1), every other frame its own depth.
  uint64_t expected = 1;
  for (int d = 1; d <= depth; d++) expected += static_cast<uint64_t>(static_cast<char>(d));
  CHECK_EQ(*static_cast<uint64_t*>(t.data), expected);
  alloc.Release(&s);
}

// --- pooled stacks are reused for new contexts ---------------------------------------------------------------------

namespace {
void EchoEntry(ctx::transfer_t t) {
  OnEntry();
  Jump(t.fctx, t.data, nullptr, 0, true);
  std::abort();
}
}  // namespace

TEST(new_contexts_on_recycled_stacks) {
  StackAllocator alloc;
  std::string why;
  for (int i = 0; i < 10000; i++) {
    Stack s;
    REQUIRE(alloc.Allocate(16 * 1024, &s, &why));
    ctx::fcontext_t c = Make(s, EchoEntry);
    int value = i;
    ctx::transfer_t t = Jump(c, &value, Bottom(s), s.usable_size());
    if (t.data != &value) {
      CHECK(t.data == &value);
      break;
    }
    alloc.Release(&s);
  }
  CHECK_EQ(alloc.stats().mmaps, size_t{1});
  CHECK_EQ(alloc.stats().pool_hits, size_t{9999});
}

int main() { return RUN_ALL_TESTS(); }
