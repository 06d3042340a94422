// verify/relacy/rendezvous_scenarios.hpp - the rendezvous channel against close(), against
// selected sends that are not completed yet, and receivers that give such a send up at their
// deadline. Included by scenarios.cpp.
#pragma once

#include "model_support.hpp"

#include <rill/select.hpp>
#include <rill/selector.hpp>

namespace rill::verify {

// zero_close_stops_select_recv_pairing: SPEC R12, R18, R32. Thread 0 closes the channel and then
// calls try_send; thread 1 selects a receive. After close() has returned no send may succeed
// (R12), so try_send must fail with `disconnected` and hand its message back, and the selection
// must report `disconnected`. The selection may look at the channel before the close and
// register its waiter after it: a registration that linked the waiter anyway let the try_send
// pair with it.
struct zero_close_stops_select_recv_pairing : rl::test_suite<zero_close_stops_select_recv_pairing, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, 0>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      channel->first.close();
      auto refused = channel->first.try_send(owned_message(1));
      RILL_MODEL_ASSERT(!refused.has_value());
      RILL_MODEL_ASSERT(refused.error().reason == send_errc::disconnected && refused.error().message.value() == 1);
    } else {
      const int seen = select(on_recv(channel->second, [](recv_result<owned_message> message) {
        if (message.has_value()) return message->value();
        return message.error() == recv_error::disconnected ? -1 : -2;
      }));
      RILL_MODEL_ASSERT(seen == -1);
    }
  }
};
RILL_SCENARIO(zero_close_stops_select_recv_pairing, "R12, R18, R32");

// zero_close_stops_select_send_pairing: SPEC R12, R18, R32. The mirror: thread 0 closes the
// channel, then calls try_recv and recv; thread 1 selects a send with rill::selector and
// completes it. Nobody receives before the close, so the selected send can only be ready
// because the channel is disconnected: its completion must fail with `disconnected` and hand the
// message back, and both receives must report `disconnected`.
struct zero_close_stops_select_send_pairing : rl::test_suite<zero_close_stops_select_send_pairing, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, 0>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      channel->second.close();
      auto polled = channel->second.try_recv();
      RILL_MODEL_ASSERT(!polled.has_value() && polled.error() == recv_error::disconnected);
      auto waited = channel->second.recv();
      RILL_MODEL_ASSERT(!waited.has_value() && waited.error() == recv_error::disconnected);
    } else {
      selector selection;
      selection.send(channel->first);
      selected_operation chosen = selection.select();
      auto refused = chosen.send(channel->first, owned_message(2));
      RILL_MODEL_ASSERT(!refused.has_value());
      RILL_MODEL_ASSERT(refused.error().reason == send_errc::disconnected && refused.error().message.value() == 2);
    }
  }
};
RILL_SCENARIO(zero_close_stops_select_send_pairing, "R12, R18, R32");

// zero_try_recv_skips_select_send: SPEC R7, R19, R30, R38. Thread 0 selects a send and completes
// it only after thread 1 has finished its try_recv and its non-blocking selection: a try
// operation never waits for a partner (R19), and the message of a selected send does not exist
// before its completion, so both report that nothing is there. Thread 1 then receives with a
// blocking recv, which does pair with the selected send (KB24's shape with one plain side) and
// gets the message. A try_recv that committed to the selected send would wait for a completion
// that waits for it: Relacy reports the livelock.
struct zero_try_recv_skips_select_send : rl::test_suite<zero_try_recv_skips_select_send, 2> {
  std::optional<std::pair<sender<int>, receiver<int>>> channel;
  detail::sync::atomic<bool> tried{false};

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<int, 0>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      selector selection;
      selection.send(channel->first);
      selected_operation chosen = selection.select();
      await(tried);
      RILL_MODEL_ASSERT(chosen.send(channel->first, 5).has_value());
    } else {
      auto polled = channel->second.try_recv();
      RILL_MODEL_ASSERT(!polled.has_value() && polled.error() == recv_error::empty);
      const int looked =
          select(on_recv(channel->second, [](recv_result<int>) { return 1; }), on_default([] { return 0; }));
      RILL_MODEL_ASSERT(looked == 0);
      tried.store(true, std::memory_order_release);
      auto waited = channel->second.recv();
      RILL_MODEL_ASSERT(waited.has_value() && *waited == 5);
    }
  }
};
RILL_SCENARIO(zero_try_recv_skips_select_send, "R7, R19, R30, R38");

// zero_timed_recv_withdraws_*: SPEC R8, R9, R20, R33. Thread 1 selects a send and completes it
// only after thread 0's timed receive has returned; thread 0 then receives again without a
// deadline. The timed receive (a plain recv_for, or a selection with a deadline) may pair with
// the selected send, in either order of arrival, but its deadline still holds: when it passes,
// the receiver gives the pairing up and reports `timeout` (a receiver that waited for the
// completion instead would wait for ever here, and Relacy reports the livelock). The completion
// then finds its receiver gone and behaves as a blocking send: the second receive gets the
// message, exactly once (an owned message: a loss is a leak, a second delivery a double free).
// The packet of the receiver that withdrew, and its parker, are gone by then: a completion that
// still touched them is a use of freed memory.
// Thread 1 learns that the timed receive has returned through a bounded channel, on which it
// blocks: a spin on a flag would keep the context-bound search busy while thread 0's timed wait
// is one that only the scheduler can end.
template <bool UseSelection>
struct zero_timed_recv_withdraws : rl::test_suite<zero_timed_recv_withdraws<UseSelection>, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;
  std::optional<std::pair<sender<int>, receiver<int>>> returned;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, 0>());
    returned.emplace(make_channel<int, 1>());
  }
  void after() {
    channel.reset();
    returned.reset();
  }

  void thread(unsigned index) {
    using namespace std::chrono_literals;
    if (index == 0) {
      if constexpr (UseSelection) {
        const int seen = select(on_recv(channel->second, [](recv_result<owned_message>) { return 1; }),
                                on_timeout(1ms, [] { return 0; }));
        RILL_MODEL_ASSERT(seen == 0);
      } else {
        auto timed = channel->second.recv_for(1ms);
        RILL_MODEL_ASSERT(!timed.has_value() && timed.error() == recv_error::timeout);
      }
      RILL_MODEL_ASSERT(returned->first.try_send(1).has_value());
      auto waited = channel->second.recv();
      RILL_MODEL_ASSERT(waited.has_value() && waited->value() == 5);
    } else {
      selector selection;
      selection.send(channel->first);
      selected_operation chosen = selection.select();
      RILL_MODEL_ASSERT(returned->second.recv().has_value());
      RILL_MODEL_ASSERT(chosen.send(channel->first, owned_message(5)).has_value());
    }
  }
};
using zero_timed_recv_withdraws_plain = zero_timed_recv_withdraws<false>;
using zero_timed_recv_withdraws_select = zero_timed_recv_withdraws<true>;
RILL_SCENARIO(zero_timed_recv_withdraws_plain, "R8, R9, R20, R33");
RILL_SCENARIO(zero_timed_recv_withdraws_select, "R8, R9, R20, R30, R33");

// zero_nonblocking_select_send_after_withdrawal: SPEC R8, R19, R30. Thread 0 makes a timed
// receive; thread 1 runs a select statement with a send case and a default. The statement's try
// phase may pair its send with thread 0's waiting receive, and thread 0's deadline may pass
// before the statement hands the message over; thread 0 then withdraws and reports `timeout`.
// The statement must not then wait for another receiver (none will come: a statement with a
// default never waits for another thread, R19, R30): it looks again and runs its default. Either
// the message reached thread 0 and the send case ran, or neither happened. A statement that
// completed its send as a blocking send would wait here for ever, which Relacy reports.
struct zero_nonblocking_select_send_after_withdrawal
    : rl::test_suite<zero_nonblocking_select_send_after_withdrawal, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;
  int received = 0;  // each written by one thread, read in after(), when both have ended
  int sent = 0;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, 0>());
    received = sent = 0;
  }
  void after() {
    RILL_MODEL_ASSERT(received == sent);
    channel.reset();
  }

  void thread(unsigned index) {
    using namespace std::chrono_literals;
    if (index == 0) {
      auto timed = channel->second.recv_for(1ms);
      RILL_MODEL_ASSERT(timed.has_value() ? timed->value() == 5 : timed.error() == recv_error::timeout);
      received = timed.has_value() ? 1 : 0;
    } else {
      owned_message message(5);
      const int outcome = select(on_send(channel->first, std::move(message),
                                         [](const send_result<owned_message>& result) {
                                           RILL_MODEL_ASSERT(result.has_value());
                                           return 1;
                                         }),
                                 on_default([] { return 0; }));
      sent = outcome;
    }
  }
};
RILL_SCENARIO(zero_nonblocking_select_send_after_withdrawal, "R8, R19, R30");

}  // namespace rill::verify
