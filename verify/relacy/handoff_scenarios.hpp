// verify/relacy/handoff_scenarios.hpp - the basic two-thread exchange, in every flavor.
// Included by scenarios.cpp. Each scenario is a template over the channel kind (capacity 0 =
// rendezvous, 1 and 2 = bounded ring, unbounded_capacity = unbounded), registered once per kind.
#pragma once

#include "model_support.hpp"

namespace rill::verify {

// handoff_*: SPEC R3, R6, R13, R15, R17, R18. Thread 0 sends three messages, writing plain data
// before each send; thread 1 receives them. With capacity 1 and 2 the ring wraps around a lap
// (stamps of the next lap), and the sender blocks on full while the receiver blocks on empty in
// turn; the unbounded channel installs its first block lazily under the racing receiver; the
// rendezvous channel parks whichever side arrives first. Checked in the model: exactly-once
// delivery in FIFO order, and the payload written before each send is visible after the
// matching receive (a missing happens-before edge is a data race on `payload`). Relacy itself
// reports a deadlock or lost wake-up (both threads parked for good) and any leak.
template <int Capacity>
struct handoff : rl::test_suite<handoff<Capacity>, 2> {
  static constexpr int messages = 3;
  std::optional<std::pair<sender<int>, receiver<int>>> channel;
  detail::sync::plain<int> payload[messages];

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<int, Capacity>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      for (int i = 0; i < messages; ++i) {
        payload[i].store(10 + i);
        RILL_MODEL_ASSERT(channel->first.send(i).has_value());
      }
    } else {
      for (int i = 0; i < messages; ++i) {
        auto message = channel->second.recv();
        RILL_MODEL_ASSERT(message.has_value() && *message == i);
        RILL_MODEL_ASSERT(payload[i].load() == 10 + i);
      }
    }
  }
};
using handoff_array1 = handoff<1>;
using handoff_array2 = handoff<2>;
using handoff_list = handoff<unbounded_capacity>;
using handoff_zero = handoff<0>;
RILL_SCENARIO(handoff_array1, "R3, R6, R13, R15, R17");
RILL_SCENARIO(handoff_array2, "R3, R6, R13, R15, R17");
RILL_SCENARIO(handoff_list, "R3, R6, R13, R15");
RILL_SCENARIO(handoff_zero, "R3, R6, R13, R15, R18");

}  // namespace rill::verify
