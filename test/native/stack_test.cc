// Unit tests for verdant::detail::StackAllocator (native/greenlet/stack.cc), without Node or V8.
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "check.h"
#include "greenlet/stack.h"

using verdant::detail::Stack;
using verdant::detail::StackAllocator;
using verdant::detail::CarvedStacksWork;
using verdant::detail::StackBudget;
using verdant::detail::StackCost;

namespace {

const size_t kPage = StackAllocator::PageSize();
constexpr auto kCounted = StackAllocator::Budget::kCounted;
constexpr auto kMapped = StackAllocator::Layout::kMapped;
constexpr auto kCarved = StackAllocator::Layout::kCarved;

// Runs `fn` in a forked child with the default SIGSEGV action (sanitizers install their own handler, which would
// turn the signal into an exit code) and no core dump. Returns the raw wait status.
template <typename Fn>
int RunInChild(Fn fn) {
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = fork();
  if (pid == 0) {
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(SIGSEGV, SIG_DFL);
    signal(SIGBUS, SIG_DFL);
    fn();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

bool DiedOfSegv(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV; }
bool ExitedCleanly(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

// The permissions /proc/self/maps shows for the mapping that contains `addr` ("rw-p", "---p"), or "" if none.
std::string MapsPermissions(uintptr_t addr) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    unsigned long lo = 0, hi = 0;
    char perms[8] = {0};
    if (std::sscanf(line.c_str(), "%lx-%lx %7s", &lo, &hi, perms) == 3 && addr >= lo && addr < hi) return perms;
  }
  return "";
}

// Whether the kernel refuses to copy from `addr` (a guard page): write()'s copy fails with EFAULT, no signal.
bool KernelRefusesRead(uintptr_t addr) {
  int fds[2];
  if (pipe(fds) != 0) return false;
  errno = 0;
  bool refused = write(fds[1], reinterpret_cast<const void*>(addr), 1) == -1 && errno == EFAULT;
  close(fds[0]);
  close(fds[1]);
  return refused;
}

size_t MapsCount() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  size_t n = 0;
  while (std::getline(maps, line)) n++;
  return n;
}

// Resident pages in [addr, addr + len), from mincore.
size_t ResidentPages(uintptr_t addr, size_t len) {
  std::vector<unsigned char> vec(len / kPage);
  if (mincore(reinterpret_cast<void*>(addr), len, vec.data()) != 0) return SIZE_MAX;
  size_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

}  // namespace

TEST(allocate_gives_writable_stack) {
  StackAllocator alloc(kCounted, kMapped);
  Stack s;
  std::string why;
  REQUIRE(alloc.Allocate(64 * 1024, &s, &why));
  CHECK(why.empty());
  CHECK(s.allocated());
  CHECK_EQ(s.usable_size(), size_t{64 * 1024});
  CHECK_EQ(s.base % kPage, size_t{0});
  CHECK_EQ(s.top, s.base + 64 * 1024);
  // The mapping is the guard page plus the usable range, with the guard at the bottom.
  CHECK_EQ(reinterpret_cast<uintptr_t>(s.mapping) + kPage, s.base);
  CHECK_EQ(s.mapping_size, size_t{64 * 1024} + kPage);
  // Every usable page can be written and read back (lazily committed by the kernel).
  for (uintptr_t p = s.base; p < s.top; p += kPage) *reinterpret_cast<volatile char*>(p) = 42;
  *reinterpret_cast<volatile char*>(s.top - 1) = 7;
  CHECK_EQ(*reinterpret_cast<volatile char*>(s.base), 42);
  CHECK_EQ(*reinterpret_cast<volatile char*>(s.top - 1), 7);
  CHECK_EQ(alloc.stats().live, size_t{1});
  CHECK_EQ(alloc.stats().mmaps, size_t{1});
  alloc.Release(&s);
  CHECK(!s.allocated());  // Release clears the caller's record so it cannot be released twice.
  CHECK_EQ(alloc.stats().live, size_t{0});
}

TEST(usable_size_rounds_up_to_pages) {
  StackAllocator alloc(kCounted, kMapped);
  alloc.set_pool_limit(0);
  struct Case { size_t requested, expected; };
  const Case cases[] = {{1, kPage}, {kPage - 1, kPage}, {kPage, kPage}, {kPage + 1, 2 * kPage},
                        {3 * kPage + 17, 4 * kPage}, {256 * 1024, 256 * 1024}};
  for (const Case& c : cases) {
    Stack s;
    std::string why;
    REQUIRE(alloc.Allocate(c.requested, &s, &why));
    CHECK_EQ(s.usable_size(), c.expected);
    CHECK_EQ(s.top % kPage, size_t{0});
    alloc.Release(&s);
  }
}

TEST(guard_page_is_prot_none) {
  StackAllocator alloc(kCounted, kMapped);
  Stack s;
  std::string why;
  REQUIRE(alloc.Allocate(16 * kPage, &s, &why));
  CHECK_EQ(MapsPermissions(s.base - 1), std::string("---p"));
  CHECK_EQ(MapsPermissions(s.base), std::string("rw-p"));

  // Control: the lowest and highest usable bytes are fine in a child...
  int ok = RunInChild([&] {
    *reinterpret_cast<volatile char*>(s.base) = 1;
    *reinterpret_cast<volatile char*>(s.top - 1) = 1;
  });
  CHECK(ExitedCleanly(ok));
  // ...while one byte below the stack (the guard page) faults, for writes and for reads.
  int wr = RunInChild([&] { *reinterpret_cast<volatile char*>(s.base - 1) = 1; });
  CHECK(DiedOfSegv(wr));
  int rd = RunInChild([&] { (void)*reinterpret_cast<volatile char*>(s.base - kPage); });
  CHECK(DiedOfSegv(rd));

  // A stack that went through the pool keeps its guard.
  uintptr_t base = s.base;
  alloc.Release(&s);
  REQUIRE(alloc.Allocate(16 * kPage, &s, &why));
  CHECK_EQ(s.base, base);
  int again = RunInChild([&] { *reinterpret_cast<volatile char*>(s.base - 1) = 1; });
  CHECK(DiedOfSegv(again));
  alloc.Release(&s);
}

TEST(pool_reuses_same_size) {
  StackAllocator alloc(kCounted, kMapped);
  std::string why;
  Stack a, b;
  REQUIRE(alloc.Allocate(32 * 1024, &a, &why));
  void* mapping = a.mapping;
  alloc.Release(&a);
  CHECK_EQ(alloc.stats().pooled, size_t{1});
  CHECK_EQ(alloc.stats().live, size_t{0});
  CHECK_EQ(alloc.stats().mapped_total(), size_t{1});

  // Same size (after rounding): served from the pool, no new mapping.
  REQUIRE(alloc.Allocate(32 * 1024 - 100, &b, &why));
  CHECK_EQ(b.mapping, mapping);
  CHECK_EQ(alloc.stats().pool_hits, size_t{1});
  CHECK_EQ(alloc.stats().mmaps, size_t{1});
  CHECK_EQ(alloc.stats().pooled, size_t{0});
  CHECK_EQ(alloc.stats().live, size_t{1});

  // A different size is never served from a pooled stack of another size.
  alloc.Release(&b);
  Stack c;
  REQUIRE(alloc.Allocate(64 * 1024, &c, &why));
  CHECK(c.mapping != mapping);
  CHECK_EQ(alloc.stats().pool_hits, size_t{1});
  CHECK_EQ(alloc.stats().mmaps, size_t{2});
  CHECK_EQ(alloc.stats().pooled, size_t{1});
  CHECK_EQ(alloc.stats().mapped_total(), size_t{2});
  alloc.Release(&c);
  CHECK_EQ(alloc.stats().pooled, size_t{2});

  // Many create/release cycles of one size map once.
  for (int i = 0; i < 1000; i++) {
    Stack s;
    REQUIRE(alloc.Allocate(32 * 1024, &s, &why));
    alloc.Release(&s);
  }
  CHECK_EQ(alloc.stats().mmaps, size_t{2});
  CHECK_EQ(alloc.stats().pool_hits, size_t{1001});
}

TEST(pool_limit_bounds_pool) {
  StackAllocator alloc(kCounted, kMapped);
  CHECK_EQ(alloc.pool_limit(), size_t{256});
  alloc.set_pool_limit(3);
  std::string why;
  std::vector<Stack> stacks(5);
  for (Stack& s : stacks) REQUIRE(alloc.Allocate(8 * kPage, &s, &why));
  CHECK_EQ(alloc.stats().live, size_t{5});
  for (Stack& s : stacks) alloc.Release(&s);
  CHECK_EQ(alloc.stats().pooled, size_t{3});  // two were unmapped
  CHECK_EQ(alloc.stats().live, size_t{0});
  CHECK_EQ(alloc.stats().mapped_total(), size_t{3});

  // Lowering the limit unmaps the excess at once.
  alloc.set_pool_limit(1);
  CHECK_EQ(alloc.stats().pooled, size_t{1});
  CHECK_EQ(alloc.stats().mapped_total(), size_t{1});

  // Limit 0: nothing is kept, every allocation maps.
  alloc.set_pool_limit(0);
  CHECK_EQ(alloc.stats().pooled, size_t{0});
  size_t mmaps = alloc.stats().mmaps;
  for (int i = 0; i < 10; i++) {
    Stack s;
    REQUIRE(alloc.Allocate(8 * kPage, &s, &why));
    alloc.Release(&s);
  }
  CHECK_EQ(alloc.stats().mmaps, mmaps + 10);
  CHECK_EQ(alloc.stats().pooled, size_t{0});
}

TEST(trim_unmaps_pooled_stacks) {
  StackAllocator alloc(kCounted, kMapped);
  std::string why;
  Stack keep, a, b;
  REQUIRE(alloc.Allocate(8 * kPage, &keep, &why));
  REQUIRE(alloc.Allocate(8 * kPage, &a, &why));
  REQUIRE(alloc.Allocate(16 * kPage, &b, &why));
  uintptr_t a_base = a.base;
  alloc.Release(&a);
  alloc.Release(&b);
  CHECK_EQ(alloc.stats().pooled, size_t{2});
  CHECK_EQ(alloc.stats().mapped_total(), size_t{3});
  alloc.Trim();
  CHECK_EQ(alloc.stats().pooled, size_t{0});
  CHECK_EQ(alloc.stats().live, size_t{1});
  CHECK_EQ(alloc.stats().mapped_total(), size_t{1});
  // The trimmed memory is really gone (no mapping covers it), while the live stack is untouched.
  CHECK_EQ(MapsPermissions(a_base), std::string(""));
  CHECK_EQ(MapsPermissions(keep.base), std::string("rw-p"));
  // The next allocation maps anew.
  size_t mmaps = alloc.stats().mmaps;
  Stack c;
  REQUIRE(alloc.Allocate(8 * kPage, &c, &why));
  CHECK_EQ(alloc.stats().mmaps, mmaps + 1);
  alloc.Release(&c);
  alloc.Release(&keep);
}

TEST(budget_exhaustion_is_an_error_not_a_crash) {
  const size_t budget = StackBudget(StackCost::kTwoMappings);
  StackAllocator alloc(kCounted, kMapped);
  CHECK_EQ(alloc.stats().max_stacks, budget);
  REQUIRE(budget > 0);
  if (budget > 1000000) {
    std::printf("  (skipped: budget %zu stacks is too many to exhaust in a unit test)\n", budget);
    return;
  }
  alloc.set_pool_limit(4);
  std::string why;
  // Fill the budget with one-page stacks, keeping one slot for a pooled stack of another size.
  std::vector<Stack> live(budget - 1);
  for (size_t i = 0; i < live.size(); i++) {
    if (!alloc.Allocate(kPage, &live[i], &why)) {
      std::fprintf(stderr, "  allocation %zu of %zu failed early: %s\n", i, budget, why.c_str());
      CHECK(false);
      for (size_t j = 0; j < i; j++) alloc.Release(&live[j]);
      return;
    }
  }
  Stack other;
  REQUIRE(alloc.Allocate(2 * kPage, &other, &why));
  alloc.Release(&other);  // pooled: the budget is now exactly used up
  CHECK_EQ(alloc.stats().mapped_total(), budget);

  // With a pooled stack of another size, the allocator trims the pool and succeeds.
  Stack extra;
  CHECK(alloc.Allocate(kPage, &extra, &why));
  CHECK_EQ(alloc.stats().pooled, size_t{0});
  CHECK_EQ(alloc.stats().live, budget);

  // Nothing left to trim: a clean failure with an explanation.
  Stack over;
  why.clear();
  CHECK(!alloc.Allocate(kPage, &over, &why));
  CHECK(!over.allocated());
  CHECK(why.find("greenlet stack budget exhausted") != std::string::npos);
  CHECK(why.find(std::to_string(budget)) != std::string::npos);
  CHECK(why.find("vm.max_map_count") != std::string::npos);
  std::printf("  budget %zu stacks; message: %s\n", budget, why.c_str());
  CHECK_EQ(alloc.stats().live, budget);

  // Releasing one makes room again.
  alloc.set_pool_limit(0);
  alloc.Release(&extra);
  Stack again;
  CHECK(alloc.Allocate(kPage, &again, &why));
  alloc.Release(&again);
  for (Stack& s : live) alloc.Release(&s);
  CHECK_EQ(alloc.stats().live, size_t{0});
  CHECK_EQ(alloc.stats().mapped_total(), size_t{0});
}

TEST(allocators_are_independent) {
  // One allocator per thread: pools are not shared, but both count against the process budget.
  StackAllocator a(kCounted, kMapped), b(kCounted, kMapped);
  std::string why;
  Stack s;
  REQUIRE(a.Allocate(8 * kPage, &s, &why));
  a.Release(&s);
  CHECK_EQ(a.stats().pooled, size_t{1});
  REQUIRE(b.Allocate(8 * kPage, &s, &why));
  CHECK_EQ(b.stats().pool_hits, size_t{0});
  CHECK_EQ(b.stats().mmaps, size_t{1});
  b.Release(&s);
}

// --- the carved layout ----------------------------------------------------------------------------------------

TEST(carved_layout_only_where_guards_refuse_access) {
  // The probe must agree with what a guard marker really does in a child: die on touch.
  void* probe = mmap(nullptr, 2 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  REQUIRE(probe != MAP_FAILED);
  auto at = reinterpret_cast<uintptr_t>(probe);
  bool installed = madvise(probe, kPage, 102 /* MADV_GUARD_INSTALL */) == 0;
  int touched = RunInChild([&] { *reinterpret_cast<volatile char*>(at) = 1; });
  munmap(probe, 2 * kPage);
  CHECK_EQ(CarvedStacksWork(), installed && DiedOfSegv(touched));
  std::printf("  this kernel %s guard pages without mappings\n", CarvedStacksWork() ? "marks" : "cannot mark");

  // Asked to carve where it cannot, an allocator falls back to a mapping per stack and still works.
  StackAllocator alloc(kCounted, kCarved);
  CHECK_EQ(alloc.carves(), CarvedStacksWork());
  CHECK_EQ(alloc.stats().carved, CarvedStacksWork());
  Stack s;
  std::string why;
  REQUIRE(alloc.Allocate(16 * kPage, &s, &why));
  CHECK_EQ(s.carved, CarvedStacksWork());
  CHECK(KernelRefusesRead(s.base - 1));
  CHECK(!KernelRefusesRead(s.base));
  alloc.Release(&s);
}

TEST(carved_stacks_share_a_mapping_and_keep_their_guards) {
  StackAllocator alloc(kCounted, kCarved);
  if (!alloc.carves()) return;  // the fallback is what carved_layout_only_where_guards_refuse_access checks
  const size_t kCount = StackAllocator::kStacksPerSlab + 36;
  const size_t maps_before = MapsCount();
  std::vector<Stack> stacks(kCount);
  std::string why;
  for (Stack& s : stacks) REQUIRE(alloc.Allocate(16 * kPage, &s, &why));
  // Two slabs, two mappings (or fewer, when one merges with a neighbour), not 2 x 100.
  CHECK_EQ(alloc.stats().mmaps, size_t{2});
  CHECK(MapsCount() <= maps_before + 2);
  CHECK_EQ(alloc.stats().live, kCount);
  for (const Stack& s : stacks) {
    CHECK(s.carved);
    CHECK_EQ(s.usable_size(), 16 * kPage);
    CHECK_EQ(reinterpret_cast<uintptr_t>(s.mapping) + kPage, s.base);
    // Every stack's guard refuses, its own lowest and highest bytes do not.
    CHECK(KernelRefusesRead(s.base - 1));
    CHECK(KernelRefusesRead(s.base - kPage));
    CHECK(!KernelRefusesRead(s.base));
    CHECK(!KernelRefusesRead(s.top - 1));
  }
  // No two overlap.
  std::vector<uintptr_t> bases;
  for (const Stack& s : stacks) bases.push_back(s.base);
  std::sort(bases.begin(), bases.end());
  for (size_t i = 1; i < bases.size(); i++) CHECK(bases[i] - bases[i - 1] >= 17 * kPage);
  // A write and a read below a stack die, as with a guard mapping.
  const Stack& middle = stacks[kCount / 2];
  CHECK(ExitedCleanly(RunInChild([&] { *reinterpret_cast<volatile char*>(middle.base) = 1; })));
  CHECK(DiedOfSegv(RunInChild([&] { *reinterpret_cast<volatile char*>(middle.base - 1) = 1; })));
  CHECK(DiedOfSegv(RunInChild([&] { (void)*reinterpret_cast<volatile char*>(middle.base - kPage); })));
  for (Stack& s : stacks) alloc.Release(&s);
}

TEST(carved_stacks_give_memory_back_and_keep_their_slot) {
  StackAllocator alloc(kCounted, kCarved);
  if (!alloc.carves()) return;
  alloc.set_pool_limit(0);
  std::string why;
  Stack s;
  REQUIRE(alloc.Allocate(32 * kPage, &s, &why));
  const uintptr_t base = s.base;
  for (uintptr_t p = s.base; p < s.top; p += kPage) *reinterpret_cast<volatile char*>(p) = 42;
  CHECK_EQ(ResidentPages(s.base, s.usable_size()), size_t{32});
  alloc.Release(&s);
  // Out of the pool: the pages went back to the kernel, the slot stayed.
  CHECK_EQ(ResidentPages(base, 32 * kPage), size_t{0});
  CHECK_EQ(alloc.stats().live, size_t{0});
  CHECK_EQ(alloc.stats().mapped_total(), size_t{0});
  const size_t mmaps = alloc.stats().mmaps;
  // Served again from the slab: no new mapping, zeroed memory, the guard still in place.
  Stack again;
  bool found = false;
  for (int i = 0; i < static_cast<int>(StackAllocator::kStacksPerSlab) && !found; i++) {
    REQUIRE(alloc.Allocate(32 * kPage, &again, &why));
    found = again.base == base;
    if (!found) alloc.Release(&again);
  }
  CHECK(found);
  CHECK_EQ(alloc.stats().mmaps, mmaps);
  CHECK_EQ(*reinterpret_cast<volatile char*>(again.base), 0);
  CHECK(KernelRefusesRead(again.base - 1));
  alloc.Release(&again);
}

TEST(carved_pool_and_trim) {
  StackAllocator alloc(kCounted, kCarved);
  if (!alloc.carves()) return;
  std::string why;
  Stack a, b;
  REQUIRE(alloc.Allocate(8 * kPage, &a, &why));
  uintptr_t a_base = a.base;
  *reinterpret_cast<volatile char*>(a.base) = 1;
  alloc.Release(&a);
  // Pooled: the same stack, its memory kept.
  REQUIRE(alloc.Allocate(8 * kPage, &b, &why));
  CHECK_EQ(b.base, a_base);
  CHECK_EQ(*reinterpret_cast<volatile char*>(b.base), 1);
  CHECK_EQ(alloc.stats().pool_hits, size_t{1});
  alloc.Release(&b);
  // Trimmed: the memory goes, the slab stays (no new mapping for the next stack).
  alloc.Trim();
  CHECK_EQ(alloc.stats().pooled, size_t{0});
  CHECK_EQ(ResidentPages(a_base, 8 * kPage), size_t{0});
  Stack c;
  REQUIRE(alloc.Allocate(8 * kPage, &c, &why));
  CHECK_EQ(alloc.stats().mmaps, size_t{1});
  alloc.Release(&c);
  // Another size gets a slab of its own.
  Stack d;
  REQUIRE(alloc.Allocate(12 * kPage, &d, &why));
  CHECK_EQ(alloc.stats().mmaps, size_t{2});
  CHECK(KernelRefusesRead(d.base - 1));
  alloc.Release(&d);
}

int main() { return RUN_ALL_TESTS(); }
