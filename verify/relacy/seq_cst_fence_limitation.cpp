// verify/relacy/seq_cst_fence_limitation.cpp - a limit of the model checker, pinned down.
//
// The store-buffering shape with a seq_cst fence on one side only:
//
//   thread 0                          thread 1
//   x.store(1, seq_cst)               y.store(1, seq_cst)
//   r0 = y.load(seq_cst)              fence(seq_cst)
//                                     r1 = x.load(relaxed)
//
// C++ forbids r0 == 0 && r1 == 0: r0 == 0 puts the load of y before the store of y in the single
// total order S, so the store of x precedes the fence in S, and a load sequenced after a seq_cst
// fence reads the last seq_cst store to x that precedes the fence in S, or a later one
// ([atomics.order]; the same holds with the C++20 wording). Relacy (Debian's relacy-dev,
// 2019-10-25 snapshot) reports that outcome as possible: its fences order only against other
// fences and against release/acquire pairs, not against seq_cst operations of other threads.
//
// What follows for rill: the seq_cst fences of the full and empty checks (array.full_fence,
// array.empty_fence, list.empty_fence) and the seq_cst disconnect (array.disconnect,
// list.disconnect) are exactly this shape. They make try_send / try_recv agree with a user's
// seq_cst operations, which SPEC does not promise (R14 is stated with happens-before), and which
// Relacy cannot check either way. docs/orderings.md lists them as stronger than needed for that
// reason. This test passes only while Relacy reports the forbidden outcome: if a newer Relacy
// models seq_cst fences fully, it fails, and those sites can be given scenarios that kill their
// mutants.
#include "harness.hpp"

namespace sync_layer = rill::detail::sync;

struct seq_cst_fence_limitation : rl::test_suite<seq_cst_fence_limitation, 2> {
  sync_layer::atomic<int> x{0};
  sync_layer::atomic<int> y{0};
  sync_layer::plain<int> r0{-1};
  sync_layer::plain<int> r1{-1};

  void thread(unsigned index) {
    if (index == 0) {
      x.store(1, std::memory_order_seq_cst);
      r0.store(y.load(std::memory_order_seq_cst));
    } else {
      y.store(1, std::memory_order_seq_cst);
      sync_layer::fence(std::memory_order_seq_cst);
      r1.store(x.load(std::memory_order_relaxed));
    }
  }
  void after() { RILL_MODEL_ASSERT(!(r0.load() == 0 && r1.load() == 0)); }
};

int main(int argc, char** argv) {
  return rill::verify::run_scenario<seq_cst_fence_limitation>("seq_cst_fence_limitation", argc, argv);
}
