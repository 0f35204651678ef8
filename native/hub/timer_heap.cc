#include "hub/timer_heap.h"

namespace verdant::detail {

void TimerHeap::Push(TimerNode* node, uint64_t deadline) {
  node->deadline = deadline;
  node->seq = next_seq_++;
  nodes_.push_back(node);
  node->heap_index = static_cast<int32_t>(nodes_.size() - 1);
  SiftUp(nodes_.size() - 1);
}

void TimerHeap::Remove(TimerNode* node) {
  if (!node->armed()) return;
  size_t i = static_cast<size_t>(node->heap_index);
  node->heap_index = -1;
  TimerNode* last = nodes_.back();
  nodes_.pop_back();
  if (last == node) return;
  Place(i, last);
  SiftUp(i);
  SiftDown(static_cast<size_t>(last->heap_index));
}

TimerNode* TimerHeap::Pop() {
  TimerNode* node = top();
  if (node != nullptr) Remove(node);
  return node;
}

void TimerHeap::SiftUp(size_t i) {
  TimerNode* node = nodes_[i];
  while (i > 0) {
    size_t parent = (i - 1) / 2;
    if (!Before(node, nodes_[parent])) break;
    Place(i, nodes_[parent]);
    i = parent;
  }
  Place(i, node);
}

void TimerHeap::SiftDown(size_t i) {
  TimerNode* node = nodes_[i];
  size_t n = nodes_.size();
  for (;;) {
    size_t child = 2 * i + 1;
    if (child >= n) break;
    if (child + 1 < n && Before(nodes_[child + 1], nodes_[child])) child++;
    if (!Before(nodes_[child], node)) break;
    Place(i, nodes_[child]);
    i = child;
  }
  Place(i, node);
}

}  // namespace verdant::detail
