// Unit tests of the API shapes that code ported from Rust (crossbeam-channel, std::sync::mpsc) and
// Go needs to read naturally (docs/porting.md has a row for each). Compile-time checks are
// static_asserts at namespace scope: this file does not build if one fails. What must not compile
// is checked by tests/compile_fail/.
#include <rill/mpsc.hpp>
#include <rill/rill.hpp>

#include "support/channel_kinds.hpp"

#include <gtest/gtest.h>

#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using rill::test::flavor;

// --- const handles (crossbeam's operations take &self) -------------------------------------------

template <class Handle>
concept const_sender = requires(const Handle& handle, typename Handle::value_type message) {
  handle.send(std::move(message));
  handle.try_send(std::move(message));
  handle.send_for(std::move(message), std::chrono::milliseconds(1));
  handle.send_until(std::move(message), std::chrono::steady_clock::now());
  handle.close();
};
template <class Handle>
concept const_receiver = requires(const Handle& handle) {
  handle.recv();
  handle.try_recv();
  handle.recv_for(std::chrono::milliseconds(1));
  handle.recv_until(std::chrono::steady_clock::now());
  handle.close();
  handle.begin();
};
static_assert(const_sender<rill::sender<int>>);
static_assert(const_receiver<rill::receiver<int>>);
template <class Handle>
concept const_mpsc_receiver = requires(const Handle& handle) {
  handle.recv();
  handle.try_recv();
  handle.recv_timeout(std::chrono::milliseconds(1));
  handle.begin();
};
static_assert(const_mpsc_receiver<rill::mpsc::receiver<int>>);

class porting_test : public ::testing::TestWithParam<flavor> {};

TEST_P(porting_test, operations_work_through_const_handles_and_lambdas_that_are_not_mutable) {
  // SPEC R3, R4, R6, R7, R12
  const auto [tx, rx] = GetParam().make<int>();
  std::jthread producer([tx = tx] {  // captured by copy: const inside a lambda that is not mutable
    for (int value = 0; value < 3; ++value) ASSERT_TRUE(tx.send(value).has_value());
    tx.close();
  });
  int expected = 0;
  for (const int value : rx) EXPECT_EQ(value, expected++);  // iteration over a const receiver
  EXPECT_EQ(expected, 3);
  EXPECT_EQ(rx.try_recv(), std::unexpected(rill::recv_error::disconnected));
}

// --- errors compare, with crossbeam's predicates -------------------------------------------------

struct not_comparable {
  int value;
};
template <class T>
concept comparable_send_error = requires(const rill::send_error<T>& error) { error == error; };
static_assert(comparable_send_error<int>);
static_assert(!comparable_send_error<not_comparable>, "send_error<T> compares only when T does");

TEST_P(porting_test, send_and_receive_errors_compare_like_rust_results) {
  // SPEC R4, R7, R9
  const auto [tx, rx] = GetParam().make<int>();
  if (GetParam().rendezvous()) {
    EXPECT_EQ(tx.try_send(2), std::unexpected(rill::send_error<int>{rill::send_errc::full, 2}));
  } else if (GetParam().unbounded()) {
    EXPECT_EQ(tx.try_send(2), (rill::send_result<int>{}));
  } else {
    for (std::size_t i = 0; i < GetParam().room(); ++i) ASSERT_TRUE(tx.try_send(1).has_value());
    EXPECT_EQ(tx.try_send(2), std::unexpected(rill::send_error<int>{rill::send_errc::full, 2}));
    EXPECT_NE(tx.try_send(2), std::unexpected(rill::send_error<int>{rill::send_errc::full, 3}));
    EXPECT_TRUE(tx.try_send(2).error().is_full());
  }
  rx.close();
  const auto failed = tx.try_send(4);
  ASSERT_FALSE(failed.has_value());
  EXPECT_EQ(failed.error(), (rill::send_error<int>{rill::send_errc::disconnected, 4}));
  EXPECT_TRUE(failed.error().is_disconnected());
  EXPECT_FALSE(failed.error().is_full());
  EXPECT_FALSE(failed.error().is_timeout());
}

TEST_P(porting_test, a_timed_out_send_reports_is_timeout) {
  // SPEC R5
  const auto [tx, rx] = GetParam().make<int>();
  if (GetParam().unbounded()) GTEST_SKIP() << "an unbounded send never waits";
  for (std::size_t i = 0; i < GetParam().room(); ++i) ASSERT_TRUE(tx.try_send(1).has_value());
  const auto failed = tx.send_for(7, std::chrono::milliseconds(1));
  ASSERT_FALSE(failed.has_value());
  EXPECT_TRUE(failed.error().is_timeout());
  EXPECT_EQ(failed.error().message, 7);
}

INSTANTIATE_TEST_SUITE_P(flavors, porting_test,
                         ::testing::Values(flavor{"rendezvous", 0}, flavor{"bounded1", 1}, flavor{"bounded4", 4},
                                           flavor{"unbounded", std::nullopt}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace

namespace {

// --- never handles: Go's nil channel, crossbeam's never() ---------------------------------------

TEST(porting, never_sender_is_never_ready_and_hands_every_message_back) {
  // SPEC R42
  const rill::sender<int> nowhere = rill::never_sender<int>();
  EXPECT_EQ(nowhere.try_send(1), std::unexpected(rill::send_error<int>{rill::send_errc::full, 1}));
  const auto timed = nowhere.send_for(2, std::chrono::milliseconds(1));
  ASSERT_FALSE(timed.has_value());
  EXPECT_TRUE(timed.error().is_timeout());
  EXPECT_EQ(timed.error().message, 2);
  nowhere.close();  // no effect: never disconnected
  EXPECT_FALSE(nowhere.is_disconnected());
  EXPECT_EQ(nowhere.sender_count(), 1u);
  EXPECT_EQ(nowhere.receiver_count(), 0u);
}

TEST(porting, a_select_send_case_on_never_sender_never_runs) {
  // SPEC R42, R30
  auto [tx, rx] = rill::bounded<int>(1);
  ASSERT_TRUE(tx.try_send(7).has_value());
  int received = 0;
  rill::select(rill::on_send(rill::never_sender<int>(), 1, [&](rill::send_result<int>) { received = -1; }),
               rill::on_recv(rx, [&](rill::recv_result<int> message) { received = message.value(); }));
  EXPECT_EQ(received, 7);
  rill::selector selection;
  const rill::sender<int> nowhere = rill::never_sender<int>();
  selection.send(nowhere);
  EXPECT_EQ(selection.try_select().error(), rill::select_error::would_block);
  EXPECT_EQ(selection.select_for(std::chrono::milliseconds(1)).error(), rill::select_error::timeout);
}

TEST(porting, every_never_handle_of_a_type_is_the_same_channel) {
  // SPEC R21, R42
  const auto first = rill::never<int>();
  const auto second = rill::never<int>();
  const auto nowhere = rill::never_sender<int>();
  EXPECT_TRUE(first.same_channel(second));
  EXPECT_TRUE(nowhere.same_channel(first));
  EXPECT_TRUE(first.same_channel(nowhere));
  const auto [tx, rx] = rill::bounded<int>(1);
  EXPECT_FALSE(first.same_channel(rx));
  EXPECT_FALSE(nowhere.same_channel(tx));
  EXPECT_FALSE(rill::receiver<int>().same_channel(rill::receiver<int>()));
}

}  // namespace

namespace {

using namespace std::chrono_literals;

// --- on_timeout counts from the start of the statement; on_deadline is absolute -----------------

TEST(porting, a_kept_on_timeout_case_counts_from_the_start_of_each_statement) {
  // SPEC R20, R30
  const auto limit = rill::on_timeout(50ms, [] { return 0; });
  ASSERT_TRUE(rill::after(60ms).recv().has_value());  // the case is now older than its timeout
  for (int round = 0; round < 3; ++round) {
    // A timer due 10 ms after it is made, before the statement's 50 ms are up, is selected whatever
    // the scheduling: once the deadline passes, the statement's last look finds the timer due. Had
    // the timeout counted from when the case was made, it would have passed before the statement
    // started, and the statement would time out at once, the timer not yet due.
    EXPECT_EQ(rill::select(rill::on_recv(rill::after(10ms), [](rill::recv_result<rill::instant>) { return 1; }), limit),
              1)
        << "round " << round;
  }
}

TEST(porting, a_kept_on_deadline_case_stays_absolute) {
  // SPEC R20, R30
  const auto limit = rill::on_deadline(std::chrono::steady_clock::now() + 1ms, [] { return 0; });
  ASSERT_TRUE(rill::after(2ms).recv().has_value());  // the deadline has passed
  for (int round = 0; round < 2; ++round) {
    EXPECT_EQ(rill::select(rill::on_recv(rill::after(1h), [](rill::recv_result<rill::instant>) { return 1; }), limit),
              0);
  }
}

}  // namespace

namespace {

// --- rill::selector is movable -------------------------------------------------------------------

static_assert(std::is_move_constructible_v<rill::selector> && std::is_move_assignable_v<rill::selector>);
static_assert(!std::is_copy_constructible_v<rill::selector> && !std::is_copy_assignable_v<rill::selector>);

/// Builds a selection in a helper and returns it; which of two objects is returned is decided at run
/// time, so the return moves (no copy elision is possible).
rill::selector selection_over(const rill::receiver<int>& first, const rill::receiver<int>& second, bool biased) {
  rill::selector unbiased_selection;
  rill::selector biased_selection = rill::selector::biased();
  rill::selector& chosen = biased ? biased_selection : unbiased_selection;
  EXPECT_EQ(chosen.recv(first), 0u);
  EXPECT_EQ(chosen.recv(second), 1u);
  if (biased) return biased_selection;
  return unbiased_selection;
}

TEST(porting, a_selector_built_by_a_helper_keeps_its_operations_and_mode) {
  // SPEC R30, R31, R39
  const auto [tx_a, rx_a] = rill::bounded<int>(4);
  const auto [tx_b, rx_b] = rill::bounded<int>(4);
  rill::selector selection = selection_over(rx_a, rx_b, false);
  ASSERT_EQ(selection.size(), 2u);
  ASSERT_TRUE(tx_b.send(2).has_value());
  {
    rill::selected_operation chosen = selection.select();
    ASSERT_EQ(chosen.index(), 1u);
    EXPECT_EQ(chosen.recv(rx_b), 2);
  }
  rill::selector biased = selection_over(rx_a, rx_b, true);
  ASSERT_TRUE(tx_a.send(1).has_value());
  ASSERT_TRUE(tx_b.send(2).has_value());
  rill::selector moved(std::move(biased));
  for (int round = 0; round < 8; ++round) {  // biased: of two ready operations, always the first
    ASSERT_EQ(moved.try_ready().value(), 0u);
  }
}

TEST(porting, a_moved_from_selector_is_empty_and_usable_again) {
  // SPEC R30, R39
  const auto [tx, rx] = rill::bounded<int>(1);
  rill::selector source;
  source.recv(rx);
  rill::selector target(std::move(source));
  EXPECT_EQ(source.size(), 0u);  // NOLINT(bugprone-use-after-move): the documented moved-from state
  EXPECT_EQ(source.try_select().error(), rill::select_error::would_block);
  EXPECT_EQ(source.recv(rx), 0u);  // its single-user mark was released by the move
  ASSERT_TRUE(tx.send(5).has_value());
  rill::selected_operation chosen = source.select();
  EXPECT_EQ(chosen.recv(rx), 5);
  ASSERT_TRUE(tx.send(6).has_value());
  EXPECT_EQ(target.select().recv(rx), 6);
}

TEST(porting, moving_a_selector_with_a_pending_operation_throws_and_changes_nothing) {
  // SPEC R33, R39
  const auto [tx, rx] = rill::bounded<int>(1);
  ASSERT_TRUE(tx.send(3).has_value());
  rill::selector selection;
  selection.recv(rx);
  rill::selected_operation pending = selection.select();
  EXPECT_THROW(rill::selector moved(std::move(selection)), std::logic_error);
  rill::selector other;
  EXPECT_THROW(other = std::move(selection), std::logic_error);
  EXPECT_EQ(selection.size(), 1u);  // NOLINT(bugprone-use-after-move): the move threw
  EXPECT_EQ(other.size(), 0u);
  EXPECT_EQ(pending.recv(rx), 3);
}

TEST(porting, move_assignment_abandons_the_targets_pending_operation) {
  // SPEC R34, R39
  const auto [tx, rx] = rill::bounded<int>(1);
  const auto [tx_other, rx_other] = rill::bounded<int>(1);
  rill::selector target;
  target.send(tx);
  rill::selected_operation pending = target.select();  // claims the channel's only slot
  EXPECT_TRUE(tx.full());
  rill::selector source;
  source.recv(rx_other);
  target = std::move(source);
  EXPECT_FALSE(tx.full());  // the slot was given back (R34)
  EXPECT_THROW(pending.send(tx, 1), std::logic_error);
  ASSERT_TRUE(tx_other.send(9).has_value());
  EXPECT_EQ(target.select().recv(rx_other), 9);
}

}  // namespace

namespace {

TEST(porting, a_selector_whose_operations_outgrew_its_inline_storage_moves_them_all) {
  // SPEC R30, R39
  std::vector<std::pair<rill::sender<std::string>, rill::receiver<std::string>>> channels;
  for (int i = 0; i < 64; ++i) channels.push_back(rill::bounded<std::string>(1));
  rill::selector source;
  for (std::size_t i = 0; i < channels.size(); ++i) ASSERT_EQ(source.recv(channels[i].second), i);
  rill::selector target;
  target = std::move(source);
  ASSERT_EQ(target.size(), channels.size());
  for (std::size_t i = channels.size(); i-- > 0;) {
    ASSERT_TRUE(channels[i].first.send(std::to_string(i)).has_value());
    rill::selected_operation chosen = target.select();
    ASSERT_EQ(chosen.index(), i);
    EXPECT_EQ(chosen.recv(channels[i].second), std::to_string(i));
  }
}

}  // namespace
