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
    EXPECT_EQ(rill::select(rill::on_recv(rill::after(1h), [](rill::recv_result<rill::instant>) { return 1; }), limit), 0);
  }
}

}  // namespace
