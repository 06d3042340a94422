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

// list_block_boundaries: SPEC R3, R6, R9, R13, R15, R25. The model-checking build gives the
// unbounded flavor blocks of 3 messages; thread 0 sends 4 messages, so it installs the second
// block (the sender that claims a block's last slot allocates the next, L5) while thread 1
// receives and frees the block it has drained (the reader of a block's last slot frees it, or
// hands the freeing on through the slots' destroy bits, L14). Checked: exactly-once FIFO delivery,
// payload visibility, and (by Relacy) no use of a freed block, no double free, no leak.
struct list_block_boundaries : rl::test_suite<list_block_boundaries, 2> {
  static constexpr int messages = 4;
  std::optional<std::pair<sender<int>, receiver<int>>> channel;
  detail::sync::plain<int> payload[messages];

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(unbounded<int>());
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
RILL_SCENARIO(list_block_boundaries, "R3, R6, R9, R13, R15, R25");

// list_two_readers_free_blocks: SPEC R9, R13, R25. One sender, two receivers over blocks of 3:
// the receivers finish slots of one block in either order, so either may be the one that frees
// it (the last reader, or the reader of the last slot handing over through the destroy bits).
// Each receiver takes 2 of the 4 messages; each sees increasing values (per-sender FIFO), and
// together they see every value once. Owned messages make a lost or doubly destroyed message a
// leak or double free that Relacy reports.
struct list_two_readers_free_blocks : rl::test_suite<list_two_readers_free_blocks, 3> {
  static constexpr int messages = 4;
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;
  std::optional<receiver<owned_message>> second_receiver;
  detail::sync::plain<int> seen[messages];

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(unbounded<owned_message>());
    second_receiver.emplace(channel->second);
  }
  void after() {
    for (int i = 0; i < messages; ++i) RILL_MODEL_ASSERT(seen[i].load() == 1);
    second_receiver.reset();
    channel.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      for (int i = 0; i < messages; ++i) RILL_MODEL_ASSERT(channel->first.send(owned_message(i)).has_value());
    } else {
      receiver<owned_message>& source = index == 1 ? channel->second : *second_receiver;
      int last = -1;
      for (int i = 0; i < messages / 2; ++i) {
        auto message = source.recv();
        RILL_MODEL_ASSERT(message.has_value() && message->value() > last);
        last = message->value();
        seen[last].store(seen[last].load() + 1);
      }
    }
  }
};
RILL_SCENARIO_RANDOM_ONLY(list_two_readers_free_blocks, "R9, R13, R25");

// list_two_writers_install_blocks: SPEC R9, R13, R25. Two senders, two messages each, over blocks
// of 3: one of them claims the first block's last slot and installs the second block, and the
// other may reach the second block through `tail` before or after the install completes; the
// receiver follows through `next`. Checked: each sender's messages arrive in its order, all four
// exactly once, and every block is used only after its construction (block::is_constructed) and
// freed exactly once.
struct list_two_writers_install_blocks : rl::test_suite<list_two_writers_install_blocks, 3> {
  static constexpr int per_sender = 2;
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;
  std::optional<sender<owned_message>> second_sender;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(unbounded<owned_message>());
    second_sender.emplace(channel->first);
  }
  void after() {
    second_sender.reset();
    channel.reset();
  }

  void thread(unsigned index) {
    if (index < 2) {
      sender<owned_message>& target = index == 0 ? channel->first : *second_sender;
      for (int i = 0; i < per_sender; ++i) {
        RILL_MODEL_ASSERT(target.send(owned_message(static_cast<int>(index) * 10 + i)).has_value());
      }
    } else {
      int next_of[2] = {0, 0};
      for (int i = 0; i < 2 * per_sender; ++i) {
        auto message = channel->second.recv();
        RILL_MODEL_ASSERT(message.has_value());
        const int from = message->value() / 10;
        RILL_MODEL_ASSERT(message->value() % 10 == next_of[from]);
        ++next_of[from];
      }
    }
  }
};
RILL_SCENARIO_RANDOM_ONLY(list_two_writers_install_blocks, "R9, R13, R25");

// list_receiver_runs_behind: SPEC R9, R13, R15, R25. The sender runs up to two blocks ahead of
// the receiver (7 messages over blocks of 3), so the receiver, once it knows the head block has
// a successor (the mark bit in head), moves from block to block through `next` alone, without
// reading `tail`: the only edge from the construction of the block it moves to is (L5)-(L12).
struct list_receiver_runs_behind : rl::test_suite<list_receiver_runs_behind, 2> {
  static constexpr int messages = 7;
  std::optional<std::pair<sender<int>, receiver<int>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(unbounded<int>());
  }
  void after() { channel.reset(); }

  void thread(unsigned index) {
    if (index == 0) {
      for (int i = 0; i < messages; ++i) RILL_MODEL_ASSERT(channel->first.send(i).has_value());
    } else {
      for (int i = 0; i < messages; ++i) RILL_MODEL_ASSERT(channel->second.recv().value_or(-1) == i);
    }
  }
};
RILL_SCENARIO_RANDOM_ONLY(list_receiver_runs_behind, "R9, R13, R15, R25");

}  // namespace rill::verify
