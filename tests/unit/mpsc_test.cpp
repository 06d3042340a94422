// Unit tests of rill::mpsc, the porting layer shaped like Rust's std::sync::mpsc (SPEC R28).
//
// The layer forwards to rill::sender / rill::receiver, whose rules are checked for every flavor
// in channel_test.cpp; these tests check the shapes R28 asks for (a copyable sender, a move-only
// receiver, Rust's operation names) and that each forwarded operation keeps the rule it forwards
// to. Each test names its rules in its first line. Threads synchronise through the channel or
// std::latch, never sleeps; loops are bounded by message counts.
#include <rill/mpsc.hpp>
#include <rill/select.hpp>
#include <rill/selector.hpp>

#include "support/channel_kinds.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <concepts>
#include <latch>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;

using rill::test::tracked;

template <class Handle>
concept can_recv = requires(Handle handle) { handle.recv(); };
template <class Handle>
concept can_send = requires(Handle handle) { handle.send(1); };

TEST(mpsc, handles_have_rusts_shapes) {
  // SPEC R28, R21, R22
  using sender = rill::mpsc::sender<int>;
  using receiver = rill::mpsc::receiver<int>;
  // Rust's Sender and SyncSender are Clone; its Receiver is not (single consumer).
  static_assert(std::is_copy_constructible_v<sender> && std::is_copy_assignable_v<sender>);
  static_assert(std::is_nothrow_move_constructible_v<sender> && std::is_nothrow_move_assignable_v<sender>);
  static_assert(!std::is_copy_constructible_v<receiver> && !std::is_copy_assignable_v<receiver>);
  static_assert(std::is_nothrow_move_constructible_v<receiver> && std::is_nothrow_move_assignable_v<receiver>);
  static_assert(std::is_nothrow_default_constructible_v<sender> && std::is_nothrow_default_constructible_v<receiver>);
  static_assert(std::is_same_v<rill::mpsc::sync_sender<int>, sender>, "one sender type for both channels");
  static_assert(std::is_same_v<decltype(rill::mpsc::channel<int>()), std::pair<sender, receiver>>);
  static_assert(std::is_same_v<decltype(rill::mpsc::sync_channel<int>(1)), std::pair<sender, receiver>>);
  // Rust's names, with rill's result types (R3-R8).
  static_assert(std::is_same_v<decltype(std::declval<const sender&>().send(1)), rill::send_result<int>>);
  static_assert(std::is_same_v<decltype(std::declval<const sender&>().try_send(1)), rill::send_result<int>>);
  static_assert(std::is_same_v<decltype(std::declval<const sender&>().clone()), sender>);
  static_assert(std::is_same_v<decltype(std::declval<receiver&>().recv()), rill::recv_result<int>>);
  static_assert(std::is_same_v<decltype(std::declval<receiver&>().try_recv()), rill::recv_result<int>>);
  static_assert(std::is_same_v<decltype(std::declval<receiver&>().recv_timeout(1s)), rill::recv_result<int>>);
  static_assert(std::is_same_v<decltype(std::declval<receiver&>().recv_deadline(std::chrono::steady_clock::now())),
                               rill::recv_result<int>>);
  static_assert(std::ranges::input_range<receiver&>);
  static_assert(std::ranges::input_range<decltype(std::declval<receiver&>().iter())>);
  static_assert(std::ranges::input_range<decltype(std::declval<receiver&>().try_iter())>);
  static_assert(std::ranges::input_range<decltype(std::declval<receiver&&>().into_iter())>);
  // Rust's recv, try_recv and friends take &self, as every rill operation is const: a receive works
  // through a const receiver. (Receiver is not Sync in Rust; here it is not copyable, which keeps
  // it to one owner.)
  static_assert(can_recv<const receiver&> && can_recv<receiver&>);
  static_assert(can_send<const sender&>);
  // Escape hatch to the MPMC handles.
  static_assert(std::is_same_v<decltype(std::declval<receiver&&>().into_inner()), rill::receiver<int>>);
  static_assert(std::is_same_v<decltype(std::declval<sender&&>().into_inner()), rill::sender<int>>);
}

TEST(mpsc, channel_is_unbounded_and_send_never_blocks) {
  // SPEC R28, R1, R3, R13
  auto [tx, rx] = rill::mpsc::channel<int>();
  constexpr int count = 1000;  // more than a few blocks of the list flavor
  for (int i = 0; i < count; ++i) ASSERT_TRUE(tx.send(i).has_value());
  for (int i = 0; i < count; ++i) EXPECT_EQ(rx.recv().value(), i);
  EXPECT_EQ(rx.try_recv().error(), rill::recv_error::empty);
  EXPECT_EQ(std::move(rx).into_inner().capacity(), std::nullopt) << "channel() must be unbounded";
}

TEST(mpsc, sync_channel_bounds_the_buffer_and_try_send_hands_the_message_back) {
  // SPEC R28, R1, R4, R9
  auto [tx, rx] = rill::mpsc::sync_channel<std::string>(2);
  ASSERT_TRUE(tx.try_send("a").has_value());
  ASSERT_TRUE(tx.try_send("b").has_value());
  auto full = tx.try_send("c");  // Rust: Err(TrySendError::Full("c"))
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().reason, rill::mpsc::send_errc::full);
  EXPECT_EQ(full.error().message, "c");
  EXPECT_EQ(rx.recv().value(), "a");
  ASSERT_TRUE(tx.try_send(std::move(full.error().message)).has_value()) << "a receive made room";
  EXPECT_EQ(rx.recv().value(), "b");
  EXPECT_EQ(rx.recv().value(), "c");
}

TEST(mpsc, sync_channel_zero_is_a_rendezvous) {
  // SPEC R28, R18, R4
  auto [tx, rx] = rill::mpsc::sync_channel<int>(0);
  EXPECT_EQ(tx.try_send(1).error().reason, rill::send_errc::full) << "no receiver is waiting";
  std::atomic<bool> received{false};
  std::jthread receiver([&rx, &received] {
    EXPECT_EQ(rx.recv().value(), 2);
    received.store(true);
  });
  ASSERT_TRUE(tx.send(2).has_value());  // returns only once the receiver has the message
  receiver.join();
  EXPECT_TRUE(received.load());
}

TEST(mpsc, sync_channel_rejects_an_absurd_bound) {
  // SPEC R28, R2
  EXPECT_THROW((void)rill::mpsc::sync_channel<int>(rill::max_capacity + 1), std::length_error);
}

TEST(mpsc, send_after_the_receiver_is_dropped_hands_the_message_back) {
  // SPEC R28, R3, R9, R11
  for (bool bounded : {false, true}) {
    auto [tx, rx] =
        bounded ? rill::mpsc::sync_channel<std::unique_ptr<int>>(1) : rill::mpsc::channel<std::unique_ptr<int>>();
    drop(rx);  // Rust: drop(rx)
    EXPECT_FALSE(rx.valid());
    auto result = tx.send(std::make_unique<int>(5));  // Rust: Err(SendError(Box::new(5)))
    ASSERT_FALSE(result.has_value());
    EXPECT_EQ(result.error().reason, rill::send_errc::disconnected);
    ASSERT_NE(result.error().message, nullptr);
    EXPECT_EQ(*result.error().message, 5);
    EXPECT_EQ(tx.try_send(std::make_unique<int>(6)).error().reason, rill::send_errc::disconnected);
  }
}

TEST(mpsc, receivers_drain_then_see_disconnected_when_every_sender_is_dropped) {
  // SPEC R28, R6, R7, R10, R21
  auto [tx, rx] = rill::mpsc::sync_channel<int>(4);
  auto tx2 = tx.clone();
  ASSERT_TRUE(tx.send(1).has_value());
  tx.reset();
  EXPECT_EQ(rx.try_recv().value(), 1);
  EXPECT_EQ(rx.try_recv().error(), rill::recv_error::empty) << "a clone is still alive";
  ASSERT_TRUE(tx2.send(2).has_value());
  drop(tx2);
  EXPECT_EQ(rx.recv().value(), 2) << "buffered messages are received before disconnected";
  EXPECT_EQ(rx.recv().error(), rill::recv_error::disconnected);  // Rust: Err(RecvError)
  EXPECT_EQ(rx.try_recv().error(), rill::recv_error::disconnected);
}

TEST(mpsc, dropping_the_last_sender_wakes_a_blocked_receiver) {
  // SPEC R28, R10, R16, R19
  auto [tx, rx] = rill::mpsc::channel<int>();
  int written_before_drop = 0;
  std::latch started(1);
  std::jthread receiver([&] {
    started.count_down();
    EXPECT_EQ(rx.recv().error(), rill::recv_error::disconnected);
    EXPECT_EQ(written_before_drop, 7) << "the drop happens-before the receive that reports it";
  });
  started.wait();
  written_before_drop = 7;
  drop(tx);
}

TEST(mpsc, recv_timeout_times_out_or_reports_disconnected) {
  // SPEC R28, R8, R20
  auto [tx, rx] = rill::mpsc::channel<int>();
  EXPECT_EQ(rx.recv_timeout(1ms).error(), rill::recv_error::timeout);  // Rust: RecvTimeoutError::Timeout
  EXPECT_EQ(rx.recv_timeout(0s).error(), rill::recv_error::timeout) << "zero tries once";
  EXPECT_EQ(rx.recv_timeout(-1s).error(), rill::recv_error::timeout) << "negative tries once";
  ASSERT_TRUE(tx.send(3).has_value());
  EXPECT_EQ(rx.recv_timeout(0s).value(), 3) << "an available message is taken whatever the timeout";
  tx.reset();
  EXPECT_EQ(rx.recv_timeout(1h).error(), rill::recv_error::disconnected);  // RecvTimeoutError::Disconnected
}

TEST(mpsc, recv_deadline_accepts_any_clock) {
  // SPEC R28, R8, R20
  auto [tx, rx] = rill::mpsc::sync_channel<int>(1);
  EXPECT_EQ(rx.recv_deadline(std::chrono::steady_clock::now() + 1ms).error(), rill::recv_error::timeout);
  EXPECT_EQ(rx.recv_deadline(std::chrono::system_clock::now() + 1ms).error(), rill::recv_error::timeout);
  ASSERT_TRUE(tx.send(4).has_value());
  EXPECT_EQ(rx.recv_deadline(std::chrono::steady_clock::now() - 1h).value(), 4);
  tx.reset();
  EXPECT_EQ(rx.recv_deadline(std::chrono::steady_clock::time_point::max()).error(), rill::recv_error::disconnected);
}

TEST(mpsc, the_largest_timeouts_mean_no_timeout) {
  // SPEC R28, R20 (KB5)
  auto [tx, rx] = rill::mpsc::sync_channel<int>(0);
  std::latch receiving(1);
  std::jthread sender([&receiving, tx = tx.clone()] {
    receiving.wait();
    ASSERT_TRUE(tx.send(1).has_value());
    ASSERT_TRUE(tx.send(2).has_value());
  });
  receiving.count_down();
  EXPECT_EQ(rx.recv_timeout(std::chrono::nanoseconds::max()).value(), 1);
  EXPECT_EQ(rx.recv_deadline(std::chrono::system_clock::time_point::max()).value(), 2);
}

TEST(mpsc, iteration_ends_when_disconnected_and_drained) {
  // SPEC R28, R27, R10, R13
  auto [tx, rx] = rill::mpsc::sync_channel<int>(1);
  std::jthread sender([tx = std::move(tx)] {
    for (int i = 0; i < 30; ++i) ASSERT_TRUE(tx.send(i).has_value());
  });
  std::vector<int> received;
  for (int& value : rx) {  // Rust: for value in &rx
    received.push_back(value);
    if (received.size() == 10) break;
  }
  for (int value : rx.iter()) {  // Rust: for value in rx.iter()
    received.push_back(value);
    if (received.size() == 20) break;
  }
  for (int value : std::move(rx).into_iter()) received.push_back(value);  // Rust: for value in rx
  ASSERT_EQ(received.size(), 30u);
  for (int i = 0; i < 30; ++i) EXPECT_EQ(received[static_cast<std::size_t>(i)], i);
  EXPECT_FALSE(rx.valid()) << "into_iter takes the receiver";
}

TEST(mpsc, into_iter_releases_the_receiver_after_the_loop) {
  // SPEC R28, R27, R11
  auto [tx, rx] = rill::mpsc::channel<tracked>();
  tracked::alive.store(0);
  ASSERT_TRUE(tx.send(tracked(1)).has_value());
  ASSERT_TRUE(tx.send(tracked(2)).has_value());
  for (tracked& message : std::move(rx).into_iter()) {
    EXPECT_EQ(message.value, 1);
    break;  // the receiver dies with the range: the second message is destroyed with it
  }
  EXPECT_EQ(tracked::alive.load(), 0);
  EXPECT_EQ(tx.send(tracked(3)).error().reason, rill::send_errc::disconnected);
  EXPECT_EQ(tracked::alive.load(), 0);
}

TEST(mpsc, try_iter_drains_what_is_there_and_stops) {
  // SPEC R28, R27
  auto [tx, rx] = rill::mpsc::channel<int>();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(tx.send(i).has_value());
  std::vector<int> drained;
  for (int value : rx.try_iter()) drained.push_back(value);
  EXPECT_EQ(drained, (std::vector<int>{0, 1, 2, 3, 4}));
  int more = 0;
  for ([[maybe_unused]] int value : rx.try_iter()) ++more;
  EXPECT_EQ(more, 0);
  EXPECT_EQ(rx.try_recv().error(), rill::recv_error::empty) << "try_iter stops at empty without disconnecting";
}

TEST(mpsc, cloned_senders_feed_one_receiver_in_per_sender_order) {
  // SPEC R28, R13, R21
  constexpr int producers = 4;
  constexpr int per_producer = 500;
  auto [tx, rx] = rill::mpsc::sync_channel<std::pair<int, int>>(8);
  {
    std::vector<std::jthread> threads;
    for (int p = 0; p < producers; ++p) {
      threads.emplace_back([p, tx = tx.clone()] {
        for (int i = 0; i < per_producer; ++i) ASSERT_TRUE(tx.send({p, i}).has_value());
      });
    }
    drop(tx);  // only the clones keep the channel connected now
    std::vector<int> next(producers, 0);
    int total = 0;
    for (auto& [producer, index] : rx) {
      EXPECT_EQ(index, next[static_cast<std::size_t>(producer)]++) << "producer " << producer;
      ++total;
    }
    EXPECT_EQ(total, producers * per_producer);
  }
}

TEST(mpsc, one_sender_object_is_shared_by_threads) {
  // SPEC R28, R21, R9
  auto [tx, rx] = rill::mpsc::channel<int>();
  constexpr int threads = 4;
  constexpr int per_thread = 250;
  {
    const rill::mpsc::sender<int>& shared = tx;  // Rust: &Sender<T> shared by scoped threads
    std::vector<std::jthread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&shared] {
        for (int i = 0; i < per_thread; ++i) ASSERT_TRUE(shared.send(1).has_value());
      });
    }
  }
  drop(tx);
  int total = 0;
  for (int value : rx) total += value;
  EXPECT_EQ(total, threads * per_thread);
}

TEST(mpsc, dropping_the_receiver_destroys_buffered_messages_at_once) {
  // SPEC R28, R11, R25 (KB6)
  for (bool bounded : {false, true}) {
    tracked::alive.store(0);
    auto [tx, rx] = bounded ? rill::mpsc::sync_channel<tracked>(3) : rill::mpsc::channel<tracked>();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(tx.send(tracked(i)).has_value());
    EXPECT_EQ(tracked::alive.load(), 3);
    drop(rx);
    EXPECT_EQ(tracked::alive.load(), 0) << "buffered messages die with the receiver, not the last sender";
    auto refused = tx.send(tracked(-1));
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().message.value, -1);
  }
}

TEST(mpsc, moving_a_receiver_into_another_releases_the_old_one) {
  // SPEC R28, R21, R11
  auto [tx1, rx1] = rill::mpsc::channel<int>();
  auto [tx2, rx2] = rill::mpsc::channel<int>();
  rill::mpsc::receiver<int> rx = std::move(rx1);
  EXPECT_FALSE(rx1.valid());
  ASSERT_TRUE(tx1.send(1).has_value());
  rx = std::move(rx2);  // Rust: rx = rx2; the old receiver is dropped
  EXPECT_EQ(tx1.send(2).error().reason, rill::send_errc::disconnected);
  ASSERT_TRUE(tx2.send(3).has_value());
  EXPECT_EQ(rx.recv().value(), 3);
}

TEST(mpsc, empty_handles_throw_an_error_naming_the_operation) {
  // SPEC R28, R22
  auto [tx, rx] = rill::mpsc::sync_channel<int>(1);
  auto moved_tx = std::move(tx);
  auto moved_rx = std::move(rx);
  EXPECT_FALSE(tx.valid());
  EXPECT_FALSE(static_cast<bool>(rx));
  EXPECT_TRUE(moved_tx.valid());
  EXPECT_TRUE(moved_rx.valid());
  EXPECT_THROW((void)tx.send(1), rill::empty_handle_error);
  EXPECT_THROW((void)tx.try_send(1), rill::empty_handle_error);
  EXPECT_THROW((void)rx.recv(), rill::empty_handle_error);
  EXPECT_THROW((void)rx.try_recv(), rill::empty_handle_error);
  EXPECT_THROW((void)rx.begin(), rill::empty_handle_error);
  EXPECT_THROW((void)rx.iter().begin(), rill::empty_handle_error);
  EXPECT_THROW((void)rx.try_iter().begin(), rill::empty_handle_error);
  // The message names the Rust-side operation, not the rill one it forwards to.
  try {
    (void)rx.recv_timeout(1s);
    ADD_FAILURE() << "expected rill::empty_handle_error";
  } catch (const rill::empty_handle_error& error) {
    EXPECT_NE(std::string(error.what()).find("recv_timeout"), std::string::npos) << error.what();
  }
  try {
    (void)rx.recv_deadline(std::chrono::steady_clock::now());
    ADD_FAILURE() << "expected rill::empty_handle_error";
  } catch (const rill::empty_handle_error& error) {
    EXPECT_NE(std::string(error.what()).find("recv_deadline"), std::string::npos) << error.what();
  }
  // What must work on an empty handle: copy (an empty copy), clone, move, swap, reset, drop.
  auto copy = tx.clone();
  EXPECT_FALSE(copy.valid());
  drop(copy);
  rx.reset();
  swap(rx, moved_rx);
  EXPECT_TRUE(rx.valid());
  EXPECT_FALSE(moved_rx.valid());
  EXPECT_FALSE(rill::mpsc::receiver<int>{}.valid());
  EXPECT_FALSE(rill::mpsc::sender<int>{}.valid());
}

TEST(mpsc, into_inner_returns_handles_of_the_same_channel) {
  // SPEC R28, R21
  auto [tx, rx] = rill::mpsc::sync_channel<int>(2);
  rill::sender<int> inner_tx = std::move(tx).into_inner();
  rill::receiver<int> inner_rx = std::move(rx).into_inner();
  EXPECT_FALSE(tx.valid());
  EXPECT_FALSE(rx.valid());
  EXPECT_TRUE(inner_tx.same_channel(inner_rx));
  EXPECT_EQ(inner_tx.sender_count(), 1u) << "into_inner transfers the handle, it does not copy it";
  EXPECT_EQ(inner_tx.receiver_count(), 1u);
  EXPECT_EQ(inner_rx.capacity(), std::optional<std::size_t>{2});
  ASSERT_TRUE(inner_tx.send(9).has_value());
  EXPECT_EQ(inner_rx.recv().value(), 9);
}

}  // namespace

namespace {

// --- mpsc handles in selections, as crossbeam's handles are -------------------------------------

TEST(mpsc, receivers_and_senders_work_in_a_select_statement) {
  // SPEC R28, R30
  auto [tx, rx] = rill::mpsc::sync_channel<int>(1);
  auto [other_tx, other_rx] = rill::mpsc::channel<std::string>();
  ASSERT_TRUE(tx.send(4).has_value());
  const int got = rill::select(rill::on_recv(rx, [](rill::recv_result<int> message) { return message.value(); }),
                               rill::on_recv(other_rx, [](rill::recv_result<std::string>) { return -1; }));
  EXPECT_EQ(got, 4);
  const bool sent = rill::select(rill::on_send(tx, 5, [](rill::send_result<int> result) { return result.has_value(); }),
                                 rill::on_recv(other_rx, [](rill::recv_result<std::string>) { return false; }));
  EXPECT_TRUE(sent);
  EXPECT_EQ(rx.recv().value(), 5);
  other_tx.reset();
  EXPECT_EQ(
      rill::select(rill::on_recv(other_rx, [](rill::recv_result<std::string> message) { return message.error(); })),
      rill::recv_error::disconnected);
}

template <class Handle>
concept selector_accepts_a_temporary = requires(rill::selector& selection) { selection.recv(Handle{}); };
static_assert(!selector_accepts_a_temporary<rill::mpsc::receiver<int>>, "the selector would refer to a dead handle");
template <class Handle>
concept selector_accepts_a_named =
    requires(rill::selector& selection, const Handle& handle) { selection.recv(handle); };
static_assert(selector_accepts_a_named<rill::mpsc::receiver<int>>);

TEST(mpsc, receivers_and_senders_work_in_a_selector) {
  // SPEC R28, R30, R33
  auto [tx, rx] = rill::mpsc::sync_channel<int>(1);
  rill::selector selection;
  const std::size_t receive = selection.recv(rx);
  const std::size_t send = selection.send(tx);
  {
    rill::selected_operation chosen = selection.select();  // only the send is ready
    ASSERT_EQ(chosen.index(), send);
    EXPECT_TRUE(chosen.send(tx, 8).has_value());
  }
  selection.remove(send);
  rill::selected_operation chosen = selection.select();
  ASSERT_EQ(chosen.index(), receive);
  EXPECT_EQ(chosen.recv(rx).value(), 8);
}

TEST(mpsc, an_empty_mpsc_handle_in_a_selection_throws) {
  // SPEC R22, R28, R39
  rill::mpsc::receiver<int> empty;
  rill::selector selection;
  EXPECT_THROW(selection.recv(empty), rill::empty_handle_error);
  EXPECT_THROW(rill::select(rill::on_recv(empty, [](rill::recv_result<int>) {})), rill::empty_handle_error);
}

}  // namespace
