// verify/relacy/select_scenarios.hpp - selection racing notifiers, abandonment, and select
// against select on a rendezvous channel. Included by scenarios.cpp.
#pragma once

#include "model_support.hpp"

#include <rill/select.hpp>
#include <rill/selector.hpp>

namespace rill::verify {

// select_two_channels_*: SPEC R30, R37, R38. Thread 0 selects a receive over channels A and B
// twice (the select statement); threads 1 and 2 each send one message, to A and to B, writing
// plain data first. The selection registers on both channels, a notifier of each races the
// other and the selector's own re-check (registration, abort and accept racing notifiers on two
// channels). Checked in the model: both messages received, each exactly once, the payload of
// each visible after its receive; Relacy reports a lost wake-up as a deadlock.
template <int Capacity>
struct select_two_channels : rl::test_suite<select_two_channels<Capacity>, 3> {
  std::optional<std::pair<sender<int>, receiver<int>>> first;
  std::optional<std::pair<sender<int>, receiver<int>>> second;
  detail::sync::plain<int> payload[2];

  void before() {
    detail::sync::reset_virtual_time();
    first.emplace(make_channel<int, Capacity>());
    second.emplace(make_channel<int, Capacity>());
  }
  void after() {
    first.reset();
    second.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      int seen[2] = {0, 0};
      for (int round = 0; round < 2; ++round) {
        const int value = select(on_recv(first->second, [](recv_result<int> message) { return message.value_or(-1); }),
                                 on_recv(second->second, [](recv_result<int> message) { return message.value_or(-1); }));
        RILL_MODEL_ASSERT(value == 0 || value == 1);
        ++seen[value];
        RILL_MODEL_ASSERT(payload[value].load() == 10 + value);
      }
      RILL_MODEL_ASSERT(seen[0] == 1 && seen[1] == 1);
    } else {
      const int value = static_cast<int>(index) - 1;
      payload[value].store(10 + value);
      auto& target = value == 0 ? first->first : second->first;
      RILL_MODEL_ASSERT(target.send(value).has_value());
    }
  }
};
using select_two_channels_zero = select_two_channels<0>;
using select_two_channels_array = select_two_channels<1>;
using select_two_channels_list = select_two_channels<unbounded_capacity>;
RILL_SCENARIO(select_two_channels_zero, "R30, R37, R38");
RILL_SCENARIO(select_two_channels_array, "R30, R37, R38");
// Three threads over two unbounded channels: the context-bound search takes minutes, so this one
// runs under the random scheduler only (as the other three-thread list scenarios).
RILL_SCENARIO_RANDOM_ONLY(select_two_channels_list, "R30, R37, R38");

// select_send_meets_select_recv: SPEC R33, R35 (KB24). Thread 0 selects a send on a rendezvous
// channel with rill::selector and completes it with the message; thread 1 selects the receive;
// a third thread's plain receive competes for a second message. Whichever side waits, the two
// selections pair rather than deadlock, the deferred completion hands the message over, and the
// packet of a select sender is freed (its selector goes) while the receiver that paired with it
// may still be finishing: only a packet's owner ever waits on it (handoff_packet.hpp).
struct select_send_meets_select_recv : rl::test_suite<select_send_meets_select_recv, 3> {
  std::optional<std::pair<sender<int>, receiver<int>>> channel;
  detail::sync::plain<int> payload[2];

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<int, 0>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      for (int i = 0; i < 2; ++i) {
        payload[i].store(10 + i);
        selector selection;
        selection.send(channel->first);
        selected_operation chosen = selection.select();
        RILL_MODEL_ASSERT(chosen.send(channel->first, int{i}).has_value());
      }
    } else if (index == 1) {
      const int value = select(on_recv(channel->second, [](recv_result<int> message) { return message.value_or(-1); }));
      RILL_MODEL_ASSERT(value == 0 || value == 1);
      RILL_MODEL_ASSERT(payload[value].load() == 10 + value);
    } else {
      auto message = channel->second.recv();
      RILL_MODEL_ASSERT(message.has_value() && (*message == 0 || *message == 1));
      RILL_MODEL_ASSERT(payload[*message].load() == 10 + *message);
    }
  }
};
RILL_SCENARIO(select_send_meets_select_recv, "R33, R35, R38, KB24");

// select_abandoned_send_*: SPEC R34 (KB4). Thread 0 selects a send, abandons it, then sends 7
// with a plain send; thread 1 receives once and must get 7 (a bounded channel's abandoned slot
// is a hole that the receiver skips; a rendezvous receiver that was paired with the abandoned
// send goes back to waiting). Then both handles go: nothing leaks and nothing hangs.
template <int Capacity>
struct select_abandoned_send : rl::test_suite<select_abandoned_send<Capacity>, 2> {
  std::optional<std::pair<sender<int>, receiver<int>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<int, Capacity>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      {
        selector selection;
        selection.send(channel->first);
        selected_operation chosen = selection.select();
        chosen.abandon();
      }
      RILL_MODEL_ASSERT(channel->first.send(7).has_value());
      channel->first.reset();
    } else {
      auto message = channel->second.recv();
      RILL_MODEL_ASSERT(message.has_value() && *message == 7);
      channel->second.reset();
    }
  }
};
using select_abandoned_send_zero = select_abandoned_send<0>;
using select_abandoned_send_array = select_abandoned_send<1>;
RILL_SCENARIO(select_abandoned_send_zero, "R34, KB4");
RILL_SCENARIO(select_abandoned_send_array, "R34, KB4");

}  // namespace rill::verify
