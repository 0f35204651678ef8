// Machine stacks for greenlets: reserved with mmap, committed lazily by the kernel as pages are touched, with a
// PROT_NONE guard page below, and recycled through a small per-thread pool so that create+finish does not pay
// mmap/munmap each time.
//
// Every mapping a stack makes counts against vm.max_map_count (two VMAs per stack: the guard and the stack). The
// allocator keeps a budget below that limit so that running out is a catchable error in JS, never a failed mmap
// deep inside V8 or the kernel's OOM killer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace verdant::detail {

struct Stack {
  // Lowest usable address (just above the guard page) and one past the highest; the stack grows down from top.
  uintptr_t base = 0;
  uintptr_t top = 0;
  // The whole mapping, guard included, for munmap.
  void* mapping = nullptr;
  size_t mapping_size = 0;

  size_t usable_size() const { return top - base; }
  bool allocated() const { return mapping != nullptr; }
};

struct StackAllocatorStats {
  size_t live = 0;          // stacks handed out and not yet released
  size_t pooled = 0;        // released stacks kept for reuse
  size_t pool_hits = 0;     // allocations served from the pool
  size_t mmaps = 0;         // allocations that had to map a new stack
  size_t max_stacks = 0;    // the budget derived from vm.max_map_count
  size_t mapped_total() const { return live + pooled; }
};

// One allocator per OS thread that runs greenlets (the fcontext backend keeps every greenlet on its isolate's
// thread). Not thread-safe by design.
//
// Every stack it hands out lies below the top of the creating thread's own stack. From V8 13 on, V8 treats the
// range between the JS stack limit and the OS thread's stack start as the "central stack" and aborts (24: a
// spurious RangeError) when code unwinds an exception outside it; a greenlet stack mapped above a worker thread's
// stack would be outside. The main thread's stack is the highest mapping, but a worker's is an ordinary mapping
// with free holes above it.
class StackAllocator {
 public:
  // An allocator outside the budget maps stacks that belong to the runtime itself (the fcontext backend's relay,
  // one per isolate): they come out of the budget's reserve, not out of what greenlets may use.
  enum class Budget { kCounted, kExempt };
  explicit StackAllocator(Budget budget = Budget::kCounted);
  ~StackAllocator();
  StackAllocator(const StackAllocator&) = delete;
  StackAllocator& operator=(const StackAllocator&) = delete;

  // Hands out a stack with at least `usable_size` bytes (rounded up to pages). On failure returns false and puts
  // a one-line reason in `why` (budget exhausted, or mmap/mprotect failed with errno).
  bool Allocate(size_t usable_size, Stack* out, std::string* why);

  // Returns a stack that nothing runs on any more. It is pooled when the pool has room and the size matches,
  // otherwise unmapped.
  void Release(Stack* stack);

  // Unmaps every pooled stack.
  void Trim();

  void set_pool_limit(size_t limit) { pool_limit_ = limit; Shrink(); }
  size_t pool_limit() const { return pool_limit_; }
  const StackAllocatorStats& stats() const { return stats_; }

  static size_t PageSize();

 private:
  void Shrink();
  void Unmap(Stack* stack);

  // Maps `total` bytes lying wholly below thread_stack_top_, or returns nullptr with errno set.
  void* MapBelowThreadStack(size_t total);
  // The same, asking for the space just below hint_ (the bottom-up address spaces); nullptr if not given it.
  void* MapByHint(size_t total);
  // Points hint_ at the top of the highest free gap below this thread's stack; false if there is none.
  bool StartHinting(size_t total);
  // The top of the highest free range of at least `size` bytes wholly below `limit`, from /proc/self/maps; 0 if
  // none.
  static uintptr_t HighestFreeBelow(uintptr_t limit, size_t size);

  // Kept free below the thread's lowest stack address: Linux keeps a 1 MiB gap below a growing stack, and a
  // mapping there would stop the main thread's stack from growing.
  static constexpr uintptr_t kStackGrowthGap = uintptr_t{1} << 20;
  // Never hint below this: the first 4 GiB hold the executable of a non-PIE Node and its brk heap.
  static constexpr uintptr_t kLowestHint = uintptr_t{1} << 32;

  // Holes above the thread's stack that the allocator keeps reserved so the kernel stops offering them.
  struct Filler {
    void* address;
    size_t size;
  };
  static constexpr int kMaxFillers = 16384;
  std::vector<Filler> fillers_;
  // Where the next stack goes, just below it, once the address space proved to be laid out bottom-up; 0 before.
  uintptr_t hint_ = 0;

  std::vector<Stack> pool_;
  size_t pool_limit_ = 256;
  uintptr_t thread_stack_low_ = 0;
  uintptr_t thread_stack_top_ = UINTPTR_MAX;
  bool counted_;
  StackAllocatorStats stats_;
};

// How many greenlet stacks this process may map in total, across threads: a share of vm.max_map_count that
// leaves room for Node, V8 and malloc. Read once.
size_t StackBudget();

// The error message when `in_use` stacks (or greenlet threads) have used up the budget.
std::string StackBudgetExhausted(const char* what);

}  // namespace verdant::detail
