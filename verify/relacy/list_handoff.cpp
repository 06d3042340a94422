// verify/relacy/list_handoff.cpp - unbounded channel: two messages, the receiver blocked on
// empty and woken by the first send, which also installs the first block lazily.
//
// SPEC R3, R6, R13, R15: exactly-once delivery, FIFO, and the payload (plain data written
// before each send) is visible after the matching receive; no deadlock or lost wake-up (Relacy
// reports a deadlock if both threads park for good), no leak (Relacy checks at the end).
#include "harness.hpp"

#include <rill/rill.hpp>

namespace sync_layer = rill::detail::sync;

struct list_handoff : rl::test_suite<list_handoff, 2> {
  std::optional<std::pair<rill::sender<int>, rill::receiver<int>>> channel;
  sync_layer::plain<int> payload[2];

  void before() {
    sync_layer::reset_virtual_time();
    channel.emplace(rill::unbounded<int>());
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

int main(int argc, char** argv) { return rill::verify::run_scenario<list_handoff>("list_handoff", argc, argv); }
