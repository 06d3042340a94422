// Unit tests of blocking operations behind a slot held by a selected send (SPEC R19, R33, R34,
// R36). A selected send on a bounded channel claims its slot when it is selected and writes it
// when its owner completes it, which may be much later. A blocking receive, a blocking select
// with a receive case, or a readiness wait that reaches that slot has nothing to take until then:
// it must park, and the completion (or the abandonment) must wake it. Spinning instead is what
// these tests catch.
//
// How they measure: the waiting thread reads its own CPU time (getrusage, RUSAGE_THREAD) just
// before and just after the blocking call, so the figure covers the wait and nothing else (not
// the thread's start, not a sanitizer's start-up). The main thread holds the selected send for
// `hold` of wall time once the waiter has announced, through a latch, that it is entering the
// call. That hold is the workload being measured, not synchronisation: whatever the waiter does
// meanwhile, it can return only after the completion, which comes after the hold. The bound is
// the one R19 implies for a parked thread, stated loosely: at most 5% of a core over the hold
// (a spinning waiter uses close to 100%, a parked one a few hundred microseconds, sanitizers
// included). The message checks are the other half: the waiter returns what was sent.
#include <rill/rill.hpp>

#include <gtest/gtest.h>

#include <sys/resource.h>

#include <chrono>
#include <latch>
#include <optional>
#include <string>
#include <thread>
#include <utility>

namespace {

using namespace std::chrono_literals;
using microseconds = std::chrono::microseconds;

/// How long the main thread holds the selected send in the tests of each blocking form.
constexpr auto hold = 1000ms;
/// The two halves of the hold in the tests that change the channel in the middle of it.
constexpr auto half_hold = 200ms;

/// CPU time (user and system) the calling thread has used so far.
microseconds thread_cpu_time() {
  rusage usage{};
  getrusage(RUSAGE_THREAD, &usage);
  return std::chrono::seconds(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         microseconds(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

/// The most CPU time a waiter may use while the main thread holds for `held`: 5% of it.
constexpr microseconds budget_for(std::chrono::milliseconds held) { return held * 50 / 1000; }

/// Runs `wait` on a thread of its own and returns the CPU time that thread used inside it. The
/// calling thread runs `release` once the waiter has said it is entering the call; `release`
/// holds the selected send (the workload) and then completes or abandons it.
template <class Wait, class Release>
microseconds cpu_time_of_wait(Wait wait, Release release) {
  std::latch entering(1);
  microseconds used{};
  std::thread waiter([&] {
    entering.count_down();
    const microseconds before = thread_cpu_time();
    wait();
    used = thread_cpu_time() - before;
  });
  entering.wait();
  release();
  waiter.join();
  ::testing::Test::RecordProperty("waiter_cpu_us", std::to_string(used.count()));
  return used;
}

/// A selected send on `tx`, claimed and not completed: it holds the next slot.
struct held_send {
  explicit held_send(const rill::sender<int>& tx) {
    selection.send(tx);
    chosen.emplace(selection.select());
  }
  rill::selector selection;
  std::optional<rill::selected_operation> chosen;
};

TEST(held_slot, a_blocking_recv_behind_a_held_slot_parks_until_the_send_is_completed) {
  // SPEC R19, R33
  auto [tx, rx] = rill::bounded<int>(1);
  held_send held(tx);
  rill::recv_result<int> received = std::unexpected(rill::recv_error::empty);
  const microseconds used = cpu_time_of_wait([&] { received = rx.recv(); },
                                             [&] {
                                               std::this_thread::sleep_for(hold);  // the workload
                                               ASSERT_TRUE(held.chosen->send(tx, 42).has_value());
                                             });
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(*received, 42) << "R33: the completed send's message";
  EXPECT_LE(used, budget_for(hold)) << "R19: the receiver parks; it used " << used.count() << " us of CPU";
}

TEST(held_slot, recv_for_with_a_deadline_beyond_the_hold_parks_until_the_send_is_completed) {
  // SPEC R19, R20, R33
  auto [tx, rx] = rill::bounded<int>(1);
  held_send held(tx);
  rill::recv_result<int> received = std::unexpected(rill::recv_error::empty);
  const microseconds used = cpu_time_of_wait([&] { received = rx.recv_for(60s); },
                                             [&] {
                                               std::this_thread::sleep_for(hold);
                                               ASSERT_TRUE(held.chosen->send(tx, 42).has_value());
                                             });
  ASSERT_TRUE(received.has_value()) << "R20: the deadline is far beyond the hold";
  EXPECT_EQ(*received, 42);
  EXPECT_LE(used, budget_for(hold)) << "R19: the receiver parks; it used " << used.count() << " us of CPU";
}

TEST(held_slot, a_blocking_select_behind_a_held_slot_parks_until_the_send_is_completed) {
  // SPEC R19, R30, R33
  auto [tx, rx] = rill::bounded<int>(1);
  held_send held(tx);
  int received = -1;
  const microseconds used = cpu_time_of_wait(
      [&] {
        received = rill::select(rill::on_recv(rx, [](rill::recv_result<int> message) { return message.value_or(-2); }));
      },
      [&] {
        std::this_thread::sleep_for(hold);
        ASSERT_TRUE(held.chosen->send(tx, 42).has_value());
      });
  EXPECT_EQ(received, 42) << "R30: the select receives the completed send's message";
  EXPECT_LE(used, budget_for(hold)) << "R19: the selection parks; it used " << used.count() << " us of CPU";
}

TEST(held_slot, a_readiness_wait_behind_a_held_slot_parks_until_the_send_is_completed) {
  // SPEC R19, R36, R33
  auto [tx, rx] = rill::bounded<int>(1);
  held_send held(tx);
  std::size_t ready = 99;
  const microseconds used = cpu_time_of_wait(
      [&] {
        rill::selector watch;
        watch.recv(rx);
        ready = watch.ready();
      },
      [&] {
        std::this_thread::sleep_for(hold);
        ASSERT_TRUE(held.chosen->send(tx, 42).has_value());
      });
  EXPECT_EQ(ready, 0u);
  auto received = rx.try_recv();
  ASSERT_TRUE(received.has_value()) << "R36: ready() returned once the message was there";
  EXPECT_EQ(*received, 42);
  EXPECT_LE(used, budget_for(hold)) << "R19: the readiness wait parks; it used " << used.count() << " us of CPU";
}

TEST(held_slot, a_held_send_given_back_leaves_the_parked_receiver_waiting_for_the_next_send) {
  // SPEC R34, R19, R4
  // Nothing claimed past the held slot, so abandoning it gives the slot back: the channel is empty
  // again, exactly as before the selection, and the receiver keeps waiting (parked) for a send.
  auto [tx, rx] = rill::bounded<int>(1);
  held_send held(tx);
  rill::recv_result<int> received = std::unexpected(rill::recv_error::empty);
  const microseconds used = cpu_time_of_wait([&] { received = rx.recv(); },
                                             [&] {
                                               std::this_thread::sleep_for(half_hold);
                                               held.chosen->abandon();
                                               EXPECT_EQ(tx.size(), 0u) << "R34: the slot was given back";
                                               std::this_thread::sleep_for(half_hold);
                                               ASSERT_TRUE(tx.try_send(7).has_value()) << "R4: there is room again";
                                             });
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(*received, 7) << "R34: the abandoned send sent nothing; the next send's message arrives";
  EXPECT_LE(used, budget_for(2 * half_hold)) << "R19: the receiver parks; it used " << used.count() << " us of CPU";
}

TEST(held_slot, a_held_send_abandoned_behind_a_later_send_leaves_a_hole_the_parked_receiver_skips) {
  // SPEC R34, R19, R33
  // Capacity 2: a plain send claims the slot after the held one while the receiver waits (its
  // message is not receivable before the held slot, R33, so the receiver that its notification
  // wakes must park again); abandoning the held send then leaves a hole, which the receiver
  // skips to take the plain send's message.
  auto [tx, rx] = rill::bounded<int>(2);
  held_send held(tx);
  rill::recv_result<int> received = std::unexpected(rill::recv_error::empty);
  const microseconds used = cpu_time_of_wait([&] { received = rx.recv(); },
                                             [&] {
                                               std::this_thread::sleep_for(half_hold);
                                               ASSERT_TRUE(tx.try_send(6).has_value());
                                               std::this_thread::sleep_for(half_hold);
                                               held.chosen->abandon();
                                             });
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(*received, 6) << "R34: a hole is never delivered";
  EXPECT_FALSE(rx.try_recv().has_value()) << "R9: nothing else was sent";
  EXPECT_LE(used, budget_for(2 * half_hold)) << "R19: the receiver parks; it used " << used.count() << " us of CPU";
}

TEST(held_slot, every_receiver_parked_behind_a_held_slot_is_woken_for_the_messages_behind_it) {
  // SPEC R19, R33, R9
  // Two receivers park behind the held slot; a plain send behind it wakes one of them, which
  // finds the slot still held and parks again. The completion must then wake both: one takes
  // the completed message, the other the one sent behind it. Each reports what it received on
  // `done`. A completion that woke only one receiver would leave the other asleep next to a
  // message: the second report would not come (the bounded wait below is only the observation
  // that turns that hang into a failure; it is never reached when the wake-ups are right).
  auto [tx, rx] = rill::bounded<int>(2);
  auto [done_tx, done_rx] = rill::bounded<int>(2);
  held_send held(tx);
  std::latch entering(2);
  microseconds used[2] = {};
  std::thread receivers[2];
  for (int i = 0; i < 2; ++i) {
    receivers[i] = std::thread([&, i] {
      entering.count_down();
      const microseconds before = thread_cpu_time();
      const rill::recv_result<int> message = rx.recv();
      used[i] = thread_cpu_time() - before;
      (void)done_tx.send(message.value_or(-1));
    });
  }
  entering.wait();
  std::this_thread::sleep_for(half_hold);  // the workload: both receivers wait behind the slot
  EXPECT_TRUE(tx.try_send(6).has_value());
  std::this_thread::sleep_for(half_hold);
  EXPECT_TRUE(held.chosen->send(tx, 5).has_value());
  int sum = 0;
  for (int report = 0; report < 2; ++report) {
    const rill::recv_result<int> received = done_rx.recv_for(20s);
    if (!received.has_value()) {
      ADD_FAILURE() << "R19: a receiver was left parked next to a message";
      (void)tx.try_send(0);  // wakes it, so that it can be joined
      continue;
    }
    sum += *received;
  }
  for (auto& receiver : receivers) receiver.join();
  EXPECT_EQ(sum, 11) << "R9: 5 and 6, once each";
  for (const microseconds one : used) {
    EXPECT_LE(one, budget_for(2 * half_hold)) << "R19: the receivers park; one used " << one.count() << " us of CPU";
  }
}

}  // namespace
