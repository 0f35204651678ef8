// Machine stacks for greenlets: reserved with mmap, committed lazily by the kernel as pages are touched, with a
// guard page below, and recycled through a small per-thread pool so that create+finish does not pay the kernel
// each time.
//
// Two layouts:
//  - carved: stacks are cut from slabs of kStacksPerSlab, one mapping per slab, each stack's guard page marked in
//    the page tables (MADV_GUARD_INSTALL, Linux 6.13+) rather than being a mapping of its own. A stack that leaves
//    the pool gives its memory back (MADV_DONTNEED) and keeps its place in the slab for the next one. Used when a
//    probe at first use shows that guards really refuse access (CarvedStacksWork);
//  - mapped: each stack is a mapping of its own with a PROT_NONE guard page (two VMAs), unmapped when it leaves the
//    pool. Older kernels, emulators that accept the advice and do nothing (qemu-user), VERDANT_STACK_LAYOUT=mapped.
//
// Mappings count against vm.max_map_count. The allocator keeps a budget below that limit so that running out is a
// catchable error in JS, never a failed mmap deep inside V8 or the kernel's OOM killer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace verdant::detail {

struct Stack {
  // Lowest usable address (just above the guard page) and one past the highest; the stack grows down from top.
  uintptr_t base = 0;
  uintptr_t top = 0;
  // The whole stack, guard included: its own mapping, or its slot in a slab when carved.
  void* mapping = nullptr;
  size_t mapping_size = 0;
  bool carved = false;

  size_t usable_size() const { return top - base; }
  bool allocated() const { return mapping != nullptr; }
};

// What one stack costs in kernel mappings: two (a mapping and its guard: mapped greenlet stacks, and the threads
// backend's thread stacks), or a 64th of one (carved from a slab).
enum class StackCost { kTwoMappings, kCarved };

struct StackAllocatorStats {
  size_t live = 0;          // stacks handed out and not yet released
  size_t pooled = 0;        // released stacks kept for reuse
  size_t pool_hits = 0;     // allocations served from the pool
  size_t mmaps = 0;         // mappings made: one per stack when mapped, one per slab when carved
  size_t max_stacks = 0;    // the budget derived from vm.max_map_count
  bool carved = false;      // the layout: carved from slabs, or a mapping per stack
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
  // kAuto carves when CarvedStacksWork() and VERDANT_STACK_LAYOUT is not "mapped"; kCarved carves when
  // CarvedStacksWork() (tests); kMapped never does.
  enum class Layout { kAuto, kCarved, kMapped };
  explicit StackAllocator(Budget budget = Budget::kCounted, Layout layout = Layout::kAuto);
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

  // Whether stacks are carved from slabs (else each is its own mapping).
  bool carves() const { return stats_.carved; }
  // Stacks per slab in the carved layout.
  static constexpr size_t kStacksPerSlab = 64;

  void set_pool_limit(size_t limit) { pool_limit_ = limit; Shrink(); }
  size_t pool_limit() const { return pool_limit_; }
  const StackAllocatorStats& stats() const { return stats_; }

  static size_t PageSize();

 private:
  StackCost cost() const { return stats_.carved ? StackCost::kCarved : StackCost::kTwoMappings; }
  void Shrink();
  // Hands a stack back to the kernel: unmaps it, or (carved) drops its pages and keeps its slot for reuse.
  void Unmap(Stack* stack);
  // Serves a carved stack from a free slot of its size, mapping a new slab when there is none.
  bool Carve(size_t usable_size, Stack* out, std::string* why);

  // Maps `total` bytes lying wholly below thread_stack_top_, or returns nullptr with errno set.
  void* MapBelowThreadStack(size_t total);
  // The same, asking for the space just below hint_; nullptr if not given it.
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
  // Hints tried per stack before asking the kernel again; the stride doubles each time.
  static constexpr int kHintAttempts = 24;
  // While fillers pile up, the hints are tried again every so many.
  static constexpr int kFillersPerHint = 64;

  // Holes above the thread's stack that the allocator keeps reserved so the kernel stops offering them.
  struct Filler {
    void* address;
    size_t size;
  };
  static constexpr int kMaxFillers = 16384;
  std::vector<Filler> fillers_;
  // Where the next stack goes, just below it, once the kernel answered above the thread's stack; 0 before.
  uintptr_t hint_ = 0;

  std::vector<Stack> pool_;
  size_t pool_limit_ = 256;
  // Carved layout: every slab, and the slots whose pages went back to the kernel, by usable size.
  struct Slab {
    void* address;
    size_t size;
  };
  std::vector<Slab> slabs_;
  std::unordered_map<size_t, std::vector<Stack>> free_slots_;
  uintptr_t thread_stack_low_ = 0;
  uintptr_t thread_stack_top_ = UINTPTR_MAX;
  bool counted_;
  StackAllocatorStats stats_;
};

// How many greenlet stacks this process may hold at once, across threads: a share of vm.max_map_count that leaves
// room for Node, V8 and malloc, divided by what a stack costs. VERDANT_MAX_STACKS lowers it. Read once.
size_t StackBudget(StackCost cost);

// The error message when stacks (or greenlet threads) have used up the budget; `what` says what is counted.
std::string StackBudgetExhausted(StackCost cost, const char* what);

// Whether this kernel can mark a page of a mapping as a guard that refuses every access without splitting the
// mapping (MADV_GUARD_INSTALL, checked by making the kernel itself read from one). Probed once per process.
bool CarvedStacksWork();

}  // namespace verdant::detail
