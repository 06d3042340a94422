// verify/relacy/smoke_message_passing.cpp - the sync layer's smallest end-to-end check.
//
// Thread 0 writes a plain value and publishes it with a release store; thread 1 observes the
// flag with an acquire load and then reads the value. Run twice (verify/relacy/CMakeLists.txt):
//   relacy_smoke_message_passing                    must pass;
//   relacy_smoke_message_passing_relaxed_is_caught  weakens the publishing store to relaxed
//                                                   (--mutate smoke.publish=relaxed) and must be
//                                                   reported as a data race.
// Together they show that the backend forwards orderings and that Relacy sees plain data races
// through sync_layer::plain.
#include "harness.hpp"

namespace sync_layer = rill::detail::sync;

namespace order {
// (M1) release: publishes the write of `payload` to the thread whose acquire load (M2) reads 1.
inline constexpr sync_layer::ordering publish =
    sync_layer::ordering_site("smoke.publish", std::memory_order_release);  // (M1)
// (M2) acquire: synchronizes-with (M1).
inline constexpr sync_layer::ordering observe =
    sync_layer::ordering_site("smoke.observe", std::memory_order_acquire);  // (M2)
}  // namespace order

struct smoke_message_passing : rl::test_suite<smoke_message_passing, 2> {
  sync_layer::atomic<int> flag{0};
  sync_layer::plain<int> payload{0};

  void thread(unsigned index) {
    if (index == 0) {
      payload.store(42);
      flag.store(1, order::publish);
    } else {
      if (flag.load(order::observe) == 1) RILL_MODEL_ASSERT(payload.load() == 42);
    }
  }
};

int main(int argc, char** argv) {
  return rill::verify::run_scenario<smoke_message_passing>("smoke_message_passing", argc, argv);
}
