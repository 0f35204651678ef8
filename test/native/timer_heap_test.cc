// Unit tests for verdant::detail::TimerHeap (native/hub/timer_heap.cc): order, FIFO ties, removal anywhere, and a
// randomized comparison against a std::multiset that orders (deadline, order of arming) the way the heap must.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "check.h"
#include "hub/timer_heap.h"

using verdant::detail::TimerHeap;
using verdant::detail::TimerNode;

namespace {

// The heap's invariants: every node knows its index, and no child comes before its parent (earlier deadline, or
// the same deadline armed earlier).
bool HeapIsValid(const TimerHeap& heap) {
  const std::vector<TimerNode*>& nodes = heap.nodes();
  for (size_t i = 0; i < nodes.size(); i++) {
    if (nodes[i]->heap_index != static_cast<int32_t>(i)) return false;
    if (i == 0) continue;
    const TimerNode* parent = nodes[(i - 1) / 2];
    const TimerNode* child = nodes[i];
    if (std::tie(child->deadline, child->seq) < std::tie(parent->deadline, parent->seq)) return false;
  }
  return heap.size() == nodes.size() && (nodes.empty() ? heap.top() == nullptr : heap.top() == nodes[0]);
}

// Pops everything, returning the deadlines in pop order.
std::vector<uint64_t> PopAll(TimerHeap* heap) {
  std::vector<uint64_t> out;
  while (TimerNode* n = heap->Pop()) {
    if (n->armed()) return {};  // a popped node must not think it is still in the heap
    out.push_back(n->deadline);
  }
  return out;
}

TEST(empty_heap) {
  TimerHeap heap;
  CHECK(heap.empty());
  CHECK_EQ(heap.size(), 0u);
  CHECK(heap.top() == nullptr);
  CHECK(heap.Pop() == nullptr);
  TimerNode loose;
  heap.Remove(&loose);  // not armed: left alone
  CHECK(!loose.armed());
  CHECK(heap.empty());
}

TEST(pops_in_deadline_order) {
  const std::vector<uint64_t> deadlines = {50, 10, 40, 30, 20, 90, 70, 60, 80, 0, 100, 5};
  std::vector<TimerNode> nodes(deadlines.size());
  TimerHeap heap;
  for (size_t i = 0; i < deadlines.size(); i++) {
    heap.Push(&nodes[i], deadlines[i]);
    CHECK(nodes[i].armed());
    CHECK(HeapIsValid(heap));
  }
  CHECK_EQ(heap.size(), deadlines.size());
  CHECK_EQ(heap.top()->deadline, 0u);
  std::vector<uint64_t> sorted = deadlines;
  std::sort(sorted.begin(), sorted.end());
  CHECK(PopAll(&heap) == sorted);
  CHECK(heap.empty());
}

TEST(ties_pop_in_the_order_they_were_armed) {
  // Same deadline, interleaved with earlier and later ones: the equal ones come out first-armed first.
  TimerNode a, b, c, d, early, late;
  TimerHeap heap;
  heap.Push(&late, 30);
  heap.Push(&a, 20);
  heap.Push(&early, 10);
  heap.Push(&b, 20);
  heap.Push(&c, 20);
  heap.Push(&d, 20);
  CHECK(HeapIsValid(heap));
  const std::vector<TimerNode*> want = {&early, &a, &b, &c, &d, &late};
  for (TimerNode* w : want) CHECK(heap.Pop() == w);
  CHECK(heap.empty());
}

// Builds a heap of `n` nodes with deadlines 0..n-1 pushed in a scrambled order.
void Build(TimerHeap* heap, std::vector<TimerNode>* nodes, size_t n) {
  nodes->assign(n, TimerNode{});
  for (size_t k = 0; k < n; k++) {
    size_t i = (k * 7) % n;  // n is not a multiple of 7 in these tests: a permutation
    heap->Push(&(*nodes)[i], i);
  }
}

TEST(remove_top_middle_bottom) {
  constexpr size_t kN = 20;
  std::vector<TimerNode> nodes;
  TimerHeap heap;
  Build(&heap, &nodes, kN);
  REQUIRE(HeapIsValid(heap));

  TimerNode* top = heap.top();
  TimerNode* bottom = heap.nodes().back();
  TimerNode* middle = heap.nodes()[kN / 2];
  REQUIRE(top != bottom && top != middle && middle != bottom);
  std::multiset<uint64_t> left;
  for (const TimerNode& n : nodes) left.insert(n.deadline);

  for (TimerNode* victim : {top, bottom, middle}) {
    left.erase(left.find(victim->deadline));
    heap.Remove(victim);
    CHECK(!victim->armed());
    CHECK(HeapIsValid(heap));
    CHECK_EQ(heap.size(), left.size());
  }
  heap.Remove(middle);  // a second removal is a no-op
  CHECK_EQ(heap.size(), left.size());
  CHECK(PopAll(&heap) == std::vector<uint64_t>(left.begin(), left.end()));
}

TEST(remove_the_only_node_and_the_last_slot) {
  TimerHeap heap;
  TimerNode only;
  heap.Push(&only, 5);
  heap.Remove(&only);
  CHECK(heap.empty());
  CHECK(!only.armed());
  CHECK(heap.top() == nullptr);

  // Removing the node in the last slot must not move anything.
  TimerNode x, y;
  heap.Push(&x, 1);
  heap.Push(&y, 2);
  REQUIRE(heap.nodes().back() == &y);
  heap.Remove(&y);
  CHECK(HeapIsValid(heap));
  CHECK(heap.top() == &x);
  CHECK_EQ(x.heap_index, 0);
}

TEST(repush_after_removal) {
  constexpr size_t kN = 15;
  std::vector<TimerNode> nodes;
  TimerHeap heap;
  Build(&heap, &nodes, kN);
  TimerNode* moved = &nodes[3];
  heap.Remove(moved);
  CHECK(!moved->armed());
  // Armed again later with a deadline another node already has: it goes after that one (armed later).
  heap.Push(moved, 9);
  CHECK(moved->armed());
  CHECK(HeapIsValid(heap));
  CHECK_EQ(heap.size(), kN);
  std::vector<TimerNode*> order;
  while (TimerNode* n = heap.Pop()) order.push_back(n);
  REQUIRE(order.size() == kN);
  size_t at_nine = 0;
  while (at_nine < kN && order[at_nine] != &nodes[9]) at_nine++;
  REQUIRE(at_nine + 1 < kN);
  CHECK(order[at_nine + 1] == moved);
  for (size_t i = 1; i < kN; i++) CHECK(order[i - 1]->deadline <= order[i]->deadline);
}

// The reference orders by deadline, then by the order the node was armed in (counted here, independently of the
// heap's own sequence numbers).
struct RefEntry {
  uint64_t deadline;
  uint64_t armed_order;
  TimerNode* node;
  bool operator<(const RefEntry& o) const {
    return std::tie(deadline, armed_order) < std::tie(o.deadline, o.armed_order);
  }
};

void Differential(uint32_t seed, int operations, size_t pool_size, uint64_t deadline_range) {
  std::mt19937 rng(seed);
  std::vector<TimerNode> pool(pool_size);
  std::vector<std::multiset<RefEntry>::iterator> where(pool_size);
  std::multiset<RefEntry> ref;
  TimerHeap heap;
  uint64_t armed_count = 0;
  int mismatches = 0;
  auto index_of = [&](TimerNode* n) { return static_cast<size_t>(n - pool.data()); };

  for (int op = 0; op < operations && mismatches == 0; op++) {
    size_t i = rng() % pool_size;
    TimerNode* node = &pool[i];
    switch (rng() % 4) {
      case 0:
      case 1:  // arm, if not armed (small deadline range: many ties)
        if (!node->armed()) {
          uint64_t deadline = rng() % deadline_range;
          heap.Push(node, deadline);
          where[i] = ref.insert(RefEntry{deadline, armed_count++, node});
        }
        break;
      case 2:  // remove, armed or not
        if (node->armed()) ref.erase(where[i]);
        heap.Remove(node);
        if (node->armed()) mismatches++;
        break;
      case 3: {  // pop the earliest
        TimerNode* popped = heap.Pop();
        if (ref.empty()) {
          if (popped != nullptr) mismatches++;
        } else {
          if (popped != ref.begin()->node || popped->armed()) mismatches++;
          ref.erase(ref.begin());
        }
        break;
      }
    }
    if (heap.size() != ref.size()) mismatches++;
    if ((ref.empty() ? nullptr : ref.begin()->node) != heap.top()) mismatches++;
    if (op % 64 == 0 && !HeapIsValid(heap)) mismatches++;
    if (mismatches) std::fprintf(stderr, "seed %u: heap and reference differ after operation %d\n", seed, op);
  }
  CHECK_EQ(mismatches, 0);
  CHECK(HeapIsValid(heap));
  // Drain: the full remaining order must match.
  for (const RefEntry& e : ref) {
    TimerNode* popped = heap.Pop();
    if (popped != e.node) {
      std::fprintf(stderr, "seed %u: drain expected node %zu, got %s\n", seed, index_of(e.node),
                   popped ? std::to_string(index_of(popped)).c_str() : "none");
      mismatches++;
      break;
    }
  }
  CHECK_EQ(mismatches, 0);
  CHECK(heap.empty());
}

TEST(randomized_against_multiset_many_ties) {
  for (uint32_t seed = 1; seed <= 5; seed++) Differential(seed, 20000, 300, 16);
}

TEST(randomized_against_multiset_wide_deadlines) {
  for (uint32_t seed = 100; seed <= 104; seed++) Differential(seed, 20000, 1000, uint64_t{1} << 40);
}

}  // namespace

int main() { return RUN_ALL_TESTS(); }
