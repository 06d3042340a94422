// Tests of the reference model itself (spec/model/channel_model.hpp).
//
// The model is the oracle of the property tests and fuzzers, so it is checked here against the
// rules directly: every operation, in every flavor, in every state that matters (room, full,
// empty, message available, disconnected by either side, closed, empty handle). Each test names
// the rule it checks in its first line. The last tests walk the model at random and check the
// invariants and the exactly-once accounting of messages over long runs.
#include "channel_model.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <deque>
#include <initializer_list>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace rill::model;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

operation make_op(op_kind kind, int message = 0) {
  operation call;
  call.kind = kind;
  call.message = message;
  return call;
}

operation timed(op_kind kind, timing deadline, int message = 0) {
  operation call = make_op(kind, message);
  call.deadline = deadline;
  return call;
}

operation on_empty_handle(op_kind kind) {
  operation call = make_op(kind, 1);
  call.on_empty_handle = true;
  return call;
}

/// The single allowed step; throws (failing the test) if the model allows none or several.
step only(const state& channel, const operation& call) {
  std::vector<step> steps = allowed(channel, call);
  if (steps.size() != 1) {
    throw std::logic_error(std::string("expected exactly one step for ") + std::string(to_string(call.kind)) +
                           ", got " + std::to_string(steps.size()));
  }
  return steps.front();
}

/// Applies `call`, which must have exactly one outcome, and expects that outcome.
state apply(const state& channel, const operation& call, outcome expected) {
  step taken = only(channel, call);
  EXPECT_EQ(taken.result.what, expected) << to_string(call.kind) << " gave " << to_string(taken.result.what);
  EXPECT_TRUE(valid(taken.next));
  return taken.next;
}

state with_buffer(state channel, std::initializer_list<int> messages) {
  for (int message : messages) channel = apply(channel, make_op(op_kind::try_send, message), outcome::ok);
  return channel;
}

snapshot query(const state& channel) {
  step taken = only(channel, make_op(op_kind::query));
  EXPECT_EQ(taken.result.what, outcome::ok);
  EXPECT_EQ(taken.next, channel) << "a query changed the state";
  return taken.result.query.value();
}

/// One fresh channel of each buffered flavor.
std::vector<state> buffered_flavors() { return {make_bounded(1), make_bounded(3), make_unbounded()}; }
std::vector<state> all_flavors() { return {make_bounded(0), make_bounded(1), make_bounded(3), make_unbounded()}; }

const op_kind send_kinds[] = {op_kind::send, op_kind::try_send, op_kind::send_timed};
const op_kind recv_kinds[] = {op_kind::recv, op_kind::try_recv, op_kind::recv_timed};

// ---------------------------------------------------------------------------------------------
// R1: kinds and capacity
// ---------------------------------------------------------------------------------------------

TEST(channel_model, fresh_channels_have_the_requested_kind_one_handle_each_and_nothing_buffered) {
  // SPEC R1
  EXPECT_EQ(kind_of(make_bounded(0)), flavor::zero);
  EXPECT_EQ(kind_of(make_bounded(1)), flavor::array);
  EXPECT_EQ(kind_of(make_bounded(64)), flavor::array);
  EXPECT_EQ(kind_of(make_unbounded()), flavor::list);
  for (const state& channel : all_flavors()) {
    EXPECT_TRUE(valid(channel));
    EXPECT_TRUE(channel.buffer.empty());
    EXPECT_EQ(channel.senders, 1u);
    EXPECT_EQ(channel.receivers, 1u);
    EXPECT_FALSE(channel.closed);
  }
}

TEST(channel_model, bounded_channel_holds_at_most_its_capacity) {
  // SPEC R1
  state channel = with_buffer(make_bounded(3), {1, 2, 3});
  EXPECT_EQ(channel.buffer.size(), 3u);
  apply(channel, make_op(op_kind::try_send, 4), outcome::full);
}

TEST(channel_model, unbounded_channel_accepts_any_number_of_messages) {
  // SPEC R1
  state channel = make_unbounded();
  for (int i = 0; i < 1000; ++i) channel = apply(channel, make_op(op_kind::send, i), outcome::ok);
  EXPECT_EQ(channel.buffer.size(), 1000u);
}

TEST(channel_model, flavor_never_changes_at_run_time) {
  // SPEC R1 (KB12): a timed receive times out, a sender is copied and sends, then recv.
  for (const state& fresh : buffered_flavors()) {
    const flavor kind = kind_of(fresh);
    state channel = apply(fresh, timed(op_kind::recv_timed, timing::expires), outcome::timeout);
    channel = apply(channel, make_op(op_kind::clone_sender), outcome::ok);
    channel = apply(channel, make_op(op_kind::send, 9), outcome::ok);
    step received = only(channel, make_op(op_kind::recv));
    EXPECT_EQ(received.result.message, 9);
    EXPECT_EQ(kind_of(received.next), kind);
    EXPECT_EQ(received.next.capacity, fresh.capacity);
  }
}

// ---------------------------------------------------------------------------------------------
// R3: send
// ---------------------------------------------------------------------------------------------

TEST(channel_model, send_with_room_enqueues_and_succeeds) {
  // SPEC R3
  for (const state& fresh : buffered_flavors()) {
    step sent = only(fresh, make_op(op_kind::send, 5));
    EXPECT_EQ(sent.result.what, outcome::ok);
    EXPECT_FALSE(sent.result.message.has_value());
    EXPECT_EQ(sent.next.buffer, std::deque<int>{5});
  }
}

TEST(channel_model, send_on_a_full_bounded_channel_blocks_and_changes_nothing) {
  // SPEC R3
  const state channel = with_buffer(make_bounded(1), {1});
  step blocked = only(channel, make_op(op_kind::send, 2));
  EXPECT_EQ(blocked.result.what, outcome::blocks);
  EXPECT_FALSE(blocked.result.message.has_value()) << "a blocked send has not returned: no message back yet";
  EXPECT_EQ(blocked.next, channel);
}

TEST(channel_model, send_on_a_rendezvous_without_a_waiting_receiver_blocks) {
  // SPEC R3, R18
  const state channel = make_bounded(0);
  step blocked = only(channel, make_op(op_kind::send, 2));
  EXPECT_EQ(blocked.result.what, outcome::blocks);
  EXPECT_EQ(blocked.next, channel);
}

TEST(channel_model, send_after_the_last_receiver_is_gone_reports_disconnected_with_the_message) {
  // SPEC R3, R9, R11
  for (state channel : all_flavors()) {
    channel = apply(channel, make_op(op_kind::drop_receiver), outcome::ok);
    for (op_kind kind : send_kinds) {
      step failed = only(channel, make_op(kind, 42));
      EXPECT_EQ(failed.result.what, outcome::disconnected) << to_string(kind);
      EXPECT_EQ(failed.result.message, 42);
      EXPECT_EQ(failed.next, channel);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// R4: try_send
// ---------------------------------------------------------------------------------------------

TEST(channel_model, try_send_with_room_succeeds) {
  // SPEC R4
  for (const state& fresh : buffered_flavors()) {
    EXPECT_EQ(apply(fresh, make_op(op_kind::try_send, 1), outcome::ok).buffer.size(), 1u);
  }
}

TEST(channel_model, try_send_on_a_full_channel_reports_full_and_hands_the_message_back) {
  // SPEC R4, R9
  for (std::size_t capacity : {1u, 3u}) {
    state channel = make_bounded(capacity);
    for (std::size_t i = 0; i < capacity; ++i) {
      channel = apply(channel, make_op(op_kind::try_send, static_cast<int>(i)), outcome::ok);
    }
    step failed = only(channel, make_op(op_kind::try_send, 77));
    EXPECT_EQ(failed.result.what, outcome::full);
    EXPECT_EQ(failed.result.message, 77);
    EXPECT_EQ(failed.next, channel);
  }
}

TEST(channel_model, try_send_on_a_rendezvous_in_one_thread_reports_full) {
  // SPEC R4, R18
  step failed = only(make_bounded(0), make_op(op_kind::try_send, 3));
  EXPECT_EQ(failed.result.what, outcome::full);
  EXPECT_EQ(failed.result.message, 3);
}

TEST(channel_model, try_send_reports_disconnected_before_full) {
  // SPEC R4
  state channel = with_buffer(make_bounded(1), {1});
  channel = apply(channel, make_op(op_kind::close), outcome::ok);
  step failed = only(channel, make_op(op_kind::try_send, 2));
  EXPECT_EQ(failed.result.what, outcome::disconnected);
  EXPECT_EQ(failed.result.message, 2);
  // Rendezvous: no receiver waiting and disconnected; disconnected wins.
  state rendezvous = apply(make_bounded(0), make_op(op_kind::drop_receiver), outcome::ok);
  EXPECT_EQ(only(rendezvous, make_op(op_kind::try_send, 2)).result.what, outcome::disconnected);
}

// ---------------------------------------------------------------------------------------------
// R5, R8, R20: timed operations
// ---------------------------------------------------------------------------------------------

TEST(channel_model, timed_send_that_cannot_proceed_times_out_with_the_message) {
  // SPEC R5, R9, R20
  for (const state& channel : {with_buffer(make_bounded(1), {1}), make_bounded(0)}) {
    step failed = only(channel, timed(op_kind::send_timed, timing::expires, 8));
    EXPECT_EQ(failed.result.what, outcome::timeout);
    EXPECT_EQ(failed.result.message, 8);
    EXPECT_EQ(failed.next, channel);
  }
}

TEST(channel_model, timed_send_with_room_succeeds_whatever_the_deadline) {
  // SPEC R5, R20
  for (const state& fresh : buffered_flavors()) {
    for (timing deadline : {timing::expires, timing::never_expires}) {
      EXPECT_EQ(apply(fresh, timed(op_kind::send_timed, deadline, 1), outcome::ok).buffer.front(), 1);
    }
  }
}

TEST(channel_model, timed_send_without_a_deadline_behaves_like_send) {
  // SPEC R5, R20 (KB5): the largest duration means no timeout, so it blocks like send.
  const state channel = with_buffer(make_bounded(1), {1});
  EXPECT_EQ(only(channel, timed(op_kind::send_timed, timing::never_expires, 2)).result.what, outcome::blocks);
  EXPECT_EQ(only(make_bounded(0), timed(op_kind::send_timed, timing::never_expires, 2)).result.what, outcome::blocks);
}

TEST(channel_model, timed_send_on_a_disconnected_channel_reports_disconnected_not_timeout) {
  // SPEC R5
  state channel = apply(with_buffer(make_bounded(1), {1}), make_op(op_kind::close), outcome::ok);
  step failed = only(channel, timed(op_kind::send_timed, timing::expires, 2));
  EXPECT_EQ(failed.result.what, outcome::disconnected);
  EXPECT_EQ(failed.result.message, 2);
}

TEST(channel_model, timed_recv_on_an_empty_connected_channel_times_out) {
  // SPEC R8, R20
  for (const state& channel : all_flavors()) {
    step failed = only(channel, timed(op_kind::recv_timed, timing::expires));
    EXPECT_EQ(failed.result.what, outcome::timeout);
    EXPECT_FALSE(failed.result.message.has_value());
    EXPECT_EQ(failed.next, channel);
  }
}

TEST(channel_model, timed_recv_without_a_deadline_behaves_like_recv) {
  // SPEC R8, R20 (KB5)
  for (const state& channel : all_flavors()) {
    EXPECT_EQ(only(channel, timed(op_kind::recv_timed, timing::never_expires)).result.what, outcome::blocks);
  }
}

TEST(channel_model, timed_recv_takes_an_available_message_even_if_the_deadline_passed) {
  // SPEC R8, R20
  for (const state& fresh : buffered_flavors()) {
    step received = only(with_buffer(fresh, {4}), timed(op_kind::recv_timed, timing::expires));
    EXPECT_EQ(received.result.what, outcome::ok);
    EXPECT_EQ(received.result.message, 4);
  }
}

TEST(channel_model, timed_recv_on_a_drained_disconnected_channel_reports_disconnected) {
  // SPEC R8, R10
  for (state channel : all_flavors()) {
    channel = apply(channel, make_op(op_kind::drop_sender), outcome::ok);
    EXPECT_EQ(only(channel, timed(op_kind::recv_timed, timing::expires)).result.what, outcome::disconnected);
    EXPECT_EQ(only(channel, timed(op_kind::recv_timed, timing::never_expires)).result.what, outcome::disconnected);
  }
}

// ---------------------------------------------------------------------------------------------
// R6, R7: recv and try_recv
// ---------------------------------------------------------------------------------------------

TEST(channel_model, recv_returns_the_oldest_message) {
  // SPEC R6, R13
  for (const state& fresh : buffered_flavors()) {
    state channel = with_buffer(fresh, {10});
    if (kind_of(channel) != flavor::array || *channel.capacity > 1) channel = with_buffer(channel, {11});
    step received = only(channel, make_op(op_kind::recv));
    EXPECT_EQ(received.result.what, outcome::ok);
    EXPECT_EQ(received.result.message, 10);
  }
}

TEST(channel_model, recv_on_an_empty_connected_channel_blocks) {
  // SPEC R6
  for (const state& channel : all_flavors()) {
    step blocked = only(channel, make_op(op_kind::recv));
    EXPECT_EQ(blocked.result.what, outcome::blocks);
    EXPECT_EQ(blocked.next, channel);
  }
}

TEST(channel_model, try_recv_on_an_empty_connected_channel_reports_empty) {
  // SPEC R7
  for (const state& channel : all_flavors()) {
    step failed = only(channel, make_op(op_kind::try_recv));
    EXPECT_EQ(failed.result.what, outcome::empty);
    EXPECT_EQ(failed.next, channel);
  }
}

TEST(channel_model, every_receive_drains_before_reporting_that_the_last_sender_is_gone) {
  // SPEC R7, R10, R6 (KB13, KB22)
  for (const state& fresh : buffered_flavors()) {
    for (op_kind kind : recv_kinds) {
      state channel = with_buffer(fresh, {1});
      channel = apply(channel, make_op(op_kind::drop_sender), outcome::ok);
      step received = only(channel, make_op(kind));
      EXPECT_EQ(received.result.what, outcome::ok) << to_string(kind);
      EXPECT_EQ(received.result.message, 1);
      EXPECT_EQ(only(received.next, make_op(kind)).result.what, outcome::disconnected) << to_string(kind);
    }
  }
}

TEST(channel_model, every_receive_drains_before_reporting_a_close) {
  // SPEC R7, R12 (KB13)
  for (const state& fresh : buffered_flavors()) {
    state channel = apply(with_buffer(fresh, {1}), make_op(op_kind::close), outcome::ok);
    step received = only(channel, make_op(op_kind::try_recv));
    EXPECT_EQ(received.result.message, 1);
    EXPECT_EQ(only(received.next, make_op(op_kind::try_recv)).result.what, outcome::disconnected);
    EXPECT_EQ(only(received.next, make_op(op_kind::recv)).result.what, outcome::disconnected);
  }
}

// ---------------------------------------------------------------------------------------------
// R10, R11, R12: disconnection
// ---------------------------------------------------------------------------------------------

TEST(channel_model, only_the_last_sender_disconnects) {
  // SPEC R10, R21
  for (state channel : all_flavors()) {
    channel = apply(channel, make_op(op_kind::clone_sender), outcome::ok);
    channel = apply(channel, make_op(op_kind::drop_sender), outcome::ok);
    EXPECT_FALSE(query(channel).is_disconnected);
    EXPECT_EQ(only(channel, make_op(op_kind::try_recv)).result.what, outcome::empty);
    channel = apply(channel, make_op(op_kind::drop_sender), outcome::ok);
    EXPECT_TRUE(query(channel).is_disconnected);
    EXPECT_EQ(only(channel, make_op(op_kind::try_recv)).result.what, outcome::disconnected);
  }
}

TEST(channel_model, last_sender_gone_keeps_buffered_messages_for_the_receivers) {
  // SPEC R10
  for (const state& fresh : buffered_flavors()) {
    state channel = apply(with_buffer(fresh, {1}), make_op(op_kind::drop_sender), outcome::ok);
    EXPECT_EQ(channel.buffer, std::deque<int>{1});
    EXPECT_TRUE(channel.destroyed.empty());
  }
}

TEST(channel_model, last_receiver_gone_destroys_every_buffered_message_at_once) {
  // SPEC R11, R25 (KB6)
  for (const state& fresh : buffered_flavors()) {
    state channel = with_buffer(fresh, {1});
    if (kind_of(channel) != flavor::array || *channel.capacity > 1) channel = with_buffer(channel, {2});
    const std::deque<int> buffered = channel.buffer;
    channel = apply(channel, make_op(op_kind::drop_receiver), outcome::ok);
    EXPECT_TRUE(channel.buffer.empty());
    EXPECT_EQ(channel.destroyed, std::vector<int>(buffered.begin(), buffered.end()));
    EXPECT_EQ(channel.senders, 1u) << "the senders are still alive: destruction did not wait for them";
    EXPECT_TRUE(query(channel).is_disconnected);
  }
}

TEST(channel_model, a_receiver_that_is_not_the_last_destroys_nothing) {
  // SPEC R11, R21
  for (const state& fresh : buffered_flavors()) {
    state channel = apply(with_buffer(fresh, {1}), make_op(op_kind::clone_receiver), outcome::ok);
    channel = apply(channel, make_op(op_kind::drop_receiver), outcome::ok);
    EXPECT_EQ(channel.buffer, std::deque<int>{1});
    EXPECT_TRUE(channel.destroyed.empty());
    EXPECT_FALSE(query(channel).is_disconnected);
  }
}

TEST(channel_model, close_refuses_sends_destroys_nothing_and_reports_disconnected) {
  // SPEC R12
  for (const state& fresh : buffered_flavors()) {
    const state buffered = with_buffer(fresh, {1});
    state channel = apply(buffered, make_op(op_kind::close), outcome::ok);
    EXPECT_EQ(channel.buffer, buffered.buffer);
    EXPECT_TRUE(channel.destroyed.empty());
    EXPECT_TRUE(query(channel).is_disconnected);
    EXPECT_EQ(channel.senders, 1u);
    EXPECT_EQ(channel.receivers, 1u);
    for (op_kind kind : send_kinds) {
      step failed = only(channel, make_op(kind, 5));
      EXPECT_EQ(failed.result.what, outcome::disconnected);
      EXPECT_EQ(failed.result.message, 5);
    }
  }
}

TEST(channel_model, close_is_idempotent) {
  // SPEC R12
  for (const state& fresh : all_flavors()) {
    const state once = apply(fresh, make_op(op_kind::close), outcome::ok);
    EXPECT_EQ(apply(once, make_op(op_kind::close), outcome::ok), once);
  }
}

TEST(channel_model, after_close_the_last_receiver_still_destroys_what_is_buffered) {
  // SPEC R12, R11 (KB6)
  for (const state& fresh : buffered_flavors()) {
    state channel = apply(with_buffer(fresh, {3}), make_op(op_kind::close), outcome::ok);
    channel = apply(channel, make_op(op_kind::drop_receiver), outcome::ok);
    EXPECT_EQ(channel.destroyed, std::vector<int>{3});
  }
}

TEST(channel_model, close_of_a_rendezvous_makes_receives_report_disconnected) {
  // SPEC R12, R6, R7
  state channel = apply(make_bounded(0), make_op(op_kind::close), outcome::ok);
  for (op_kind kind : recv_kinds) EXPECT_EQ(only(channel, make_op(kind)).result.what, outcome::disconnected);
}

// ---------------------------------------------------------------------------------------------
// R13: order
// ---------------------------------------------------------------------------------------------

TEST(channel_model, buffered_channels_deliver_in_sending_order) {
  // SPEC R13
  for (const state& fresh : {make_bounded(5), make_unbounded()}) {
    state channel = with_buffer(fresh, {1, 2, 3, 4, 5});
    for (int expected = 1; expected <= 5; ++expected) {
      step received = only(channel, make_op(op_kind::try_recv));
      EXPECT_EQ(received.result.message, expected);
      channel = received.next;
    }
  }
}

TEST(channel_model, rendezvous_receive_may_pair_with_any_parked_sender) {
  // SPEC R13, R18: parked senders are different threads; R13 orders only one sender's messages.
  state channel = apply(make_bounded(0), make_op(op_kind::clone_sender), outcome::ok);
  channel = apply(channel, make_op(op_kind::clone_sender), outcome::ok);
  channel = apply(channel, make_op(op_kind::peer_send, 1), outcome::blocks);
  channel = apply(channel, make_op(op_kind::peer_send, 2), outcome::blocks);
  std::vector<step> steps = allowed(channel, make_op(op_kind::try_recv));
  ASSERT_EQ(steps.size(), 2u);
  std::vector<int> taken;
  for (const step& candidate : steps) {
    EXPECT_EQ(candidate.result.what, outcome::ok);
    taken.push_back(candidate.result.message.value());
    EXPECT_EQ(candidate.next.waiting_senders.size(), 1u);
    EXPECT_TRUE(valid(candidate.next));
  }
  std::sort(taken.begin(), taken.end());
  EXPECT_EQ(taken, (std::vector<int>{1, 2}));
}

// ---------------------------------------------------------------------------------------------
// R18: rendezvous with peers
// ---------------------------------------------------------------------------------------------

TEST(channel_model, rendezvous_send_completes_only_by_handing_to_a_waiting_receiver) {
  // SPEC R18, R4 (KB23)
  state channel = apply(make_bounded(0), make_op(op_kind::clone_receiver), outcome::ok);
  channel = apply(channel, make_op(op_kind::peer_recv), outcome::blocks);
  EXPECT_EQ(channel.waiting_receivers, 1u);
  for (op_kind kind : send_kinds) {
    step sent = only(channel, make_op(kind, 6));
    EXPECT_EQ(sent.result.what, outcome::ok) << to_string(kind);
    EXPECT_EQ(sent.next.peer_received, std::vector<int>{6});
    EXPECT_EQ(sent.next.waiting_receivers, 0u);
    EXPECT_TRUE(sent.next.buffer.empty());
    // The waiting receiver is used up: the next try_send finds nobody.
    EXPECT_EQ(only(sent.next, make_op(op_kind::try_send, 7)).result.what, outcome::full);
  }
}

TEST(channel_model, rendezvous_receive_takes_a_parked_senders_message) {
  // SPEC R18, R6, R7
  state channel = apply(make_bounded(0), make_op(op_kind::clone_sender), outcome::ok);
  channel = apply(channel, make_op(op_kind::peer_send, 12), outcome::blocks);
  EXPECT_EQ(channel.waiting_senders, std::deque<int>{12});
  EXPECT_TRUE(query(channel).empty) << "a parked sender's message is not buffered";
  for (op_kind kind : recv_kinds) {
    step received = only(channel, make_op(kind));
    EXPECT_EQ(received.result.what, outcome::ok);
    EXPECT_EQ(received.result.message, 12);
    EXPECT_TRUE(received.next.waiting_senders.empty());
  }
}

TEST(channel_model, peers_pair_with_each_other_at_once) {
  // SPEC R18
  state channel = apply(make_bounded(0), make_op(op_kind::clone_sender), outcome::ok);
  channel = apply(channel, make_op(op_kind::clone_receiver), outcome::ok);
  channel = apply(channel, make_op(op_kind::peer_send, 1), outcome::blocks);
  step received = only(channel, make_op(op_kind::peer_recv));
  EXPECT_EQ(received.result.what, outcome::ok);
  EXPECT_EQ(received.result.message, 1);
  EXPECT_EQ(received.next.peer_received, std::vector<int>{1});
  state reverse = apply(channel, make_op(op_kind::try_recv), outcome::ok);
  reverse = apply(reverse, make_op(op_kind::peer_recv), outcome::blocks);
  step sent = only(reverse, make_op(op_kind::peer_send, 2));
  EXPECT_EQ(sent.result.what, outcome::ok);
  EXPECT_EQ(sent.next.peer_received, std::vector<int>{2});
}

TEST(channel_model, disconnection_wakes_parked_rendezvous_peers) {
  // SPEC R10, R11, R12, R9
  state senders_parked = apply(make_bounded(0), make_op(op_kind::clone_sender), outcome::ok);
  senders_parked = apply(senders_parked, make_op(op_kind::peer_send, 21), outcome::blocks);
  // The last receiver goes: the parked sender gets its message back; nothing is destroyed.
  state after_drop = apply(senders_parked, make_op(op_kind::drop_receiver), outcome::ok);
  EXPECT_EQ(after_drop.returned_to_peers, std::vector<int>{21});
  EXPECT_TRUE(after_drop.destroyed.empty());
  // close does the same.
  EXPECT_EQ(apply(senders_parked, make_op(op_kind::close), outcome::ok).returned_to_peers, std::vector<int>{21});

  state receivers_parked = apply(make_bounded(0), make_op(op_kind::clone_receiver), outcome::ok);
  receivers_parked = apply(receivers_parked, make_op(op_kind::peer_recv), outcome::blocks);
  EXPECT_EQ(apply(receivers_parked, make_op(op_kind::drop_sender), outcome::ok).waiting_receivers, 0u);
  EXPECT_EQ(apply(receivers_parked, make_op(op_kind::close), outcome::ok).waiting_receivers, 0u);
}

TEST(channel_model, peers_on_a_disconnected_rendezvous_return_at_once) {
  // SPEC R10, R11, R18
  state no_receiver = apply(make_bounded(0), make_op(op_kind::clone_sender), outcome::ok);
  no_receiver = apply(no_receiver, make_op(op_kind::drop_receiver), outcome::ok);
  step refused = only(no_receiver, make_op(op_kind::peer_send, 4));
  EXPECT_EQ(refused.result.what, outcome::disconnected);
  EXPECT_EQ(refused.result.message, 4);
  state no_sender = apply(make_bounded(0), make_op(op_kind::clone_receiver), outcome::ok);
  no_sender = apply(no_sender, make_op(op_kind::drop_sender), outcome::ok);
  EXPECT_EQ(only(no_sender, make_op(op_kind::peer_recv)).result.what, outcome::disconnected);
}

TEST(channel_model, peers_are_outside_the_model_on_buffered_channels) {
  // SPEC R18
  for (const state& channel : buffered_flavors()) {
    EXPECT_TRUE(allowed(channel, make_op(op_kind::peer_send, 1)).empty());
    EXPECT_TRUE(allowed(channel, make_op(op_kind::peer_recv)).empty());
  }
}

TEST(channel_model, a_parked_peer_holds_its_handle) {
  // SPEC R21, R18: the driver cannot use or drop a handle a parked peer is blocked in.
  state channel = apply(make_bounded(0), make_op(op_kind::peer_send, 1), outcome::blocks);
  EXPECT_TRUE(allowed(channel, make_op(op_kind::try_send, 2)).empty());
  EXPECT_TRUE(allowed(channel, make_op(op_kind::drop_sender)).empty());
  EXPECT_TRUE(allowed(channel, make_op(op_kind::clone_sender)).empty());
  EXPECT_FALSE(allowed(channel, make_op(op_kind::try_recv)).empty());
}

// ---------------------------------------------------------------------------------------------
// R21, R22: handles
// ---------------------------------------------------------------------------------------------

TEST(channel_model, copies_and_drops_change_the_handle_counts) {
  // SPEC R21
  for (state channel : all_flavors()) {
    channel = apply(channel, make_op(op_kind::clone_sender), outcome::ok);
    channel = apply(channel, make_op(op_kind::clone_sender), outcome::ok);
    channel = apply(channel, make_op(op_kind::clone_receiver), outcome::ok);
    snapshot counts = query(channel);
    EXPECT_EQ(counts.sender_count, 3u);
    EXPECT_EQ(counts.receiver_count, 2u);
    channel = apply(channel, make_op(op_kind::drop_sender), outcome::ok);
    channel = apply(channel, make_op(op_kind::drop_receiver), outcome::ok);
    counts = query(channel);
    EXPECT_EQ(counts.sender_count, 2u);
    EXPECT_EQ(counts.receiver_count, 1u);
    EXPECT_FALSE(counts.is_disconnected);
  }
}

TEST(channel_model, copying_a_handle_never_reconnects_a_channel) {
  // SPEC R21, R12
  for (state channel : all_flavors()) {
    channel = apply(channel, make_op(op_kind::close), outcome::ok);
    channel = apply(channel, make_op(op_kind::clone_sender), outcome::ok);
    channel = apply(channel, make_op(op_kind::clone_receiver), outcome::ok);
    EXPECT_TRUE(query(channel).is_disconnected);
    EXPECT_EQ(only(channel, make_op(op_kind::try_send, 1)).result.what, outcome::disconnected);
  }
}

TEST(channel_model, operations_without_a_live_handle_are_outside_the_model) {
  // SPEC R21, R22: once a side's last handle is gone, only an empty handle can make the call.
  for (state channel : all_flavors()) {
    state no_senders = apply(channel, make_op(op_kind::drop_sender), outcome::ok);
    for (op_kind kind : send_kinds) EXPECT_TRUE(allowed(no_senders, make_op(kind, 1)).empty());
    EXPECT_TRUE(allowed(no_senders, make_op(op_kind::clone_sender)).empty());
    EXPECT_TRUE(allowed(no_senders, make_op(op_kind::drop_sender)).empty());
    state no_receivers = apply(channel, make_op(op_kind::drop_receiver), outcome::ok);
    for (op_kind kind : recv_kinds) EXPECT_TRUE(allowed(no_receivers, make_op(kind)).empty());
    EXPECT_TRUE(allowed(no_receivers, make_op(op_kind::clone_receiver)).empty());
    EXPECT_TRUE(allowed(no_receivers, make_op(op_kind::drop_receiver)).empty());
    state freed = apply(no_receivers, make_op(op_kind::drop_sender), outcome::ok);
    EXPECT_TRUE(allowed(freed, make_op(op_kind::close)).empty());
    EXPECT_TRUE(allowed(freed, make_op(op_kind::query)).empty());
  }
}

TEST(channel_model, every_operation_on_an_empty_handle_but_copy_and_reset_reports_empty_handle) {
  // SPEC R22
  const op_kind throwing[] = {op_kind::send,     op_kind::try_send,   op_kind::send_timed, op_kind::recv,
                              op_kind::try_recv, op_kind::recv_timed, op_kind::close,      op_kind::query};
  for (const state& channel : all_flavors()) {
    for (op_kind kind : throwing) {
      step failed = only(channel, on_empty_handle(kind));
      EXPECT_EQ(failed.result.what, outcome::empty_handle) << to_string(kind);
      EXPECT_FALSE(failed.result.message.has_value());
      EXPECT_EQ(failed.next, channel);
    }
  }
}

TEST(channel_model, copying_or_resetting_an_empty_handle_changes_nothing) {
  // SPEC R22
  const op_kind harmless[] = {op_kind::clone_sender, op_kind::clone_receiver, op_kind::drop_sender,
                              op_kind::drop_receiver};
  for (const state& channel : all_flavors()) {
    for (op_kind kind : harmless) {
      step done = only(channel, on_empty_handle(kind));
      EXPECT_EQ(done.result.what, outcome::ok) << to_string(kind);
      EXPECT_EQ(done.next, channel);
    }
    EXPECT_TRUE(allowed(channel, on_empty_handle(op_kind::peer_send)).empty());
  }
}

// ---------------------------------------------------------------------------------------------
// R24: allocation failure
// ---------------------------------------------------------------------------------------------

TEST(channel_model, unbounded_send_with_a_failing_allocator_may_fail_and_then_changes_nothing) {
  // SPEC R24, R9
  const state channel = with_buffer(make_unbounded(), {1, 2});
  for (op_kind kind : send_kinds) {
    operation call = make_op(kind, 3);
    call.allocation_fails = true;
    std::vector<step> steps = allowed(channel, call);
    ASSERT_EQ(steps.size(), 2u);
    EXPECT_EQ(steps[0].result.what, outcome::ok);
    EXPECT_EQ(steps[0].next.buffer, (std::deque<int>{1, 2, 3}));
    EXPECT_EQ(steps[1].result.what, outcome::out_of_memory);
    EXPECT_EQ(steps[1].result.message, 3);
    EXPECT_EQ(steps[1].next, channel) << "nothing already sent is lost or changed";
  }
}

TEST(channel_model, bounded_and_rendezvous_sends_never_allocate) {
  // SPEC R24
  operation call = make_op(op_kind::try_send, 1);
  call.allocation_fails = true;
  EXPECT_EQ(only(make_bounded(2), call).result.what, outcome::ok);
  EXPECT_EQ(only(make_bounded(0), call).result.what, outcome::full);
}

TEST(channel_model, disconnection_is_reported_before_an_allocation_is_tried) {
  // SPEC R24, R3
  operation call = make_op(op_kind::send, 1);
  call.allocation_fails = true;
  const state channel = apply(make_unbounded(), make_op(op_kind::close), outcome::ok);
  EXPECT_EQ(only(channel, call).result.what, outcome::disconnected);
}

// ---------------------------------------------------------------------------------------------
// R26: queries
// ---------------------------------------------------------------------------------------------

TEST(channel_model, queries_of_a_rendezvous_report_size_zero_empty_and_full) {
  // SPEC R26
  snapshot answer = query(make_bounded(0));
  EXPECT_EQ(answer.size, 0u);
  EXPECT_TRUE(answer.empty);
  EXPECT_TRUE(answer.full);
  EXPECT_EQ(answer.capacity, std::optional<std::size_t>{0});
  EXPECT_FALSE(answer.is_disconnected);
}

TEST(channel_model, queries_of_a_bounded_channel_follow_its_buffer) {
  // SPEC R26
  state channel = make_bounded(2);
  EXPECT_EQ(query(channel).capacity, std::optional<std::size_t>{2});
  EXPECT_TRUE(query(channel).empty);
  EXPECT_FALSE(query(channel).full);
  channel = with_buffer(channel, {1});
  EXPECT_EQ(query(channel).size, 1u);
  EXPECT_FALSE(query(channel).empty);
  EXPECT_FALSE(query(channel).full);
  channel = with_buffer(channel, {2});
  EXPECT_EQ(query(channel).size, 2u);
  EXPECT_TRUE(query(channel).full);
}

TEST(channel_model, queries_of_an_unbounded_channel_report_no_capacity_and_never_full) {
  // SPEC R26 (KB21): the model has no blocks, so it is the reference at every block boundary.
  state channel = make_unbounded();
  EXPECT_EQ(query(channel).capacity, std::nullopt);
  for (int i = 0; i < 100; ++i) {
    channel = apply(channel, make_op(op_kind::send, i), outcome::ok);
    snapshot answer = query(channel);
    EXPECT_EQ(answer.size, static_cast<std::size_t>(i + 1));
    EXPECT_FALSE(answer.empty);
    EXPECT_FALSE(answer.full);
  }
  for (int i = 99; i >= 0; --i) {
    channel = apply(channel, make_op(op_kind::recv), outcome::ok);
    EXPECT_EQ(query(channel).size, static_cast<std::size_t>(i));
    EXPECT_EQ(query(channel).empty, i == 0);
  }
}

TEST(channel_model, is_disconnected_reports_each_way_of_disconnecting) {
  // SPEC R26, R10, R11, R12
  for (const state& fresh : all_flavors()) {
    EXPECT_FALSE(query(fresh).is_disconnected);
    EXPECT_TRUE(query(apply(fresh, make_op(op_kind::close), outcome::ok)).is_disconnected);
    EXPECT_TRUE(query(apply(fresh, make_op(op_kind::drop_sender), outcome::ok)).is_disconnected);
    EXPECT_TRUE(query(apply(fresh, make_op(op_kind::drop_receiver), outcome::ok)).is_disconnected);
  }
}

// ---------------------------------------------------------------------------------------------
// The model's own machinery: valid(), follow(), names
// ---------------------------------------------------------------------------------------------

TEST(channel_model, valid_rejects_states_the_spec_makes_impossible) {
  // SPEC R1, R11, R26
  state over_capacity = make_bounded(1);
  over_capacity.buffer = {1, 2};
  EXPECT_FALSE(valid(over_capacity));
  state buffered_rendezvous = make_bounded(0);
  buffered_rendezvous.buffer = {1};
  EXPECT_FALSE(valid(buffered_rendezvous));
  state kept_after_last_receiver = make_unbounded();
  kept_after_last_receiver.buffer = {1};
  kept_after_last_receiver.receivers = 0;
  EXPECT_FALSE(valid(kept_after_last_receiver));
  state peer_on_buffered = make_bounded(2);
  peer_on_buffered.waiting_receivers = 1;
  EXPECT_FALSE(valid(peer_on_buffered));
  state unpaired = make_bounded(0);
  unpaired.senders = 2;
  unpaired.receivers = 2;
  unpaired.waiting_senders = {1};
  unpaired.waiting_receivers = 1;
  EXPECT_FALSE(valid(unpaired));
  state closed_with_parked_sender = make_bounded(0);
  closed_with_parked_sender.senders = 2;
  closed_with_parked_sender.waiting_senders = {1};
  closed_with_parked_sender.closed = true;
  EXPECT_FALSE(valid(closed_with_parked_sender));
  for (const state& fresh : all_flavors()) EXPECT_TRUE(valid(fresh));
}

TEST(channel_model, follow_accepts_exactly_the_allowed_results) {
  // SPEC R7, R24
  const state channel = with_buffer(make_unbounded(), {1});
  std::optional<state> next = follow(channel, make_op(op_kind::try_recv), result{outcome::ok, 1, std::nullopt});
  ASSERT_TRUE(next.has_value());
  EXPECT_TRUE(next->buffer.empty());
  EXPECT_FALSE(follow(channel, make_op(op_kind::try_recv), result{outcome::ok, 2, std::nullopt}).has_value());
  EXPECT_FALSE(follow(channel, make_op(op_kind::try_recv), result{outcome::empty, {}, std::nullopt}).has_value());
  operation failing = make_op(op_kind::send, 2);
  failing.allocation_fails = true;
  EXPECT_EQ(follow(channel, failing, result{outcome::out_of_memory, 2, std::nullopt}), channel);
}

TEST(channel_model, every_outcome_and_operation_has_a_name) {
  // SPEC R3, R6
  for (outcome what : {outcome::ok, outcome::full, outcome::timeout, outcome::disconnected, outcome::empty,
                       outcome::out_of_memory, outcome::blocks, outcome::empty_handle}) {
    EXPECT_NE(to_string(what), "unknown");
  }
  for (int kind = 0; kind <= static_cast<int>(op_kind::peer_recv); ++kind) {
    EXPECT_NE(to_string(static_cast<op_kind>(kind)), "unknown");
  }
}

// ---------------------------------------------------------------------------------------------
// Selection and timers (R30-R43)
// ---------------------------------------------------------------------------------------------

TEST(channel_model, a_buffered_receive_is_ready_with_a_message_or_disconnected) {
  // SPEC R30, R32, R10
  for (const state& fresh : buffered_flavors()) {
    EXPECT_EQ(select_ready(fresh, direction::recv), readiness::no);
    const state holding = with_buffer(fresh, {7});
    EXPECT_EQ(select_ready(holding, direction::recv), readiness::yes);
    state closed = apply(fresh, make_op(op_kind::close), outcome::ok);
    EXPECT_EQ(select_ready(closed, direction::recv), readiness::yes);
    state no_sender = apply(fresh, make_op(op_kind::drop_sender), outcome::ok);
    EXPECT_EQ(select_ready(no_sender, direction::recv), readiness::yes);
    // The buffered message is selected before disconnection is reported (R10).
    state drained = apply(holding, make_op(op_kind::close), outcome::ok);
    const step first = selected_recv(drained).at(0);
    EXPECT_EQ(first.result, (result{outcome::ok, 7, {}}));
    EXPECT_EQ(selected_recv(first.next).at(0).result.what, outcome::disconnected);
  }
}

TEST(channel_model, a_send_is_ready_with_room_or_disconnected) {
  // SPEC R30, R32
  for (const state& fresh : buffered_flavors()) EXPECT_EQ(select_ready(fresh, direction::send), readiness::yes);
  state full = with_buffer(make_bounded(1), {1});
  EXPECT_EQ(select_ready(full, direction::send), readiness::no);
  EXPECT_TRUE(completed_send(full, 2).empty()) << "no steps for an operation that was not ready";
  state gone = apply(full, make_op(op_kind::drop_receiver), outcome::ok);
  EXPECT_EQ(select_ready(gone, direction::send), readiness::yes);
  EXPECT_EQ(completed_send(gone, 2).at(0).result, (result{outcome::disconnected, 2, {}}));
  state long_list = make_unbounded();
  for (int message = 0; message < 100; ++message) long_list = with_buffer(long_list, {message});
  EXPECT_EQ(select_ready(long_list, direction::send), readiness::yes);
}

TEST(channel_model, a_rendezvous_operation_is_ready_only_through_another_thread_or_disconnection) {
  // SPEC R35, R32, R18
  const state fresh = make_bounded(0);
  EXPECT_EQ(select_ready(fresh, direction::send), readiness::no) << "a selection never pairs with itself";
  EXPECT_EQ(select_ready(fresh, direction::recv), readiness::no);
  const state receiver_parked = only(fresh, make_op(op_kind::peer_recv)).next;
  EXPECT_EQ(select_ready(receiver_parked, direction::send), readiness::yes);
  EXPECT_EQ(select_ready(receiver_parked, direction::recv), readiness::no);
  const step handed = completed_send(receiver_parked, 5).at(0);
  EXPECT_EQ(handed.result.what, outcome::ok);
  EXPECT_EQ(handed.next.peer_received, std::vector<int>{5});
  EXPECT_EQ(abandoned_send(receiver_parked).at(0).next, receiver_parked) << "the peer goes back to waiting (R34)";
  const state sender_parked = only(fresh, make_op(op_kind::peer_send, 9)).next;
  EXPECT_EQ(select_ready(sender_parked, direction::recv), readiness::yes);
  EXPECT_EQ(select_ready(sender_parked, direction::send), readiness::no);
  const state closed = apply(fresh, make_op(op_kind::close), outcome::ok);
  EXPECT_EQ(select_ready(closed, direction::send), readiness::yes);
  EXPECT_EQ(select_ready(closed, direction::recv), readiness::yes);
}

TEST(channel_model, an_abandoned_receive_destroys_its_message_and_an_abandoned_send_changes_nothing) {
  // SPEC R34
  for (const state& fresh : buffered_flavors()) {
    const state holding = with_buffer(fresh, {3});
    const step dropped = abandoned_recv(holding).at(0);
    EXPECT_EQ(dropped.result, (result{outcome::ok, 3, {}}));
    EXPECT_EQ(dropped.next.abandoned_receives, std::vector<int>{3});
    EXPECT_TRUE(dropped.next.buffer.empty());
    EXPECT_TRUE(dropped.next.destroyed.empty()) << "destroyed by the abandonment, not by the channel";
    EXPECT_EQ(abandoned_send(fresh).at(0).next, fresh) << "nothing sent, the room still there";
    const state closed = apply(fresh, make_op(op_kind::close), outcome::ok);
    const step nothing = abandoned_recv(closed).at(0);
    EXPECT_EQ(nothing.result.what, outcome::disconnected);
    EXPECT_TRUE(nothing.next.abandoned_receives.empty());
  }
  const state sender_parked = only(make_bounded(0), make_op(op_kind::peer_send, 9)).next;
  const step taken = abandoned_recv(sender_parked).at(0);
  EXPECT_TRUE(taken.next.waiting_senders.empty()) << "the peer's send completed";
  EXPECT_EQ(taken.next.abandoned_receives, std::vector<int>{9});
}

TEST(channel_model, a_selection_returns_a_ready_operation_and_finds_nothing_only_if_none_is_certain) {
  // SPEC R30, R31
  const std::vector<readiness> ready{readiness::no, readiness::maybe, readiness::yes, readiness::yes};
  EXPECT_FALSE(may_select(ready, 0, false));
  EXPECT_TRUE(may_select(ready, 1, false));
  EXPECT_TRUE(may_select(ready, 3, false));
  EXPECT_FALSE(may_select(ready, 4, false)) << "no such operation";
  EXPECT_TRUE(may_select(ready, 1, true)) << "a maybe may be passed over or taken";
  EXPECT_TRUE(may_select(ready, 2, true));
  EXPECT_FALSE(may_select(ready, 3, true)) << "the biased mode takes the first certainly ready one";
  EXPECT_FALSE(may_find_nothing(ready));
  EXPECT_TRUE(may_find_nothing({readiness::no, readiness::maybe}));
  EXPECT_TRUE(may_find_nothing({}));
  EXPECT_TRUE(returns_without_help({readiness::no, readiness::maybe}));
  EXPECT_FALSE(returns_without_help({readiness::no}));
  EXPECT_FALSE(returns_without_help({})) << "an empty selection blocks forever";
}

TEST(channel_model, a_one_shot_timer_delivers_one_message_when_due_and_then_nothing) {
  // SPEC R40, R43
  timer_state due = make_timer_once(timer_due::now);
  EXPECT_EQ(timer_ready(due), readiness::yes);
  const std::vector<timer_step> steps = timer_receive(due);
  ASSERT_EQ(steps.size(), 1u);
  EXPECT_TRUE(steps[0].received);
  EXPECT_EQ(timer_ready(steps[0].next), readiness::no);
  EXPECT_FALSE(timer_receive(steps[0].next).at(0).received) << "empty forever after its one message";
  EXPECT_EQ(timer_ready(make_timer_once(timer_due::never)), readiness::no);
  const timer_state soon = make_timer_once(timer_due::unknown);
  EXPECT_EQ(timer_ready(soon), readiness::maybe);
  EXPECT_EQ(timer_receive(soon).size(), 2u) << "empty, or its message";
  EXPECT_EQ(timer_ready(seen_due(soon)), readiness::yes) << "once due, due until received";
}

TEST(channel_model, a_tick_rearms_and_never_is_never_ready) {
  // SPEC R41, R42, R44
  const timer_state ticks = make_timer_tick(timer_due::unknown);
  const timer_step taken = timer_receive(seen_due(ticks)).at(0);
  EXPECT_TRUE(taken.received);
  EXPECT_EQ(timer_ready(taken.next), readiness::maybe) << "the next tick is a period away";
  EXPECT_EQ(timer_ready(make_timer_tick(timer_due::never)), readiness::no);
  const timer_state off = make_never();
  EXPECT_EQ(timer_ready(off), readiness::no);
  EXPECT_EQ(off.capacity, 0u);
  EXPECT_EQ(seen_due(off), off);
  EXPECT_EQ(to_string(readiness::maybe), "maybe");
}

// ---------------------------------------------------------------------------------------------
// Random walks: invariants and exactly-once accounting (R9, R13, R25)
// ---------------------------------------------------------------------------------------------

/// Every message offered to the channel, and where each one is now (see the model's header).
struct ledger {
  std::vector<int> offered;
  std::vector<int> driver_received;
  std::vector<int> handed_back;  // failed sends' results, to the driver or to a peer at once

  [[nodiscard]] std::vector<int> accounted(const state& channel) const {
    std::vector<int> all = driver_received;
    all.insert(all.end(), handed_back.begin(), handed_back.end());
    all.insert(all.end(), channel.buffer.begin(), channel.buffer.end());
    all.insert(all.end(), channel.waiting_senders.begin(), channel.waiting_senders.end());
    all.insert(all.end(), channel.destroyed.begin(), channel.destroyed.end());
    all.insert(all.end(), channel.peer_received.begin(), channel.peer_received.end());
    all.insert(all.end(), channel.returned_to_peers.begin(), channel.returned_to_peers.end());
    all.insert(all.end(), channel.abandoned_receives.begin(), channel.abandoned_receives.end());
    std::sort(all.begin(), all.end());
    return all;
  }
};

bool is_send(op_kind kind) {
  return kind == op_kind::send || kind == op_kind::try_send || kind == op_kind::send_timed ||
         kind == op_kind::peer_send;
}

/// Runs `length` random operations from `fresh`, choosing among allowed steps at random, and
/// checks after every step: valid(), every message in exactly one place, and (buffered
/// flavors) messages received by the driver in the order they were sent.
void random_walk(const state& fresh, unsigned seed, int length) {
  std::mt19937 random(seed);
  state channel = fresh;
  ledger book;
  int next_message = 1;
  int last_driver_received = 0;
  for (int index = 0; index < length; ++index) {
    operation call = make_op(static_cast<op_kind>(random() % (static_cast<unsigned>(op_kind::peer_recv) + 1)));
    call.deadline = random() % 2 == 0 ? timing::expires : timing::never_expires;
    call.on_empty_handle = random() % 16 == 0;
    call.allocation_fails = random() % 4 == 0;
    // Keep the channel connected most of the time, so that the walk does not spend itself on a
    // dead channel: dropping a handle is rarer than copying one, and close is rarer still.
    if ((call.kind == op_kind::drop_sender || call.kind == op_kind::drop_receiver) && random() % 4 != 0) {
      call.kind = call.kind == op_kind::drop_receiver ? op_kind::clone_receiver : op_kind::clone_sender;
    }
    if (call.kind == op_kind::close && random() % 32 != 0) call.kind = op_kind::query;
    if (is_send(call.kind)) call.message = next_message;
    std::vector<step> steps = allowed(channel, call);
    if (steps.empty()) continue;  // outside the model's domain: a harness never issues it
    const step& taken = steps[random() % steps.size()];
    const result& answer = taken.result;
    ASSERT_TRUE(valid(taken.next)) << "step " << index << ": " << to_string(call.kind);

    const bool offered = is_send(call.kind) && answer.what != outcome::empty_handle &&
                         !(answer.what == outcome::blocks && call.kind != op_kind::peer_send);
    if (offered) {
      book.offered.push_back(call.message);
      ++next_message;
      if (answer.message) {
        book.handed_back.push_back(*answer.message);
        EXPECT_EQ(*answer.message, call.message) << "a handed-back message was changed (R9)";
      }
    }
    if (!is_send(call.kind) && call.kind != op_kind::peer_recv && answer.what == outcome::ok && answer.message) {
      book.driver_received.push_back(*answer.message);
      if (kind_of(channel) != flavor::zero) {
        EXPECT_GT(*answer.message, last_driver_received) << "out of order (R13)";
        last_driver_received = *answer.message;
      }
    }
    channel = taken.next;
    std::vector<int> expected = book.offered;
    std::sort(expected.begin(), expected.end());
    ASSERT_EQ(book.accounted(channel), expected) << "a message was lost or duplicated at step " << index;
  }
}

TEST(channel_model, random_walks_keep_the_invariants_and_account_for_every_message_once) {
  // SPEC R9, R25, R13
  unsigned seed = 1;
  for (int round = 0; round < 50; ++round) {
    for (const state& fresh : all_flavors()) random_walk(fresh, seed++, 400);
  }
}

}  // namespace
