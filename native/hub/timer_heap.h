// A binary min-heap of deadlines with O(log n) removal: every node knows its index. Nodes are owned by whoever
// armed them (a parked greenlet's hub slot, or an alarm); the heap only orders them. Ties go to the node armed
// first, so timers with the same deadline fire in the order they were set, as eventlet's do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace verdant::detail {

struct TimerNode {
  uint64_t deadline = 0;  // uv_hrtime() nanoseconds
  uint64_t seq = 0;
  int32_t heap_index = -1;
  bool armed() const { return heap_index >= 0; }
};

class TimerHeap {
 public:
  bool empty() const { return nodes_.empty(); }
  size_t size() const { return nodes_.size(); }
  TimerNode* top() const { return nodes_.empty() ? nullptr : nodes_.front(); }
  // The nodes in heap order (for listings; not sorted).
  const std::vector<TimerNode*>& nodes() const { return nodes_; }

  // Precondition: the node is not armed.
  void Push(TimerNode* node, uint64_t deadline);
  // Removes an armed node; a node that is not armed is left alone.
  void Remove(TimerNode* node);
  TimerNode* Pop();

 private:
  static bool Before(const TimerNode* a, const TimerNode* b) {
    return a->deadline < b->deadline || (a->deadline == b->deadline && a->seq < b->seq);
  }
  void Place(size_t i, TimerNode* node) {
    nodes_[i] = node;
    node->heap_index = static_cast<int32_t>(i);
  }
  void SiftUp(size_t i);
  void SiftDown(size_t i);

  std::vector<TimerNode*> nodes_;
  uint64_t next_seq_ = 0;
};

}  // namespace verdant::detail
