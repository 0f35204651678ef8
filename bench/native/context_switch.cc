// Native benchmark of the machinery under the fcontext backend, without Node or V8:
//  - raw boost.context jump_fcontext: round trip (main -> coroutine -> main) and one-way cost;
//  - a greenlet stack's create+release through verdant's StackAllocator pool vs a fresh mmap/munmap every time
//    (pool limit 0), with and without touching the top page as a starting greenlet would.
// Prints figures in ns, median of several runs. No assertions on timing: the CI machine is noisy.
//
//   build-native/context_switch [runs]
#include "platform/fcontext.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "greenlet/stack.h"

namespace ctx = verdant::fcontext;
using verdant::detail::Stack;
using verdant::detail::StackAllocator;

namespace {

using Clock = std::chrono::steady_clock;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Keeps the compiler from discarding a value.
volatile uint64_t g_sink = 0;

// The coroutine: bounce straight back forever, counting.
void Bouncer(ctx::transfer_t t) {
  uint64_t n = 0;
  for (;;) {
    n++;
    t = jump_fcontext(t.fctx, reinterpret_cast<void*>(n));
  }
}

// ns per round trip over `iters` round trips.
double RoundTrip(const Stack& s, uint64_t iters) {
  ctx::fcontext_t c = make_fcontext(reinterpret_cast<void*>(s.top), s.usable_size(), Bouncer);
  // Warm up (first entry, page faults on the coroutine stack).
  for (int i = 0; i < 1000; i++) c = jump_fcontext(c, nullptr).fctx;
  auto t0 = Clock::now();
  uint64_t last = 0;
  for (uint64_t i = 0; i < iters; i++) {
    ctx::transfer_t t = jump_fcontext(c, nullptr);
    c = t.fctx;
    last = reinterpret_cast<uintptr_t>(t.data);
  }
  auto t1 = Clock::now();
  g_sink = last;
  // The coroutine is abandoned mid-loop; its stack is reused by the next run, which is fine for raw fcontext.
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(iters);
}

// ns per create+release of a `size` stack.
double CreateRelease(StackAllocator* alloc, size_t size, uint64_t iters, bool touch) {
  std::string why;
  auto t0 = Clock::now();
  for (uint64_t i = 0; i < iters; i++) {
    Stack s;
    if (!alloc->Allocate(size, &s, &why)) {
      std::fprintf(stderr, "allocation failed: %s\n", why.c_str());
      std::exit(1);
    }
    // A starting greenlet writes its first frame at the top of its stack: on a fresh mapping that is a page
    // fault (and zeroing), on a pooled stack the page is already there.
    if (touch) *reinterpret_cast<volatile char*>(s.top - 64) = static_cast<char>(i);
    alloc->Release(&s);
  }
  auto t1 = Clock::now();
  return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(iters);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = argc > 1 ? std::atoi(argv[1]) : 7;
  if (runs < 1) runs = 1;
  const uint64_t kSwitchIters = 2000000;
  const uint64_t kStackIters = 20000;
  const size_t kStackSize = 256 * 1024;  // the runtime's default greenlet stack

  std::printf("verdant native benchmark: median of %d runs\n", runs);

  // --- raw context switch ---
  StackAllocator alloc;
  Stack s;
  std::string why;
  if (!alloc.Allocate(64 * 1024, &s, &why)) {
    std::fprintf(stderr, "allocation failed: %s\n", why.c_str());
    return 1;
  }
  std::vector<double> rt;
  for (int r = 0; r < runs; r++) rt.push_back(RoundTrip(s, kSwitchIters));
  alloc.Release(&s);
  double rt_med = Median(rt);
  std::printf("jump_fcontext round trip:   %8.2f ns  (min %.2f, max %.2f; %llu round trips per run)\n", rt_med,
              *std::min_element(rt.begin(), rt.end()), *std::max_element(rt.begin(), rt.end()),
              static_cast<unsigned long long>(kSwitchIters));
  std::printf("jump_fcontext one-way:      %8.2f ns\n", rt_med / 2);

  // --- stack create+release ---
  for (bool touch : {false, true}) {
    StackAllocator pooled;   // default pool limit
    StackAllocator fresh;
    fresh.set_pool_limit(0);  // every create maps, every release unmaps
    std::vector<double> p, f;
    for (int r = 0; r < runs; r++) {
      p.push_back(CreateRelease(&pooled, kStackSize, kStackIters, touch));
      f.push_back(CreateRelease(&fresh, kStackSize, kStackIters, touch));
    }
    double pm = Median(p), fm = Median(f);
    const char* what = touch ? "create+touch+release" : "create+release      ";
    std::printf("stack %s (256 KiB): pool %8.1f ns   fresh mmap/munmap %8.1f ns   ratio pool/fresh %.3f\n",
                what, pm, fm, pm / fm);
    std::printf("  pool stats: mmaps=%zu pool_hits=%zu; fresh stats: mmaps=%zu pool_hits=%zu\n",
                pooled.stats().mmaps, pooled.stats().pool_hits, fresh.stats().mmaps, fresh.stats().pool_hits);
  }
  return 0;
}
