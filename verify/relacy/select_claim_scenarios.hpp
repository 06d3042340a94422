// verify/relacy/select_claim_scenarios.hpp - a bounded channel's slot claimed by a selected send:
// given back or left as a hole when abandoned, decided between the completion and the last
// receiver's discard, and waited for by blocked receivers, which park behind it until it is
// completed or abandoned. Included by scenarios.cpp.
#pragma once

#include "model_support.hpp"

#include <rill/select.hpp>
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

// How the waiter of select_held_slot_parks waits, and how the held send ends.
enum class held_slot_waiter { recv, select, ready };
enum class held_slot_ending { completed, hole, given_back };

// select_held_slot_parks_*: SPEC R19, R33, R34, R36. Thread 0 selects a send, which claims the
// next slot of the channel, raises a flag, and then ends the send. Thread 1 waits for the flag,
// so it reaches the held slot (or what replaced it), and waits for a message there: a blocking
// recv, a blocking select over the channel, or a readiness wait followed by try_recv. The
// endings:
//   completed   capacity 1: the send is completed with 5; the waiter gets 5. The completion's
//               publish (A16, site array.held_publish) is the X of the waker pattern for the
//               parked waiter, the waiter's look at the stamp (A18, array.held_recheck) its Y.
//   hole        capacity 2: thread 0 try_sends 6 into the slot after the held one (its notify
//               may wake the waiter, which must park again: 6 is not receivable before the held
//               slot), then abandons the selected send, which leaves a hole: its publish (A17,
//               array.hole_publish) is the X. The waiter skips the hole and gets 6.
//   given_back  capacity 1: nothing claimed past the slot, so the abandonment gives it back; the
//               channel is empty again and the waiter keeps waiting until thread 0 sends 7.
// A waiter that parks at the held slot must be woken: weakening (A16), (A17) or (A18) to acq_rel
// leaves it parked next to its message, which Relacy reports as a DEADLOCK. Before waiters parked
// there (they looked again for as long as the slot was held: 100% of a core, SPEC R19), every
// variant passed: the holder is never blocked, so the looking ends after a few of the
// scheduler's steps, far below Relacy's livelock limit (see tests/unit/held_slot_test.cpp for
// the check that measures it). Checked in after(): nothing else is left in the channel.
template <held_slot_waiter Waiter, held_slot_ending Ending>
struct select_held_slot_parks : rl::test_suite<select_held_slot_parks<Waiter, Ending>, 2> {
  static constexpr int capacity = Ending == held_slot_ending::hole ? 2 : 1;
  static constexpr int expected = Ending == held_slot_ending::completed ? 5 : Ending == held_slot_ending::hole ? 6 : 7;
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;
  detail::sync::atomic<bool> claimed{false};

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, capacity>());
  }
  void after() {
    auto nothing = channel->second.try_recv();
    RILL_MODEL_ASSERT(!nothing.has_value() && nothing.error() == recv_error::empty);
    channel.reset();
  }

  int receive() {
    auto value_of = [](recv_result<owned_message> message) { return message.has_value() ? message->value() : -1; };
    if constexpr (Waiter == held_slot_waiter::recv) {
      return value_of(channel->second.recv());
    } else if constexpr (Waiter == held_slot_waiter::select) {
      return select(on_recv(channel->second, value_of));
    } else {
      selector watch;
      watch.recv(channel->second);
      RILL_MODEL_ASSERT(watch.ready() == 0);
      // Thread 1 is the only receiver: what was ready is still there (R36).
      return value_of(channel->second.try_recv());
    }
  }

  void thread(unsigned index) {
    if (index == 0) {
      selector selection;
      selection.send(channel->first);
      selected_operation chosen = selection.select();
      claimed.store(true, std::memory_order_release);
      if constexpr (Ending == held_slot_ending::completed) {
        RILL_MODEL_ASSERT(chosen.send(channel->first, owned_message(5)).has_value());
      } else if constexpr (Ending == held_slot_ending::hole) {
        RILL_MODEL_ASSERT(channel->first.try_send(owned_message(6)).has_value());
        chosen.abandon();
      } else {
        chosen.abandon();
        RILL_MODEL_ASSERT(channel->first.send(owned_message(7)).has_value());
      }
    } else {
      await(claimed);
      RILL_MODEL_ASSERT(receive() == expected);
    }
  }
};
using select_held_slot_parks_recv_completed =
    select_held_slot_parks<held_slot_waiter::recv, held_slot_ending::completed>;
using select_held_slot_parks_select_completed =
    select_held_slot_parks<held_slot_waiter::select, held_slot_ending::completed>;
using select_held_slot_parks_ready_completed =
    select_held_slot_parks<held_slot_waiter::ready, held_slot_ending::completed>;
using select_held_slot_parks_recv_hole = select_held_slot_parks<held_slot_waiter::recv, held_slot_ending::hole>;
using select_held_slot_parks_recv_given_back =
    select_held_slot_parks<held_slot_waiter::recv, held_slot_ending::given_back>;
RILL_SCENARIO(select_held_slot_parks_recv_completed, "R19, R33");
RILL_SCENARIO(select_held_slot_parks_select_completed, "R19, R30, R33");
RILL_SCENARIO(select_held_slot_parks_ready_completed, "R19, R36, R33");
RILL_SCENARIO(select_held_slot_parks_recv_hole, "R19, R34");
RILL_SCENARIO(select_held_slot_parks_recv_given_back, "R19, R34");

// select_held_slot_wakes_every_receiver: SPEC R19, R33, R9. Capacity 2. Thread 0 selects a send
// (the first slot), raises a flag, try_sends 6 into the second slot and then completes the
// selected send with 5. Threads 1 and 2 wait for the flag and receive once each. 6's notify wakes
// one parked receiver, which finds the first slot still held and parks again: that wake-up was
// spent, so the completion must wake every receiver parked behind the slot (A19), not one; with
// a single notify there, one receiver gets 5 and the other stays parked next to 6 (DEADLOCK).
// Checked: each receiver gets one of 5 and 6, and not the same one.
struct select_held_slot_wakes_every_receiver : rl::test_suite<select_held_slot_wakes_every_receiver, 3> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;
  detail::sync::atomic<bool> claimed{false};
  int received[2] = {0, 0};

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(make_channel<owned_message, 2>());
    received[0] = received[1] = 0;
  }
  void after() {
    RILL_MODEL_ASSERT(received[0] + received[1] == 11 && received[0] != received[1]);
    channel.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      selector selection;
      selection.send(channel->first);
      selected_operation chosen = selection.select();
      claimed.store(true, std::memory_order_release);
      RILL_MODEL_ASSERT(channel->first.try_send(owned_message(6)).has_value());
      RILL_MODEL_ASSERT(chosen.send(channel->first, owned_message(5)).has_value());
    } else {
      await(claimed);
      auto message = channel->second.recv();
      RILL_MODEL_ASSERT(message.has_value());
      received[index - 1] = message->value();
    }
  }
};
RILL_SCENARIO_RANDOM_ONLY(select_held_slot_wakes_every_receiver, "R19, R33, R9");

}  // namespace rill::verify
