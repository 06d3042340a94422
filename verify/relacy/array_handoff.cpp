// verify/relacy/array_handoff.cpp - bounded channel, capacity 1: two messages across a lap
// wrap-around, the sender blocked on full and the receiver blocked on empty in turn.
//
// SPEC R3, R6, R13, R15, R17: exactly-once delivery, FIFO, and the payload (plain data written
// before each send) is visible after the matching receive; no deadlock or lost wake-up (Relacy
// reports a deadlock if both threads park for good), no leak (Relacy checks at the end).
#include "harness.hpp"

#include <rill/rill.hpp>

namespace sync_layer = rill::detail::sync;

struct array_handoff : rl::test_suite<array_handoff, 2> {
  std::optional<std::pair<rill::sender<int>, rill::receiver<int>>> channel;
  sync_layer::plain<int> payload[2];

  void before() {
    sync_layer::reset_virtual_time();
    channel.emplace(rill::bounded<int>(1));
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      for (int i = 0; i < 2; ++i) {
        payload[i].store(10 + i);
        RILL_MODEL_ASSERT(channel->first.send(i).has_value());
      }
    } else {
      for (int i = 0; i < 2; ++i) {
        auto message = channel->second.recv();
        RILL_MODEL_ASSERT(message.has_value() && *message == i);
        RILL_MODEL_ASSERT(payload[i].load() == 10 + i);
      }
    }
  }
};

int main(int argc, char** argv) { return rill::verify::run_scenario<array_handoff>("array_handoff", argc, argv); }
