#include "greenlet/stack.h"

#include "greenlet/asan.h"
#include "platform/posix.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace verdant::detail {

namespace {

// Stacks held (live or pooled) by all threads of the process; the budget is per process because vm.max_map_count
// is.
std::atomic<size_t> g_mapped_stacks{0};

// madvise advice that turns pages into guards without a mapping of their own (Linux 6.13); older headers lack it.
#if defined(MADV_GUARD_INSTALL)
constexpr int kMadvGuardInstall = MADV_GUARD_INSTALL;
#else
constexpr int kMadvGuardInstall = 102;
#endif

size_t ReadMaxMapCount() {
  FILE* f = std::fopen("/proc/sys/vm/max_map_count", "r");
  if (f == nullptr) return 65530;  // The Linux default; other kernels have no such limit we can read.
  unsigned long value = 0;
  if (std::fscanf(f, "%lu", &value) != 1) value = 65530;
  std::fclose(f);
  return value;
}

}  // namespace

size_t StackAllocator::PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

size_t StackBudget(StackCost cost) {
  // Keep an eighth of the map count, and at least 8192 mappings, for everything else the process maps (V8's heap
  // pages, malloc arenas, shared libraries, thread stacks). Carved stacks are budgeted at half a slab per mapping,
  // which leaves room for a part-used slab of every size in use.
  static const size_t usable_maps = [] {
    size_t max_maps = ReadMaxMapCount();
    size_t reserve = max_maps / 8 > 8192 ? max_maps / 8 : 8192;
    return max_maps > reserve ? max_maps - reserve : 0;
  }();
  static const size_t cap = [] {
    const char* text = std::getenv("VERDANT_MAX_STACKS");
    if (text == nullptr) return SIZE_MAX;
    char* end = nullptr;
    unsigned long long value = std::strtoull(text, &end, 10);
    return end != text && *end == '\0' ? static_cast<size_t>(value) : SIZE_MAX;
  }();
  size_t derived = cost == StackCost::kCarved ? usable_maps * (StackAllocator::kStacksPerSlab / 2) : usable_maps / 2;
  return derived < cap ? derived : cap;
}

std::string StackBudgetExhausted(StackCost cost, const char* what) {
  return "greenlet stack budget exhausted: " + std::to_string(StackBudget(cost)) + " " + what +
         (cost == StackCost::kCarved ? " (carved from slabs, each one mapping within vm.max_map_count)"
                                     : " (two mappings each, within vm.max_map_count)") +
         "; let some greenlets finish or raise vm.max_map_count";
}

bool CarvedStacksWork() {
  static const bool works = [] {
#if defined(__linux__)
    const size_t page = StackAllocator::PageSize();
    void* probe = mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (probe == MAP_FAILED) return false;
    bool ok = false;
    int fds[2];
    if (madvise(probe, page, kMadvGuardInstall) == 0 && pipe(fds) == 0) {
      // The kernel copies write()'s buffer itself: from a guard it must fail with EFAULT (no signal), and from the
      // page beside it succeed. An emulator that accepted the advice without acting on it fails the first.
      auto* bytes = static_cast<char*>(probe);
      errno = 0;
      bool refused = write(fds[1], bytes, 1) == -1 && errno == EFAULT;
      bool allowed = write(fds[1], bytes + page, 1) == 1;
      ok = refused && allowed;
      close(fds[0]);
      close(fds[1]);
    }
    munmap(probe, 2 * page);
    return ok;
#else
    return false;
#endif
  }();
  return works;
}

StackAllocator::StackAllocator(Budget budget, Layout layout) : counted_(budget == Budget::kCounted) {
  if (layout != Layout::kMapped && CarvedStacksWork()) {
    const char* forced = std::getenv("VERDANT_STACK_LAYOUT");
    stats_.carved = layout == Layout::kCarved || forced == nullptr || std::strcmp(forced, "mapped") != 0;
  }
  stats_.max_stacks = StackBudget(cost());
  posix::CurrentThreadStack(&thread_stack_low_, &thread_stack_top_);
}

void* StackAllocator::MapBelowThreadStack(size_t total) {
  if (hint_ != 0) {
    if (void* hinted = MapByHint(total)) return hinted;
  }
  const int prot = PROT_READ | PROT_WRITE;
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | posix::kStackMapFlags;
  // An answer above this thread's stack is of no use. It happens to a worker, whose stack is an ordinary mapping
  // with free holes above it once other mappings go away, and under qemu-user, which lays out its guest bottom-up
  // with the main stack at the foot and places some mappings where the host's kernel would. Ask instead by hint,
  // for the highest free gap below the stack (MapByHint). Where that fails too, keep the answer as an
  // inaccessible filler so that it is not offered again, and ask again: in a top-down layout the holes above are
  // finite, so the answers move down until one lies below the stack. Fillers cost address space and one mapping
  // each (adjacent ones merge), no memory; they go with the allocator.
  for (int attempt = 0; attempt < kMaxFillers; attempt++) {
    void* mapping = mmap(nullptr, total, prot, flags, -1, 0);
    if (mapping == MAP_FAILED) return nullptr;
    if (reinterpret_cast<uintptr_t>(mapping) + total <= thread_stack_top_) return mapping;
    if (attempt % kFillersPerHint == 0 && StartHinting(total)) {
      if (void* hinted = MapByHint(total)) {
        munmap(mapping, total);
        return hinted;
      }
    }
    mprotect(mapping, total, PROT_NONE);
    fillers_.push_back({mapping, total});
  }
  errno = ENOMEM;
  return nullptr;
}

bool StackAllocator::StartHinting(size_t total) {
  if (thread_stack_low_ < kLowestHint + kStackGrowthGap) return false;  // the stack's bounds are unknown
  hint_ = HighestFreeBelow(thread_stack_low_ - kStackGrowthGap, total);
  return hint_ != 0;
}

void* StackAllocator::MapByHint(size_t total) {
  const int prot = PROT_READ | PROT_WRITE;
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | posix::kStackMapFlags;
  // Each stack goes right below the last one. A hint the kernel does not honour means the range is taken: by
  // another thread since /proc/self/maps was read, or, under qemu-user, by the emulator's own mappings, which the
  // guest's maps do not show. The search then goes on below it, a stride further each time (doubling), so that an
  // obstacle of any size is passed in a few tries.
  uintptr_t limit = hint_;
  size_t stride = total;
  for (int attempt = 0; attempt < kHintAttempts && limit >= total + kLowestHint; attempt++) {
    uintptr_t want = limit - total;
    void* mapping = mmap(reinterpret_cast<void*>(want), total, prot, flags, -1, 0);
    if (mapping == MAP_FAILED) break;
    uintptr_t at = reinterpret_cast<uintptr_t>(mapping);
    if (at + total <= thread_stack_top_) {  // below the stack is all that matters, honoured or not
      if (at < hint_) hint_ = at;
      return mapping;
    }
    munmap(mapping, total);
    limit = want > stride + kLowestHint ? HighestFreeBelow(want - stride, total) : 0;
    stride *= 2;
  }
  hint_ = 0;  // back to asking the kernel, which finds out again whether hints are needed
  return nullptr;
}

uintptr_t StackAllocator::HighestFreeBelow(uintptr_t limit, size_t size) {
  FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return 0;
  // /proc/self/maps lists mappings in ascending order: a gap is the space between one's end and the next's start.
  uintptr_t best = 0, previous_end = kLowestHint;
  char line[512];
  while (std::fgets(line, sizeof(line), maps) != nullptr) {
    unsigned long start = 0, end = 0;
    if (std::sscanf(line, "%lx-%lx", &start, &end) != 2) continue;
    uintptr_t gap_top = start < limit ? start : limit;
    if (gap_top > previous_end && gap_top - previous_end >= size) best = gap_top;
    if (end > previous_end) previous_end = end;
    if (start >= limit) break;
  }
  if (previous_end < limit && limit - previous_end >= size) best = limit;  // no mapping at or above the limit
  std::fclose(maps);
  return best & ~(PageSize() - 1);
}

StackAllocator::~StackAllocator() {
  Trim();
  // A slab under a suspended greenlet stays, as a mapped stack does: V8 may walk its archived frames until the
  // isolate is gone (docs/internals.md, "Exit with greenlets still suspended").
  if (stats_.live == 0) {
    for (const Slab& slab : slabs_) munmap(slab.address, slab.size);
  }
  for (const Filler& filler : fillers_) munmap(filler.address, filler.size);
}

bool StackAllocator::Allocate(size_t usable_size, Stack* out, std::string* why) {
  const size_t page = PageSize();
  usable_size = (usable_size + page - 1) & ~(page - 1);

  for (size_t i = pool_.size(); i-- > 0;) {
    if (pool_[i].usable_size() == usable_size) {
      *out = pool_[i];
      pool_[i] = pool_.back();
      pool_.pop_back();
      stats_.pooled--;
      stats_.live++;
      stats_.pool_hits++;
      return true;
    }
  }

  if (counted_ && g_mapped_stacks.fetch_add(1) >= stats_.max_stacks) {
    g_mapped_stacks.fetch_sub(1);
    // Pooled stacks of other sizes are the only slack we have; give them back before failing.
    if (!pool_.empty()) {
      Trim();
      return Allocate(usable_size, out, why);
    }
    *why = StackBudgetExhausted(cost(), "stacks are in use");
    return false;
  }
  if (stats_.carved) {
    if (Carve(usable_size, out, why)) return true;
    if (counted_) g_mapped_stacks.fetch_sub(1);
    return false;
  }

  const size_t total = usable_size + page;
  void* mapping = MapBelowThreadStack(total);
  if (mapping == nullptr) {
    int err = errno;
    if (counted_) g_mapped_stacks.fetch_sub(1);
    *why = std::string("cannot map a greenlet stack below this thread's stack: mmap: ") + std::strerror(err);
    return false;
  }
  if (mprotect(mapping, page, PROT_NONE) != 0) {
    int err = errno;
    munmap(mapping, total);
    if (counted_) g_mapped_stacks.fetch_sub(1);
    *why = std::string("cannot map a greenlet stack guard page: mprotect: ") + std::strerror(err);
    return false;
  }
  out->mapping = mapping;
  out->mapping_size = total;
  out->base = reinterpret_cast<uintptr_t>(mapping) + page;
  out->top = out->base + usable_size;
  stats_.live++;
  stats_.mmaps++;
  return true;
}

void StackAllocator::Release(Stack* stack) {
  if (!stack->allocated()) return;
  AsanForgetStack(reinterpret_cast<const void*>(stack->base), stack->usable_size());
  stats_.live--;
  if (pool_.size() < pool_limit_) {
    pool_.push_back(*stack);
    stats_.pooled++;
  } else {
    Unmap(stack);
  }
  *stack = Stack();
}

void StackAllocator::Trim() {
  for (Stack& s : pool_) Unmap(&s);
  pool_.clear();
  stats_.pooled = 0;
}

void StackAllocator::Shrink() {
  while (pool_.size() > pool_limit_) {
    Unmap(&pool_.back());
    pool_.pop_back();
    stats_.pooled--;
  }
}

bool StackAllocator::Carve(size_t usable_size, Stack* out, std::string* why) {
  std::vector<Stack>& free = free_slots_[usable_size];
  if (!free.empty()) {
    *out = free.back();
    free.pop_back();
    stats_.live++;
    return true;
  }
  const size_t page = PageSize();
  const size_t slot = usable_size + page;
  const size_t size = slot * kStacksPerSlab;
  void* mapping = MapBelowThreadStack(size);
  if (mapping == nullptr) {
    *why = std::string("cannot map a greenlet stack slab below this thread's stack: mmap: ") + std::strerror(errno);
    return false;
  }
  auto* bytes = static_cast<uint8_t*>(mapping);
  for (size_t i = 0; i < kStacksPerSlab; i++) {
    if (madvise(bytes + i * slot, page, kMadvGuardInstall) != 0) {
      int err = errno;
      munmap(mapping, size);
      *why = std::string("cannot mark a greenlet stack guard page: madvise: ") + std::strerror(err);
      return false;
    }
  }
  slabs_.push_back({mapping, size});
  stats_.mmaps++;
  // Handed out from the top of the slab down, as the kernel would place separate mappings.
  for (size_t i = 0; i < kStacksPerSlab; i++) {
    Stack s;
    s.mapping = bytes + i * slot;
    s.mapping_size = slot;
    s.base = reinterpret_cast<uintptr_t>(s.mapping) + page;
    s.top = s.base + usable_size;
    s.carved = true;
    free.push_back(s);
  }
  return Carve(usable_size, out, why);
}

void StackAllocator::Unmap(Stack* stack) {
  if (stack->carved) {
    // The slot stays in its slab, guard and all; only its memory goes back.
    madvise(reinterpret_cast<void*>(stack->base), stack->usable_size(), MADV_DONTNEED);
    free_slots_[stack->usable_size()].push_back(*stack);
  } else {
    munmap(stack->mapping, stack->mapping_size);
  }
  if (counted_) g_mapped_stacks.fetch_sub(1);
  *stack = Stack();
}

}  // namespace verdant::detail
