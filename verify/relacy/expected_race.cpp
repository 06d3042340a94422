// verify/relacy/expected_race.cpp - what rill does NOT promise, shown by Relacy.
//
// SPEC R15 orders what a sender wrote *before* a send before the matching receive. It says
// nothing about writes made *after* the send returned: on a buffered channel the send completes
// without waiting for any receiver, so a write the sender makes next is not ordered with the
// receiver's read of the same data. Go's race detector tests make the same point for buffered
// channels. This scenario does exactly that, and the test passes only if Relacy reports the data
// race: a check that the model checker sees unsynchronised access through the channel, and a
// reminder to readers that a buffered send is not a rendezvous.
//
// (On a rendezvous channel the same program is race-free: the send returns only after the
// receiver has the message, R18, which verify/relacy/handoff_scenarios.hpp covers.)
#include "model_support.hpp"

struct write_after_buffered_send : rl::test_suite<write_after_buffered_send, 2> {
  std::optional<std::pair<rill::sender<int>, rill::receiver<int>>> channel;
  rill::detail::sync::plain<int> shared{0};

  void before() {
    rill::detail::sync::reset_virtual_time();
    channel.emplace(rill::bounded<int>(1));
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      RILL_MODEL_ASSERT(channel->first.send(1).has_value());
      shared.store(2);  // after the send: not ordered before the receive
    } else {
      RILL_MODEL_ASSERT(channel->second.recv().has_value());
      (void)shared.load();
    }
  }
};

int main(int argc, char** argv) {
  return rill::verify::run_scenario<write_after_buffered_send>("write_after_buffered_send", argc, argv);
}
