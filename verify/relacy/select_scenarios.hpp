// verify/relacy/select_scenarios.hpp - selection racing notifiers, abandonment, select against
// select on a rendezvous channel, and timers shared between a selection and a receiver.
// Included by scenarios.cpp.
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
        const int value =
            select(on_recv(first->second, [](recv_result<int> message) { return message.value_or(-1); }),
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

// select_expired_*: SPEC R30, R20. Channel c1 holds a message; thread 1 sends one on c2 and then
// takes c1's, so at every instant one of the two holds a message. Thread 0 selects over c2 and
// then c1 (biased: the order that can look at c2 before the send and at c1 after the take) with
// a default (try_select) or an expired deadline (select_for(0ns), which R20 makes "try once"
// with try_select's guarantee). Checked: the selection takes a message, never its default or
// timeout. A single pass of tries fails here; the double collect of select_loop.hpp passes. This
// is the interleaving that the real-thread tests could only reach by luck (the red team saw it
// 191 times in 50,000 rounds); the scheduler finds it in a few iterations.
template <bool ExpiredDeadline>
struct select_expired : rl::test_suite<select_expired<ExpiredDeadline>, 2> {
  std::optional<std::pair<sender<int>, receiver<int>>> c1;
  std::optional<std::pair<sender<int>, receiver<int>>> c2;

  void before() {
    detail::sync::reset_virtual_time();
    c1.emplace(make_channel<int, 1>());
    c2.emplace(make_channel<int, 1>());
    RILL_MODEL_ASSERT(c1->first.try_send(1).has_value());
  }
  void after() {
    c1.reset();
    c2.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      auto on_c2 = on_recv(c2->second, [](recv_result<int> message) { return message.value_or(-1); });
      auto on_c1 = on_recv(c1->second, [](recv_result<int> message) { return message.value_or(-1); });
      int value = 0;
      if constexpr (ExpiredDeadline) {
        value = select_biased(std::move(on_c2), std::move(on_c1),
                              on_timeout(std::chrono::nanoseconds{0}, [] { return -2; }));
      } else {
        value = select_biased(std::move(on_c2), std::move(on_c1), on_default([] { return -2; }));
      }
      RILL_MODEL_ASSERT(value == 1 || value == 2);
    } else {
      RILL_MODEL_ASSERT(c2->first.send(2).has_value());
      (void)c1->second.try_recv();  // empty only if thread 0 took the message first
    }
  }
};
using select_expired_try = select_expired<false>;
using select_expired_zero_timeout = select_expired<true>;
RILL_SCENARIO(select_expired_try, "R30");
RILL_SCENARIO(select_expired_zero_timeout, "R30, R20");

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

// select_abandoned_send_wakes_blocked_sender: SPEC R34, R19. Capacity 2, one message buffered.
// Thread 0 selects a send, which claims the last free slot, raises a flag, and abandons the
// operation: no send has claimed past the slot, so it is given back by moving tail back (A3u in
// array_flavor.hpp, site array.unclaim_tail) and the blocked senders are notified. Thread 1
// waits for the flag and sends 8: it finds the channel full (the buffered message sits in the
// slot its lap needs) and blocks until the slot comes back. The give-back is the X of the waker
// pattern (waker.hpp) for that blocked sender: without the notify after it, with (A3u) weakened
// to acq_rel, or with its re-check (A12) or the waker's (W1)/(W2) weakened, thread 1 stays
// parked and Relacy reports the deadlock. Checked in the model: the send completes, and the channel then
// holds the buffered message and 8, in that order, and nothing else (R34: the abandoned
// operation sent nothing).
struct select_abandoned_send_wakes_blocked_sender : rl::test_suite<select_abandoned_send_wakes_blocked_sender, 2> {
  std::optional<std::pair<sender<int>, receiver<int>>> channel;
  detail::sync::atomic<bool> claimed{false};

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<int, 2>());
    RILL_MODEL_ASSERT(channel->first.try_send(1).has_value());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      selector selection;
      selection.send(channel->first);
      selected_operation chosen = selection.select();
      claimed.store(true, std::memory_order_release);
      chosen.abandon();
    } else {
      await(claimed);
      RILL_MODEL_ASSERT(channel->first.send(8).has_value());
      auto first = channel->second.try_recv();
      RILL_MODEL_ASSERT(first.has_value() && *first == 1);
      auto second = channel->second.try_recv();
      RILL_MODEL_ASSERT(second.has_value() && *second == 8);
      auto third = channel->second.try_recv();
      RILL_MODEL_ASSERT(!third.has_value() && third.error() == recv_error::empty);
    }
  }
};
RILL_SCENARIO(select_abandoned_send_wakes_blocked_sender, "R34, R19");

// select_timers_shared: SPEC R40, R41, R43. An after(1 ms) timer and a tick(1 ms) timer, each
// with a copy of its receiver per thread (time is virtual: a timed wait that times out moves the
// clock to its deadline). Thread 0 selects once over both timers, so it sleeps until they are
// due with nobody to wake it; thread 1 receives from each with a timeout long enough for a
// message to come due. Checked in the model: the after message is delivered exactly once, with
// its scheduled time (one exchange of the taken flag decides the receiver, at.take T1); every
// tick delivered is on the schedule and none is delivered twice (one compare-exchange of the
// next tick decides it, tick.consume P1). Both are relaxed: only the winner is decided there, and
// the message is the time itself, not data published through the flag.
struct select_timers_shared : rl::test_suite<select_timers_shared, 2> {
  static constexpr std::chrono::milliseconds period{1};
  std::optional<receiver<instant>> alarm[2];
  std::optional<receiver<instant>> ticks[2];
  std::optional<instant> alarm_received[2];
  std::optional<instant> tick_received[2];

  void before() {
    detail::sync::reset_virtual_time();
    alarm[0].emplace(rill::after(period));
    alarm[1].emplace(*alarm[0]);
    ticks[0].emplace(rill::tick(period));
    ticks[1].emplace(*ticks[0]);
    for (int i = 0; i < 2; ++i) {
      alarm_received[i].reset();
      tick_received[i].reset();
    }
  }
  void after() {
    const instant epoch{};
    // The one after message went to exactly one of the threads, at its time.
    RILL_MODEL_ASSERT(alarm_received[0].has_value() + alarm_received[1].has_value() == 1);
    for (const auto& received : alarm_received) RILL_MODEL_ASSERT(!received || *received == epoch + period);
    // Ticks are on the schedule, and a tick is never delivered to both threads.
    for (const auto& received : tick_received) {
      RILL_MODEL_ASSERT(!received || (*received > epoch && (*received - epoch) % period == decltype(period)::zero()));
    }
    RILL_MODEL_ASSERT(!tick_received[0] || !tick_received[1] || *tick_received[0] != *tick_received[1]);
    for (auto& handle : alarm) handle.reset();
    for (auto& handle : ticks) handle.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      select(on_recv(*alarm[0],
                     [&](recv_result<instant> message) {
                       RILL_MODEL_ASSERT(message.has_value());
                       alarm_received[0] = *message;
                     }),
             on_recv(*ticks[0], [&](recv_result<instant> message) {
               RILL_MODEL_ASSERT(message.has_value());
               tick_received[0] = *message;
             }));
    } else {
      // Either the alarm is still there and comes due within the timeout, or thread 0 took it.
      const recv_result<instant> alarm_message = alarm[1]->recv_for(5 * period);
      RILL_MODEL_ASSERT(alarm_message.has_value() || alarm_message.error() == recv_error::timeout);
      if (alarm_message) alarm_received[1] = *alarm_message;
      // A tick comes due within the timeout whichever ticks thread 0 took.
      const recv_result<instant> tick_message = ticks[1]->recv_for(5 * period);
      RILL_MODEL_ASSERT(tick_message.has_value());
      tick_received[1] = *tick_message;
    }
  }
};
RILL_SCENARIO(select_timers_shared, "R40, R41, R43");

}  // namespace rill::verify
