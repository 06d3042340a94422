// Awaiting a select statement from a coroutine (rill::async_select and its forms, SPEC R51): one
// case fires, with the blocking statement's outcome; the coroutine is suspended, never its
// thread; every message is received exactly once when coroutines and threads select over the same
// channels; a send case that does not fire keeps its message; destroying a suspended or a chosen
// select leaves every channel as if it had never waited; nothing is allocated per statement.
//
// Threads synchronise through the channels and the run loops; no test uses a clock. This binary
// counts allocations by wrapping operator new at link time (R47).
#include <rill/async.hpp>
#include <rill/rill.hpp>

#include "support/allocation_counter.hpp"
#include "support/channel_kinds.hpp"
#include "support/owned_coroutine.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <latch>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using rill::test::allocations;      // support/allocation_counter.hpp
using rill::test::owned_coroutine;  // support/owned_coroutine.hpp

namespace {

using rill::test::flavor;

const flavor kinds[] = {{"rendezvous", 0}, {"bounded1", 1}, {"bounded4", 4}, {"unbounded", std::nullopt}};

class AsyncSelectTest : public ::testing::TestWithParam<flavor> {};

INSTANTIATE_TEST_SUITE_P(Flavors, AsyncSelectTest, ::testing::ValuesIn(kinds),
                         [](const auto& info) { return std::string(info.param.name); });

// SPEC R30, R51: a statement with a ready case completes without suspending, with the value
// rill::select would return; the other case's message stays with the caller.
TEST(AsyncSelectReadyTest, a_ready_case_fires_at_once_with_the_blocking_statements_value) {
  auto [tx_a, rx_a] = rill::bounded<int>(1);
  auto [tx_b, rx_b] = rill::bounded<int>(1);
  ASSERT_TRUE(tx_b.try_send(7).has_value());
  ASSERT_TRUE(tx_a.try_send(0).has_value());  // tx_a is full: a send to it is not ready
  rill::run_loop loop;
  bool finished = false;
  loop.spawn([](rill::sender<int> tx_a, rill::receiver<int> rx_b, bool& finished) -> rill::async_task {
    int kept = 5;
    auto fired = co_await rill::async_select_which(rill::on_send(tx_a, kept), rill::on_recv(rx_b));
    EXPECT_EQ(fired.index(), 1u);
    EXPECT_EQ(fired.get<1>().value(), 7);
    EXPECT_EQ(kept, 5);  // the send case did not fire: its message is untouched
    const int doubled = co_await rill::async_select(rill::on_recv(rx_b, [](rill::recv_result<int>) { return -1; }),
                                                    rill::on_default([] { return 2 * 21; }));
    EXPECT_EQ(doubled, 42);  // nothing ready: the default, without suspending
    finished = true;
  }(tx_a, rx_b, finished));
  loop.run();
  EXPECT_TRUE(finished);
}

/// Receives from both channels until both are disconnected; a case whose channel is disconnected
/// is switched off with rill::when.
rill::async_task drain_both(rill::receiver<int> first, rill::receiver<int> second, std::vector<int>& from_first,
                            std::vector<int>& from_second) {
  bool first_open = true;
  bool second_open = true;
  while (first_open || second_open) {
    auto fired = co_await rill::async_select_which(rill::when(first_open, rill::on_recv(first)),
                                                   rill::when(second_open, rill::on_recv(second)));
    if (fired.index() == 0) {
      if (auto value = fired.get<0>()) {
        from_first.push_back(*value);
      } else {
        first_open = false;
      }
    } else {
      if (auto value = fired.get<1>()) {
        from_second.push_back(*value);
      } else {
        second_open = false;
      }
    }
  }
}

std::vector<int> iota(int count) {
  std::vector<int> values;
  for (int i = 0; i < count; ++i) values.push_back(i);
  return values;
}

// SPEC R9, R32, R51: a coroutine selecting over two channels fed by two threads receives every
// message exactly once and in each sender's order, then sees both disconnections.
TEST_P(AsyncSelectTest, selecting_over_two_channels_receives_every_message_once) {
  constexpr int count = 2000;
  auto [tx_a, rx_a] = GetParam().make<int>();
  auto [tx_b, rx_b] = GetParam().make<int>();
  rill::run_loop loop;
  std::vector<int> from_a;
  std::vector<int> from_b;
  loop.spawn(drain_both(std::move(rx_a), std::move(rx_b), from_a, from_b));
  std::jthread producer_a([tx = std::move(tx_a)] {
    for (int i = 0; i < count; ++i) ASSERT_TRUE(tx.send(i).has_value());
  });
  std::jthread producer_b([tx = std::move(tx_b)] {
    for (int i = 0; i < count; ++i) ASSERT_TRUE(tx.send(i).has_value());
  });
  loop.run();
  EXPECT_EQ(from_a, iota(count));
  EXPECT_EQ(from_b, iota(count));
}

// SPEC R9, R34, R51: coroutines on two loops and threads, each selecting between sending its next
// message and receiving, on the same two channels: every message is delivered exactly once, each
// sender's in order, and a send that did not fire is sent again later (its message was kept).
TEST_P(AsyncSelectTest, coroutines_and_threads_select_sends_and_receives_on_shared_channels) {
  constexpr int per_sender = 600;
  auto [tx_a, rx_a] = GetParam().make<int>();
  auto [tx_b, rx_b] = GetParam().make<int>();
  // Messages: sender id * per_sender + sequence number. Four senders: two coroutines (one per loop,
  // sending to a, receiving from b) and two threads (sending to b, receiving from a), each also
  // receiving until it has taken its share; the receipts are merged at the end.
  constexpr int senders = 4;
  std::array<std::vector<int>, senders> received;
  auto coroutine_side = [](rill::sender<int> out, rill::receiver<int> in, int id, int share,
                           std::vector<int>& got) -> rill::async_task {
    int next = 0;
    while (next < per_sender || static_cast<int>(got.size()) < share) {
      int message = id * per_sender + next;
      auto fired =
          co_await rill::async_select_which(rill::when(next < per_sender, rill::on_send(out, message)),
                                            rill::when(static_cast<int>(got.size()) < share, rill::on_recv(in)));
      if (fired.index() == 0) {
        EXPECT_TRUE(fired.get<0>().has_value());
        ++next;
      } else {
        got.push_back(fired.get<1>().value());
      }
    }
  };
  auto thread_side = [](rill::sender<int> out, rill::receiver<int> in, int id, int share, std::vector<int>& got) {
    int next = 0;
    while (next < per_sender || static_cast<int>(got.size()) < share) {
      int message = id * per_sender + next;
      auto fired = rill::select_which(rill::when(next < per_sender, rill::on_send(out, message)),
                                      rill::when(static_cast<int>(got.size()) < share, rill::on_recv(in)));
      if (fired.index() == 0) {
        ASSERT_TRUE(fired.get<0>().has_value());
        ++next;
      } else {
        got.push_back(fired.get<1>().value());
      }
    }
  };
  // Channel a carries the coroutines' 2 * per_sender messages to the threads, b the threads' to
  // the coroutines; each receiver takes half of what its channel carries.
  rill::run_loop loop_0;
  rill::run_loop loop_1;
  loop_0.spawn(coroutine_side(tx_a, rx_b, 0, per_sender, received[0]));
  loop_1.spawn(coroutine_side(tx_a, rx_b, 1, per_sender, received[1]));
  {
    std::jthread run_1([&] { loop_1.run(); });
    std::jthread thread_2([&, tx = tx_b, rx = rx_a] { thread_side(tx, rx, 2, per_sender, received[2]); });
    std::jthread thread_3([&, tx = tx_b, rx = rx_a] { thread_side(tx, rx, 3, per_sender, received[3]); });
    loop_0.run();
  }
  // Each sender's messages arrive exactly once, in order within each receiver.
  std::array<std::vector<int>, senders> per_source;
  for (const auto& got : received) {
    std::array<int, senders> last{-1, -1, -1, -1};
    for (const int message : got) {
      const int source = message / per_sender;
      const int sequence = message % per_sender;
      ASSERT_GT(sequence, last[source]) << "out of order from sender " << source;
      last[source] = sequence;
      per_source[source].push_back(sequence);
    }
  }
  for (auto& sequences : per_source) {
    std::sort(sequences.begin(), sequences.end());
    EXPECT_EQ(sequences, iota(per_sender));
  }
  EXPECT_EQ(rx_a.try_recv().error(), rill::recv_error::empty);
  EXPECT_EQ(rx_b.try_recv().error(), rill::recv_error::empty);
}

// SPEC R31, R51: among cases that are ready together, each fires about as often as the other
// (2,000 statements over two full channels: each case's count is binomial(2000, 1/2), whose
// standard deviation is 22; the bounds are 9 deviations away), and the biased form always picks
// the first.
TEST(AsyncSelectFairnessTest, ready_cases_fire_uniformly_and_the_biased_form_takes_the_first) {
  constexpr int rounds = 2000;
  auto [tx_a, rx_a] = rill::unbounded<int>();
  auto [tx_b, rx_b] = rill::unbounded<int>();
  for (int i = 0; i < 2 * rounds; ++i) {
    ASSERT_TRUE(tx_a.send(i).has_value());
    ASSERT_TRUE(tx_b.send(i).has_value());
  }
  rill::run_loop loop;
  std::array<int, 2> fair{};
  std::array<int, 2> biased{};
  loop.spawn([](rill::receiver<int> a, rill::receiver<int> b, std::array<int, 2>& fair,
                std::array<int, 2>& biased) -> rill::async_task {
    for (int i = 0; i < rounds; ++i)
      ++fair[(co_await rill::async_select_which(rill::on_recv(a), rill::on_recv(b))).index()];
    for (int i = 0; i < rounds; ++i) {
      ++biased[(co_await rill::async_select_which_biased(rill::on_recv(a), rill::on_recv(b))).index()];
    }
  }(rx_a, rx_b, fair, biased));
  loop.run();
  EXPECT_GT(fair[0], 800);
  EXPECT_GT(fair[1], 800);
  EXPECT_EQ(biased[0], rounds);
}

// SPEC R9, R48, R51: destroying a coroutine suspended in a select unregisters every case: the
// next message of each channel reaches a thread's receive, none is lost to the destroyed frame.
TEST_P(AsyncSelectTest, destroying_a_suspended_select_unregisters_every_case) {
  auto [tx_a, rx_a] = GetParam().make<int>();
  auto [tx_b, rx_b] = GetParam().make<int>();
  rill::run_loop loop;
  owned_coroutine waiting = [](rill::receiver<int> a, rill::receiver<int> b, rill::run_loop& loop) -> owned_coroutine {
    (void)co_await rill::async_select_which(loop, rill::on_recv(a), rill::on_recv(b));
    ADD_FAILURE() << "resumed after destruction";
  }(rx_a, rx_b, loop);
  ASSERT_FALSE(waiting.handle.done());
  waiting.handle.destroy();
  if (GetParam().rendezvous()) {
    EXPECT_EQ(tx_a.try_send(1).error().reason, rill::send_errc::full);  // nobody waits any more
    EXPECT_EQ(tx_b.try_send(1).error().reason, rill::send_errc::full);
  }
  for (auto* channel : {&rx_a, &rx_b}) {
    std::latch started(1);
    std::optional<rill::recv_result<int>> received;
    std::jthread receiver([&, rx = *channel] {
      started.count_down();
      received = rx.recv();
    });
    started.wait();
    ASSERT_TRUE((channel == &rx_a ? tx_a : tx_b).send(2).has_value());
    receiver.join();
    ASSERT_TRUE(received.has_value());
    EXPECT_EQ(received->value(), 2);
  }
  loop.run();
}

// SPEC R9, R48, R51: destroying a coroutine after a sender chose its select's receive case passes
// the message on: on a buffered channel it stays buffered for the next receiver; on a rendezvous
// channel it was received into the frame and is destroyed with it. Either way the other case is
// unregistered and nothing leaks.
TEST_P(AsyncSelectTest, destroying_a_chosen_select_passes_the_message_on) {
  using rill::test::tracked;
  const int alive_before = tracked::alive.load();
  {
    auto [tx_a, rx_a] = GetParam().make<tracked>();
    auto [tx_b, rx_b] = GetParam().make<tracked>();
    rill::run_loop loop;
    owned_coroutine chosen = [](rill::receiver<tracked> a, rill::receiver<tracked> b,
                                rill::run_loop& loop) -> owned_coroutine {
      (void)co_await rill::async_select_which(loop, rill::on_recv(a), rill::on_recv(b));
      ADD_FAILURE() << "resumed after destruction";
    }(rx_a, rx_b, loop);
    ASSERT_FALSE(chosen.handle.done());
    // Chooses the select's receive case (on a rendezvous channel, the send hands the message
    // over into the frame before it returns).
    ASSERT_TRUE(tx_a.try_send(tracked(1)).has_value());
    chosen.handle.destroy();  // its wake-up is queued on the loop, which is not running: withdrawn
    loop.run();
    if (GetParam().buffered()) {
      EXPECT_EQ(rx_a.try_recv()->value, 1);  // still there for the next receiver
    }
    EXPECT_EQ(rx_a.try_recv().error(), rill::recv_error::empty);
    // The other case was unregistered: a rendezvous try_send finds nobody; a buffered one is kept.
    if (GetParam().rendezvous()) {
      EXPECT_EQ(tx_b.try_send(tracked(2)).error().reason, rill::send_errc::full);
    } else {
      ASSERT_TRUE(tx_b.try_send(tracked(2)).has_value());
      EXPECT_EQ(rx_b.try_recv()->value, 2);
    }
  }
  EXPECT_EQ(tracked::alive.load(), alive_before);
}

// SPEC R38, R51: on a rendezvous channel, a coroutine's select that receives meets a thread's
// blocking select that sends (the pairing made by the coroutine's registration, whose hand-off
// posts it), and a coroutine's select that sends meets a thread's select that receives.
TEST(AsyncSelectRendezvousTest, a_coroutine_select_meets_a_thread_select_in_both_directions) {
  constexpr int count = 500;
  auto [tx_in, rx_in] = rill::bounded<int>(0);
  auto [tx_out, rx_out] = rill::bounded<int>(0);
  auto [tx_never, rx_never] = rill::bounded<int>(0);  // a second case that never fires
  rill::run_loop loop;
  std::vector<int> relayed;
  loop.spawn([](rill::receiver<int> in, rill::sender<int> out, rill::receiver<int> never) -> rill::async_task {
    for (;;) {
      auto fired = co_await rill::async_select_which(rill::on_recv(in), rill::on_recv(never));
      EXPECT_EQ(fired.index(), 0u);
      if (!fired.get<0>()) co_return;
      int message = *fired.get<0>();
      auto sent = co_await rill::async_select_which(rill::on_send(out, message), rill::on_recv(never));
      EXPECT_EQ(sent.index(), 0u);
      EXPECT_TRUE(sent.get<0>().has_value());
    }
  }(std::move(rx_in), std::move(tx_out), rx_never));
  std::jthread producer([tx = std::move(tx_in)] {
    for (int i = 0; i < count; ++i) {
      rill::select(rill::on_send(tx, i, [](rill::send_result<int> sent) { ASSERT_TRUE(sent.has_value()); }));
    }
  });
  std::jthread consumer([&relayed, rx = std::move(rx_out)] {
    for (;;) {
      auto fired = rill::select_which(rill::on_recv(rx));
      if (!fired.get<0>()) return;
      relayed.push_back(*fired.get<0>());
    }
  });
  loop.run();
  consumer.join();
  EXPECT_EQ(relayed, iota(count));
}

// SPEC R35, R51: a coroutine's select that receives and sends on one rendezvous channel never meets
// itself, as a thread's select does not (R35): alone, it suspends (the loop runs the next task,
// which closes the channel, and the select completes with `disconnected`); with a partner coroutine
// on the same loop, the partner's receive gets the select's message. (Found by the async fuzz
// target: the select paired its own send with its own receive and spun.)
TEST(AsyncSelectRendezvousTest, a_select_never_meets_itself_on_one_channel) {
  auto await_both = [](rill::sender<int> tx, rill::receiver<int> rx, std::optional<std::size_t>& fired,
                       bool& disconnected) -> rill::async_task {
    int message = 1;
    // Biased: the receive registers first, so the send's registration finds it waiting; a random
    // order would hide the fault half of the time.
    auto outcome = co_await rill::async_select_which_biased(rill::on_recv(rx), rill::on_send(tx, message));
    fired = outcome.index();
    disconnected = outcome.index() == 0 ? !outcome.get<0>().has_value() : !outcome.get<1>().has_value();
  };
  {
    auto [tx, rx] = rill::bounded<int>(0);
    rill::run_loop loop;
    std::optional<std::size_t> fired;
    bool disconnected = false;
    loop.spawn(await_both(tx, rx, fired, disconnected));
    loop.spawn([](rill::sender<int> tx) -> rill::async_task {
      tx.close();
      co_return;
    }(tx));
    loop.run();
    ASSERT_TRUE(fired.has_value());
    EXPECT_TRUE(disconnected);
  }
  {
    auto [tx, rx] = rill::bounded<int>(0);
    rill::run_loop loop;
    std::optional<std::size_t> fired;
    bool disconnected = true;
    std::optional<int> partner_got;
    loop.spawn(await_both(tx, rx, fired, disconnected));
    loop.spawn([](rill::receiver<int> rx, std::optional<int>& got) -> rill::async_task {
      got = (co_await rx.async_recv()).value();
    }(rx, partner_got));
    loop.run();
    EXPECT_EQ(fired, 1u);
    EXPECT_FALSE(disconnected);
    EXPECT_EQ(partner_got, 1);
  }
}

// SPEC R47, R51: once running, an awaited select allocates nothing (its operations, waiters,
// context and work item live in the awaitable, on the coroutine frame).
TEST_P(AsyncSelectTest, awaiting_a_select_allocates_nothing_per_statement) {
  if (GetParam().unbounded()) GTEST_SKIP() << "the unbounded flavor allocates a block per 31 messages";
  constexpr int count = 2000;
  constexpr int warm_up = 100;
  auto [tx, rx] = GetParam().make<int>();
  auto [tx_never, rx_never] = GetParam().make<int>();
  rill::run_loop loop;
  std::size_t at_warm_up = 0;
  std::size_t at_end = 0;
  loop.spawn([](rill::receiver<int> rx, rill::receiver<int> never, std::size_t& at_warm_up,
                std::size_t& at_end) -> rill::async_task {
    for (int i = 0; i < count; ++i) {
      if (i == warm_up) at_warm_up = allocations.load();
      auto fired = co_await rill::async_select_which(rill::on_recv(rx), rill::on_recv(never));
      EXPECT_EQ(fired.get<0>().value(), i);
    }
    at_end = allocations.load();
  }(rx, rx_never, at_warm_up, at_end));
  loop.spawn([](rill::sender<int> tx) -> rill::async_task {
    for (int i = 0; i < count; ++i) EXPECT_TRUE((co_await tx.async_send(i)).has_value());
  }(tx));
  loop.run();
  EXPECT_GT(at_warm_up, 0u);
  EXPECT_EQ(at_end, at_warm_up);
}

// SPEC R22, R30, R51: what cannot be awaited throws when the statement is made, before anything is
// started: an empty handle, and a statement whose cases are all switched off (a timer or deadline
// on an executor without timers throws when awaited: async_timed_test.cpp).
TEST(AsyncSelectMisuseTest, empty_handles_and_statements_switched_off_throw) {
  rill::receiver<int> empty;
  EXPECT_THROW((void)rill::async_select(rill::on_recv(empty)), rill::empty_handle_error);
  auto [tx, rx] = rill::bounded<int>(1);
  EXPECT_THROW((void)rill::async_select(rill::when(false, rill::on_recv(rx))), std::logic_error);
}

}  // namespace
