// verify/relacy/select_claim_scenarios.hpp - a bounded channel's slot claimed by a selected send:
// given back or left as a hole when abandoned, and decided between the completion and the last
// receiver's discard. Included by scenarios.cpp.
#pragma once

#include "model_support.hpp"

#include <rill/selector.hpp>

namespace rill::verify {

// select_abandoned_send_contended: SPEC R34, R4, R26, R1. Capacity 2. Thread 0 selects a send
// and abandons it, then sends 7; thread 1 sends 8 meanwhile, so it may claim the slot after the
// selected one (the abandoned slot becomes a hole, A14) or not (the slot is given back by moving
// tail back, A3u, racing thread 1's claim of the same tail). Thread 2 receives twice and must
// get 7 and 8, once each, in thread 0's and thread 1's own orders; no hole is ever delivered.
struct select_abandoned_send_contended : rl::test_suite<select_abandoned_send_contended, 3> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, 2>());
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
      RILL_MODEL_ASSERT(channel->first.send(owned_message(7)).has_value());
    } else if (index == 1) {
      RILL_MODEL_ASSERT(channel->first.send(owned_message(8)).has_value());
    } else {
      int seen[2] = {0, 0};
      for (int round = 0; round < 2; ++round) {
        auto message = channel->second.recv();
        RILL_MODEL_ASSERT(message.has_value());
        const int value = message->value();
        RILL_MODEL_ASSERT(value == 7 || value == 8);
        ++seen[value - 7];
      }
      RILL_MODEL_ASSERT(seen[0] == 1 && seen[1] == 1);
    }
  }
};
RILL_SCENARIO_RANDOM_ONLY(select_abandoned_send_contended, "R34, R4, R26, R1");

// select_held_slot_try_operations: SPEC R19, R14, R26, R33. Capacity 1. Thread 0 selects a send,
// which claims the only slot, then, still holding it, tries a send (6) and a receive itself, and
// only then completes the send with 5. Neither try may wait for the selected send (R19): here its
// owner is the waiting thread, so a wait would never end (Relacy reports the livelock; it did
// before the fix). try_send must report full (the held slot takes the room, R26) and try_recv
// empty (R14's exception, R33). Thread 1 tries a receive meanwhile, racing the claim and the
// completion: it gets 5 or empty, and if it got 5 the channel is empty and a try_send of 7 must
// succeed. Checked in after(): the channel then holds exactly the message nobody received, once,
// with its payload (happens-before through A6/A8a).
struct select_held_slot_try_operations : rl::test_suite<select_held_slot_try_operations, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;
  bool received_five = false;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, 1>());
    received_five = false;
  }
  void after() {
    auto left = channel->second.try_recv();
    RILL_MODEL_ASSERT(left.has_value() && left->value() == (received_five ? 7 : 5));
    auto nothing = channel->second.try_recv();
    RILL_MODEL_ASSERT(!nothing.has_value() && nothing.error() == recv_error::empty);
    channel.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      selector selection;
      selection.send(channel->first);
      selected_operation chosen = selection.select();
      auto refused = channel->first.try_send(owned_message(6));
      RILL_MODEL_ASSERT(!refused.has_value() && refused.error().reason == send_errc::full);
      auto nothing = channel->second.try_recv();
      RILL_MODEL_ASSERT(!nothing.has_value() && nothing.error() == recv_error::empty);
      RILL_MODEL_ASSERT(chosen.send(channel->first, owned_message(5)).has_value());
    } else {
      auto message = channel->second.try_recv();
      if (message.has_value()) {
        RILL_MODEL_ASSERT(message->value() == 5);
        received_five = true;
        RILL_MODEL_ASSERT(channel->first.try_send(owned_message(7)).has_value());
      } else {
        RILL_MODEL_ASSERT(message.error() == recv_error::empty);
      }
    }
  }
};
RILL_SCENARIO(select_held_slot_try_operations, "R19, R14, R26, R33");

// select_send_vs_last_receiver: SPEC R34, R11, R33 (KB4, KB6). Capacity 2, message 1 buffered.
// Thread 0 selects a send and completes it with 5; thread 1 releases the last receiver, which
// destroys what is buffered without waiting for the selected slot. The completion and the
// discard race on the slot's select_claim word (A15): either the completion wins, writes 5 and
// the discard destroys it, or the discard wins and the completion reports `disconnected` with 5
// handed back. Relacy reports a leak, a double destruction or a hang (a discard waiting for the
// slot) as a failure.
struct select_send_vs_last_receiver : rl::test_suite<select_send_vs_last_receiver, 2> {
  std::optional<sender<owned_message>> tx;
  std::optional<receiver<owned_message>> rx;

  void before() {
    detail::sync::reset_virtual_time();
    auto [made_tx, made_rx] = make_channel<owned_message, 2>();
    RILL_MODEL_ASSERT(made_tx.try_send(owned_message(1)).has_value());
    tx.emplace(std::move(made_tx));
    rx.emplace(std::move(made_rx));
  }
  void after() {
    tx.reset();
    rx.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      selector selection;
      selection.send(*tx);
      selected_operation chosen = selection.select();
      auto sent = chosen.send(*tx, owned_message(5));
      if (!sent) {
        RILL_MODEL_ASSERT(sent.error().reason == send_errc::disconnected);
        RILL_MODEL_ASSERT(sent.error().message.value() == 5);
      }
    } else {
      rx.reset();
    }
  }
};
RILL_SCENARIO(select_send_vs_last_receiver, "R34, R11, R33, KB4, KB6");

}  // namespace rill::verify
