// Awaiting with a deadline on an executor with timers (rill::run_loop): the timed forms
// async_recv_for / _until and async_send_for / _until, select statements with on_timeout,
// on_deadline and timer receivers, and timer receivers awaited alone (SPEC R20, R45, R51).
//
// A timeout is asserted as an outcome and as "not before the deadline" (the clock is monotonic);
// no test waits for time to synchronise threads, and no test asserts how late a timeout comes.
#include <rill/async.hpp>
#include <rill/rill.hpp>

#include "support/channel_kinds.hpp"
#include "support/owned_coroutine.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <latch>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using rill::test::flavor;
using rill::test::owned_coroutine;

const flavor kinds[] = {{"rendezvous", 0}, {"bounded1", 1}, {"bounded4", 4}, {"unbounded", std::nullopt}};

class AsyncTimedTest : public ::testing::TestWithParam<flavor> {};

INSTANTIATE_TEST_SUITE_P(Flavors, AsyncTimedTest, ::testing::ValuesIn(kinds),
                         [](const auto& info) { return std::string(info.param.name); });

using clock_type = std::chrono::steady_clock;

// SPEC R20, R45: a timed receive on a channel nobody sends to completes with `timeout`, not before
// its deadline, and leaves no timer behind; the coroutine was suspended meanwhile, not its thread
// (a second task on the same loop ran while it waited).
TEST_P(AsyncTimedTest, a_timed_receive_times_out_not_before_its_deadline) {
  auto [tx, rx] = GetParam().make<int>();
  rill::run_loop loop;
  bool other_task_ran_meanwhile = false;
  bool checked = false;
  loop.spawn([](rill::receiver<int> rx, bool& other_ran, bool& checked) -> rill::async_task {
    const auto start = clock_type::now();
    auto received = co_await rx.async_recv_for(20ms);
    EXPECT_GE(clock_type::now() - start, 20ms);
    EXPECT_EQ(received.error(), rill::recv_error::timeout);
    EXPECT_TRUE(other_ran);
    const auto deadline = clock_type::now() + 5ms;
    received = co_await rx.async_recv_until(deadline);
    EXPECT_GE(clock_type::now(), deadline);
    EXPECT_EQ(received.error(), rill::recv_error::timeout);
    checked = true;
  }(rx, other_task_ran_meanwhile, checked));
  loop.spawn([](bool& other_ran) -> rill::async_task {
    other_ran = true;
    co_return;
  }(other_task_ran_meanwhile));
  loop.run();
  EXPECT_TRUE(checked);
  EXPECT_EQ(loop.timers(), 0u);
}

// SPEC R5, R20, R45: a timed send that finds no room (or no receiver) by its deadline completes
// with `timeout` and its message handed back; the channel is as before.
TEST_P(AsyncTimedTest, a_timed_send_times_out_with_its_message) {
  if (GetParam().unbounded()) GTEST_SKIP() << "an unbounded send never waits";
  auto [tx, rx] = GetParam().make<int>();
  for (std::size_t i = 0; i < GetParam().room(); ++i) ASSERT_TRUE(tx.try_send(1).has_value());
  rill::run_loop loop;
  bool checked = false;
  loop.spawn([](rill::sender<int> tx, bool& checked) -> rill::async_task {
    const auto start = clock_type::now();
    auto sent = co_await tx.async_send_for(7, 20ms);
    EXPECT_GE(clock_type::now() - start, 20ms);
    EXPECT_EQ(sent.error().reason, rill::send_errc::timeout);
    EXPECT_EQ(sent.error().message, 7);
    checked = true;
  }(tx, checked));
  loop.run();
  EXPECT_TRUE(checked);
  for (std::size_t i = 0; i < GetParam().room(); ++i) EXPECT_EQ(rx.try_recv().value(), 1);
  EXPECT_EQ(rx.try_recv().error(), rill::recv_error::empty);
}

// SPEC R20, R45: a deadline that has passed (or a zero timeout) tries once: a ready operation
// completes, one that is not reports `timeout` at once.
TEST_P(AsyncTimedTest, a_passed_deadline_tries_once) {
  auto [tx, rx] = GetParam().make<int>();
  rill::run_loop loop;
  bool checked = false;
  loop.spawn([](rill::sender<int> tx, rill::receiver<int> rx, bool buffered, bool& checked) -> rill::async_task {
    EXPECT_EQ((co_await rx.async_recv_for(0s)).error(), rill::recv_error::timeout);
    EXPECT_EQ((co_await rx.async_recv_until(clock_type::now() - 1h)).error(), rill::recv_error::timeout);
    if (buffered) {
      EXPECT_TRUE((co_await tx.async_send_for(3, 0s)).has_value());
      EXPECT_EQ((co_await rx.async_recv_for(-5s)).value(), 3);
    } else {
      EXPECT_EQ((co_await tx.async_send_for(3, 0s)).error().reason, rill::send_errc::timeout);
    }
    checked = true;
  }(tx, rx, GetParam().buffered(), checked));
  loop.run();
  EXPECT_TRUE(checked);
}

// SPEC R9, R20, R45, R49: timed receives with deadlines of 0 to 7 microseconds racing a thread's
// sends (deadlines that pass at the call, before the timer is armed, and while it waits): each
// message is received exactly once, by a timed receive or by a later one after a timeout, in order.
TEST_P(AsyncTimedTest, timed_receives_racing_a_sender_lose_nothing) {
  constexpr int count = 1000;
  auto [tx, rx] = GetParam().make<int>();
  rill::run_loop loop;
  std::vector<int> seen;
  int timeouts = 0;
  loop.spawn([](rill::receiver<int> rx, std::vector<int>& seen, int& timeouts) -> rill::async_task {
    for (int round = 0;; ++round) {
      auto received = co_await rx.async_recv_for(std::chrono::microseconds(round % 8));
      if (received) {
        seen.push_back(*received);
      } else if (received.error() == rill::recv_error::timeout) {
        ++timeouts;
      } else {
        EXPECT_EQ(received.error(), rill::recv_error::disconnected);
        co_return;
      }
    }
  }(std::move(rx), seen, timeouts));
  std::jthread producer([tx = std::move(tx)] {
    for (int i = 0; i < count; ++i) ASSERT_TRUE(tx.send(i).has_value());
  });
  loop.run();
  std::vector<int> expected;
  for (int i = 0; i < count; ++i) expected.push_back(i);
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(loop.timers(), 0u);
  RecordProperty("timeouts", timeouts);
}

// SPEC R9, R20, R45: timed sends with deadlines of 0 to 7 microseconds racing a thread's receives:
// a send that timed out got its message back and sends it again; the receiver sees every message
// once, in order.
TEST_P(AsyncTimedTest, timed_sends_racing_a_receiver_lose_nothing) {
  constexpr int count = 1000;
  auto [tx, rx] = GetParam().make<int>();
  rill::run_loop loop;
  int timeouts = 0;
  loop.spawn([](rill::sender<int> tx, int& timeouts) -> rill::async_task {
    for (int i = 0, round = 0; i < count; ++round) {
      auto sent = co_await tx.async_send_for(i, std::chrono::microseconds(round % 8));
      if (sent) {
        ++i;
      } else {
        EXPECT_EQ(sent.error().reason, rill::send_errc::timeout);
        EXPECT_EQ(sent.error().message, i);
        ++timeouts;
      }
    }
  }(std::move(tx), timeouts));
  std::vector<int> seen;
  std::jthread consumer([rx = std::move(rx), &seen] {
    for (int value : rx) seen.push_back(value);
  });
  loop.run();
  consumer.join();
  std::vector<int> expected;
  for (int i = 0; i < count; ++i) expected.push_back(i);
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(loop.timers(), 0u);
  RecordProperty("timeouts", timeouts);
}

// SPEC R20, R51: an awaited select with on_timeout fires the timeout case when no other case is
// ready by then, not before; with a message sent first, the receive case fires and the timer is
// withdrawn.
TEST_P(AsyncTimedTest, a_select_with_on_timeout_fires_the_timeout_or_the_ready_case) {
  auto [tx, rx] = GetParam().make<int>();
  auto [tx_never, rx_never] = GetParam().make<int>();
  rill::run_loop loop;
  bool checked = false;
  std::latch first_timed_out(1);
  loop.spawn([](rill::receiver<int> rx, rill::receiver<int> never, std::latch& first_timed_out,
                bool& checked) -> rill::async_task {
    const auto start = clock_type::now();
    auto fired = co_await rill::async_select_which(rill::on_recv(rx), rill::on_recv(never), rill::on_timeout(20ms));
    EXPECT_EQ(fired.index(), 2u);
    EXPECT_GE(clock_type::now() - start, 20ms);
    first_timed_out.count_down();
    const int value = co_await rill::async_select(rill::on_recv(rx, [](rill::recv_result<int> r) { return r.value(); }),
                                                  rill::on_deadline(clock_type::now() + 1h, [] { return -1; }));
    EXPECT_EQ(value, 9);
    checked = true;
  }(rx, rx_never, first_timed_out, checked));
  // The second statement's message, sent once the first statement has timed out.
  std::jthread sender([tx = tx, &first_timed_out] {
    first_timed_out.wait();
    ASSERT_TRUE(tx.send(9).has_value());
  });
  loop.run();
  EXPECT_TRUE(checked);
  EXPECT_EQ(loop.timers(), 0u);
}

// SPEC R45, R51: timer receivers can be awaited on an executor with timers: alone, and as select
// cases (after fires once at its time; a tick fires again and again).
TEST(AsyncTimerReceiverTest, timer_receivers_are_awaited_alone_and_in_a_select) {
  rill::run_loop loop;
  bool checked = false;
  loop.spawn([](bool& checked) -> rill::async_task {
    const auto start = clock_type::now();
    auto fired = co_await rill::after(10ms).async_recv();
    EXPECT_TRUE(fired.has_value());
    EXPECT_GE(clock_type::now() - start, 10ms);
    auto [tx, rx] = rill::bounded<int>(1);
    auto tick = rill::tick(2ms);
    int ticks = 0;
    while (ticks < 3) {
      auto which = co_await rill::async_select_which(rill::on_recv(rx), rill::on_recv(tick));
      EXPECT_EQ(which.index(), 1u);
      ++ticks;
    }
    EXPECT_GE(clock_type::now() - start, 16ms);
    auto timed_out = co_await rill::async_select_which(rill::on_recv(rx), rill::on_recv(rill::after(5ms)));
    EXPECT_EQ(timed_out.index(), 1u);
    checked = true;
  }(checked));
  loop.run();
  EXPECT_TRUE(checked);
}

/// An executor without timers: runs what is posted when asked.
struct executor_without_timers {
  std::vector<rill::async_work*> queue;
  void post(rill::async_work& work) { queue.push_back(&work); }
};

// SPEC R45, R51: a wait that needs a timer on an executor that has none throws std::logic_error
// when awaited, before anything is registered; a ready operation needs no timer.
TEST(AsyncTimedMisuseTest, a_deadline_on_an_executor_without_timers_throws) {
  auto [tx, rx] = rill::bounded<int>(1);
  executor_without_timers executor;
  int threw = 0;
  owned_coroutine task = [](rill::sender<int> tx, rill::receiver<int> rx, executor_without_timers& executor,
                            int& threw) -> owned_coroutine {
    try {
      (void)co_await rx.async_recv_for(1s, executor);
    } catch (const std::logic_error&) {
      ++threw;
    }
    try {
      (void)co_await rill::async_select_which(executor, rill::on_recv(rx), rill::on_timeout(1s));
    } catch (const std::logic_error&) {
      ++threw;
    }
    try {
      (void)co_await rill::after(1s).async_recv(executor);
    } catch (const std::logic_error&) {
      ++threw;
    }
    EXPECT_TRUE((co_await tx.async_send_for(4, 1s, executor)).has_value());  // ready: no timer needed
    EXPECT_EQ((co_await rx.async_recv_for(1s, executor)).value(), 4);
  }(tx, rx, executor, threw);
  EXPECT_TRUE(task.handle.done());
  task.handle.destroy();
  EXPECT_EQ(threw, 3);
  EXPECT_TRUE(executor.queue.empty());
  EXPECT_EQ(rx.try_recv().error(), rill::recv_error::empty);
}

}  // namespace
