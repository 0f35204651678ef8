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

// Stacks mapped by all threads of the process; the budget is per process because vm.max_map_count is.
std::atomic<size_t> g_mapped_stacks{0};

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

size_t StackBudget() {
  // Each stack costs two VMAs (guard + stack). Keep an eighth of the map count, and at least 8192 mappings, for
  // everything else the process maps (V8's heap pages, malloc arenas, shared libraries, thread stacks).
  // VERDANT_MAX_STACKS lowers it further (tests, or a deliberate cap per process).
  static const size_t budget = [] {
    size_t max_maps = ReadMaxMapCount();
    size_t reserve = max_maps / 8 > 8192 ? max_maps / 8 : 8192;
    size_t derived = max_maps > reserve ? (max_maps - reserve) / 2 : 0;
    if (const char* cap = std::getenv("VERDANT_MAX_STACKS")) {
      char* end = nullptr;
      unsigned long long value = std::strtoull(cap, &end, 10);
      if (end != cap && *end == '\0' && value < derived) derived = static_cast<size_t>(value);
    }
    return derived;
  }();
  return budget;
}

std::string StackBudgetExhausted(const char* what) {
  return "greenlet stack budget exhausted: " + std::to_string(StackBudget()) + " " + what +
         " (two mappings each, within vm.max_map_count); let some greenlets finish or raise vm.max_map_count";
}

StackAllocator::StackAllocator(Budget budget) : counted_(budget == Budget::kCounted) {
  stats_.max_stacks = StackBudget();
  posix::CurrentThreadStack(&thread_stack_low_, &thread_stack_top_);
}

void* StackAllocator::MapBelowThreadStack(size_t total) {
  if (hint_ != 0) {
    if (void* hinted = MapByHint(total)) return hinted;
  }
  const int prot = PROT_READ | PROT_WRITE;
  const int flags = MAP_PRIVATE | MAP_ANONYMOUS | posix::kStackMapFlags;
  // The kernel hands out the highest free hole that fits. When that hole lies above this thread's stack (a
  // worker's stack is an ordinary mapping, with holes above it once other mappings go away), keep the mapping as
  // an inaccessible filler so the kernel cannot offer that space again, and ask again: the holes above are finite,
  // so the next answers move down until one lies below the stack. Fillers cost address space and one mapping
  // each (adjacent ones merge), no memory; they go with the allocator.
  void* previous = nullptr;
  for (int attempt = 0; attempt < kMaxFillers; attempt++) {
    void* mapping = mmap(nullptr, total, prot, flags, -1, 0);
    if (mapping == MAP_FAILED) return nullptr;
    if (reinterpret_cast<uintptr_t>(mapping) + total <= thread_stack_top_) return mapping;
    if (previous != nullptr && mapping > previous && StartHinting(total)) {
      // The answers climb: this address space is laid out bottom-up with the stack at its foot (qemu-user lays out
      // its guest that way), and no answer will ever lie below the stack. Hints do.
      if (void* hinted = MapByHint(total)) {
        munmap(mapping, total);
        return hinted;
      }
    }
    mprotect(mapping, total, PROT_NONE);
    fillers_.push_back({mapping, total});
    previous = mapping;
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
  // Each stack goes right below the last one. When the kernel does not honour a hint (another thread took the
  // range), look for the highest free gap again, which also finds the holes that unmapped stacks left behind.
  for (int attempt = 0; attempt < 2; attempt++) {
    if (hint_ >= total + kLowestHint) {
      uintptr_t want = hint_ - total;
      void* mapping = mmap(reinterpret_cast<void*>(want), total, prot, flags, -1, 0);
      if (mapping == MAP_FAILED) break;
      if (reinterpret_cast<uintptr_t>(mapping) == want && want + total <= thread_stack_top_) {
        hint_ = want;
        return mapping;
      }
      munmap(mapping, total);
    }
    if (!StartHinting(total)) break;
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

  if (counted_ && g_mapped_stacks.fetch_add(1) >= StackBudget()) {
    g_mapped_stacks.fetch_sub(1);
    // Pooled stacks of other sizes are the only slack we have; give them back before failing.
    if (!pool_.empty()) {
      Trim();
      return Allocate(usable_size, out, why);
    }
    *why = StackBudgetExhausted("stacks are mapped");
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

void StackAllocator::Unmap(Stack* stack) {
  munmap(stack->mapping, stack->mapping_size);
  if (counted_) g_mapped_stacks.fetch_sub(1);
  *stack = Stack();
}

}  // namespace verdant::detail
