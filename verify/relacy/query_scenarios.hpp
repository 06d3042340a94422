// verify/relacy/query_scenarios.hpp - full/empty/size checks and handle counts racing the operations
// they describe.
// Included by scenarios.cpp.
#pragma once

#include "model_support.hpp"

namespace rill::verify {

// array_full_and_empty_checks_race: SPEC R4, R7, R9, R26. A capacity-1 channel holds one message;
// thread 0 tries once to send a second while thread 1 tries once to receive, and each asks a
// query of the other's side. The buffered message is there from the start, so try_recv must get
// it (R7); try_send succeeds only if the receive made room first, and otherwise reports `full`
// with its message back (R4); after a successful try_send the channel is not empty (the sender's
// own message is there: no other receive exists); in the end the second message is buffered
// exactly when it was sent (R9), and nothing leaks or is destroyed twice (owned messages).
struct array_full_and_empty_checks_race : rl::test_suite<array_full_and_empty_checks_race, 2> {
  std::optional<std::pair<sender<owned_message>, receiver<owned_message>>> channel;
  detail::sync::plain<bool> second_sent{false};
  detail::sync::plain<int> first_received{-1};

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(bounded<owned_message>(1));
    RILL_MODEL_ASSERT(channel->first.try_send(owned_message(1)).has_value());
  }
  void after() {
    // Drain what is left: the second message iff it was sent.
    auto left = channel->second.try_recv();
    RILL_MODEL_ASSERT(left.has_value() == second_sent.load());
    if (left) RILL_MODEL_ASSERT(left->value() == 2);
    RILL_MODEL_ASSERT(first_received.load() == 1);
    channel.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      auto result = channel->first.try_send(owned_message(2));
      if (result) {
        second_sent.store(true);
        RILL_MODEL_ASSERT(!channel->first.empty());
      } else {
        RILL_MODEL_ASSERT(result.error().reason == send_errc::full && result.error().message.value() == 2);
      }
    } else {
      auto message = channel->second.try_recv();
      RILL_MODEL_ASSERT(message.has_value());
      first_received.store(message->value());
      (void)channel->second.full();
    }
  }
};
RILL_SCENARIO(array_full_and_empty_checks_race, "R4, R7, R9, R26");

// list_size_at_block_boundaries: SPEC R13, R26 (KB21). Over blocks of 3, thread 0 sends four
// messages (crossing into the second block) while thread 1 receives two of them, each asking
// size() after every operation. The sender is the only sender, so after its (i+1)-th send the
// tail is exactly i+1 and the head (at most 2 receives) is between 0 and 2: size() lies in
// [i-1, i+1]. The receiver's own receives put the head at k, the tail is at most 4: size() is at
// most 4-k. A size computed across a block boundary from inconsistent positions (KB21) breaks
// one of these bounds. At the end, alone, size() is exactly 2 and empty() is false.
struct list_size_at_block_boundaries : rl::test_suite<list_size_at_block_boundaries, 2> {
  std::optional<std::pair<sender<int>, receiver<int>>> channel;

  void before() {
    detail::sync::reset_virtual_time();
    channel.emplace(unbounded<int>());
  }
  void after() {
    RILL_MODEL_ASSERT(channel->second.size() == 2);
    RILL_MODEL_ASSERT(!channel->second.empty());
    channel.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      for (int i = 0; i < 4; ++i) {
        RILL_MODEL_ASSERT(channel->first.send(i).has_value());
        const auto size = static_cast<int>(channel->first.size());
        RILL_MODEL_ASSERT(size >= i - 1 && size <= i + 1);
      }
    } else {
      for (int k = 1; k <= 2; ++k) {
        RILL_MODEL_ASSERT(channel->second.recv().value_or(-1) == k - 1);
        RILL_MODEL_ASSERT(channel->second.size() <= static_cast<std::size_t>(4 - k));
      }
    }
  }
};
RILL_SCENARIO(list_size_at_block_boundaries, "R13, R26, KB21");

// handle_counts_race_copies: SPEC R21. Thread 0 holds the only sender: it copies it, releases
// the copy, then releases the original, asking sender_count() and receiver_count() in between;
// thread 1 holds the only receiver and asks sender_count() three times meanwhile. The counts are
// read relaxed (shared.count_read, K4): a snapshot, through which nothing is synchronised. What
// they must still show: thread 0 alone changes the sender count, so it sees exactly its own
// changes; the receiver count is 1 throughout; thread 1 sees some count that existed (0, 1 or 2),
// and once it has seen 0 it sees 0 again (no sender can be made once the last is gone).
struct handle_counts_race_copies : rl::test_suite<handle_counts_race_copies, 2> {
  std::optional<sender<int>> original;
  std::optional<receiver<int>> only_receiver;

  void before() {
    detail::sync::reset_virtual_time();
    auto [tx, rx] = make_channel<int, 1>();
    original.emplace(std::move(tx));
    only_receiver.emplace(std::move(rx));
  }
  void after() {
    original.reset();
    only_receiver.reset();
  }

  void thread(unsigned index) {
    if (index == 0) {
      RILL_MODEL_ASSERT(original->sender_count() == 1 && original->receiver_count() == 1);
      {
        sender<int> copy = *original;
        RILL_MODEL_ASSERT(copy.sender_count() == 2 && copy.receiver_count() == 1);
      }
      RILL_MODEL_ASSERT(original->sender_count() == 1 && original->receiver_count() == 1);
      original->reset();
    } else {
      bool gone = false;
      for (int i = 0; i < 3; ++i) {
        const std::size_t senders = only_receiver->sender_count();
        RILL_MODEL_ASSERT(senders <= 2);
        RILL_MODEL_ASSERT(!gone || senders == 0);
        gone = senders == 0;
        RILL_MODEL_ASSERT(only_receiver->receiver_count() == 1);
      }
    }
  }
};
RILL_SCENARIO(handle_counts_race_copies, "R21");

}  // namespace rill::verify
