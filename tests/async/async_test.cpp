// Awaiting channel operations from coroutines (rill/async.hpp): results as the blocking twins,
// executor hand-off, destruction of a suspended coroutine, no allocation per operation, and
// threads and coroutines mixed on one channel, for every flavor.
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
#include <atomic>
#include <coroutine>
#include <cstddef>
#include <latch>
#include <memory>
#include <new>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

using rill::test::allocations;  // support/allocation_counter.hpp

namespace {

using rill::test::flavor;

const flavor kinds[] = {{"rendezvous", 0}, {"bounded1", 1}, {"bounded4", 4}, {"unbounded", std::nullopt}};

class AsyncTest : public ::testing::TestWithParam<flavor> {};

INSTANTIATE_TEST_SUITE_P(Flavors, AsyncTest, ::testing::ValuesIn(kinds),
                         [](const auto& info) { return std::string(info.param.name); });

rill::async_task produce(rill::sender<int> tx, int count) {
  for (int i = 0; i < count; ++i) {
    auto sent = co_await tx.async_send(i);
    EXPECT_TRUE(sent.has_value());
  }
}

rill::async_task consume(rill::receiver<int> rx, std::vector<int>& seen, std::optional<rill::recv_error>& end) {
  for (;;) {
    auto received = co_await rx.async_recv();
    if (!received) {
      end = received.error();
      co_return;
    }
    seen.push_back(*received);
  }
}

std::vector<int> iota(int count) {
  std::vector<int> values;
  for (int i = 0; i < count; ++i) values.push_back(i);
  return values;
}

// SPEC R3, R6, R45: a ready operation completes at once, with the blocking twin's result.
TEST_P(AsyncTest, ready_operations_complete_with_the_blocking_results) {
  auto [tx, rx] = GetParam().make<int>();
  rill::run_loop loop;
  std::optional<rill::recv_result<int>> received;
  std::optional<rill::send_result<int>> sent_after_close;
  if (GetParam().buffered()) {
    ASSERT_TRUE(tx.send(7).has_value());
  }
  loop.spawn([](rill::sender<int> tx, rill::receiver<int> rx, bool buffered, auto& received,
                auto& sent_after_close) -> rill::async_task {
    if (buffered) received = co_await rx.async_recv();
    tx.close();
    sent_after_close = co_await tx.async_send(8);
  }(tx, rx, GetParam().buffered(), received, sent_after_close));
  loop.run();
  if (GetParam().buffered()) {
    ASSERT_TRUE(received.has_value());
    EXPECT_EQ(received->value(), 7);
  }
  ASSERT_TRUE(sent_after_close.has_value());
  ASSERT_FALSE(sent_after_close->has_value());
  EXPECT_EQ(sent_after_close->error().reason, rill::send_errc::disconnected);
  EXPECT_EQ(sent_after_close->error().message, 8);
}

// SPEC R13, R45, R46: two coroutines on one single-thread loop pass every message in order, the
// receiver suspending and being resumed by the loop; when the sender goes, the receiver sees
// disconnected. On a rendezvous channel the two are parties of one thread (R35 concerns waiters).
TEST_P(AsyncTest, coroutines_on_one_loop_pass_every_message_in_order) {
  auto [tx, rx] = GetParam().make<int>();
  rill::run_loop loop;
  std::vector<int> seen;
  std::optional<rill::recv_error> end;
  loop.spawn(consume(std::move(rx), seen, end));
  loop.spawn(produce(std::move(tx), 300));
  loop.run();
  EXPECT_EQ(seen, iota(300));
  EXPECT_EQ(end, rill::recv_error::disconnected);
  EXPECT_EQ(loop.unfinished(), 0u);
}

// SPEC R12, R45: close() wakes an awaiting receiver with disconnected, and an awaiting sender,
// which gets its message back.
TEST_P(AsyncTest, close_wakes_awaiting_operations_and_hands_the_message_back) {
  auto [tx, rx] = GetParam().make<std::unique_ptr<int>>();
  rill::run_loop loop;
  std::optional<rill::recv_result<std::unique_ptr<int>>> received;
  std::optional<rill::send_result<std::unique_ptr<int>>> sent;
  int* const message = new int(5);
  if (!GetParam().unbounded()) {
    for (std::size_t i = 0; i < GetParam().room(); ++i) ASSERT_TRUE(tx.try_send(std::make_unique<int>(0)).has_value());
    loop.spawn([](auto tx, int* message, auto& sent) -> rill::async_task {
      sent = co_await tx.async_send(std::unique_ptr<int>(message));
    }(tx, message, sent));
  } else {
    delete message;
  }
  auto [tx2, rx2] = GetParam().make<std::unique_ptr<int>>();
  loop.spawn([](auto rx2, auto& received) -> rill::async_task { received = co_await rx2.async_recv(); }(rx2, received));
  loop.spawn([](auto tx, auto tx2) -> rill::async_task {
    tx.close();
    tx2.close();
    co_return;
  }(tx, tx2));
  loop.run();
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(*received, std::unexpected(rill::recv_error::disconnected));
  if (!GetParam().unbounded()) {
    ASSERT_TRUE(sent.has_value());
    ASSERT_FALSE(sent->has_value());
    EXPECT_EQ(sent->error().reason, rill::send_errc::disconnected);
    EXPECT_EQ(sent->error().message.get(), message);
  }
}

// SPEC R9, R13, R49: a thread blocking in send feeds a coroutine awaiting recv, and a coroutine awaiting
// send feeds a thread blocking in recv, on the same channel kinds.
TEST_P(AsyncTest, threads_and_coroutines_mix_in_both_directions) {
  constexpr int count = 2000;
  {
    auto [tx, rx] = GetParam().make<int>();
    rill::run_loop loop;
    std::vector<int> seen;
    std::optional<rill::recv_error> end;
    loop.spawn(consume(std::move(rx), seen, end));
    std::jthread producer([tx = std::move(tx)] {
      for (int i = 0; i < count; ++i) ASSERT_TRUE(tx.send(i).has_value());
    });
    loop.run();
    EXPECT_EQ(seen, iota(count));
    EXPECT_EQ(end, rill::recv_error::disconnected);
  }
  {
    auto [tx, rx] = GetParam().make<int>();
    rill::run_loop loop;
    loop.spawn(produce(std::move(tx), count));
    std::vector<int> seen;
    std::jthread consumer([rx = std::move(rx), &seen] {
      for (int value : rx) seen.push_back(value);
    });
    loop.run();
    consumer.join();
    EXPECT_EQ(seen, iota(count));
  }
}

// SPEC R9, R49: many coroutines on two loops (two threads) and blocking threads, senders and
// receivers of both kinds on one channel: every message is received exactly once.
TEST_P(AsyncTest, coroutines_on_two_loops_and_threads_share_one_channel) {
  constexpr int per_sender = 500;
  constexpr int coroutine_senders = 4;  // two per loop
  constexpr int thread_senders = 2;
  auto [tx, rx] = GetParam().make<int>();
  rill::run_loop loops[2];
  std::vector<int> seen[2][2];
  std::optional<rill::recv_error> ends[2][2];
  std::vector<int> thread_seen[2];
  for (int l = 0; l < 2; ++l) {
    for (int c = 0; c < 2; ++c) {
      loops[l].spawn(consume(rx, seen[l][c], ends[l][c]));
      loops[l].spawn([](rill::sender<int> tx, int base) -> rill::async_task {
        for (int i = 0; i < per_sender; ++i) EXPECT_TRUE((co_await tx.async_send(base + i)).has_value());
      }(tx, (l * 2 + c) * per_sender));
    }
  }
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([rx, &mine = thread_seen[t]] {
        for (int value : rx) mine.push_back(value);
      });
      threads.emplace_back([tx, t] {
        for (int i = 0; i < per_sender; ++i) ASSERT_TRUE(tx.send((coroutine_senders + t) * per_sender + i).has_value());
      });
    }
    threads.emplace_back([&loops] { loops[0].run(); });
    threads.emplace_back([&loops] { loops[1].run(); });
    tx.reset();
    rx.reset();
  }
  std::vector<int> all;
  for (auto& loop_seen : seen) {
    for (auto& one : loop_seen) all.insert(all.end(), one.begin(), one.end());
  }
  for (auto& one : thread_seen) all.insert(all.end(), one.begin(), one.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, iota((coroutine_senders + thread_senders) * per_sender));
  for (auto& loop_ends : ends) {
    for (auto& end : loop_ends) EXPECT_EQ(end, rill::recv_error::disconnected);
  }
}

using rill::test::owned_coroutine;  // support/owned_coroutine.hpp

// SPEC R9, R48: destroying a coroutine suspended in a receive unregisters its waiter: the next
// message is neither lost to it nor is a wake-up spent on it.
TEST_P(AsyncTest, destroying_a_suspended_receive_unregisters_it) {
  auto [tx, rx] = GetParam().make<int>();
  rill::run_loop loop;
  owned_coroutine waiting = [](rill::receiver<int> rx, rill::run_loop& loop) -> owned_coroutine {
    (void)co_await rx.async_recv(loop);
    ADD_FAILURE() << "resumed after destruction";
  }(rx, loop);
  ASSERT_FALSE(waiting.handle.done());
  waiting.handle.destroy();
  if (GetParam().rendezvous()) {
    // Nobody waits any more: a try_send finds no receiver.
    EXPECT_EQ(tx.try_send(1).error().reason, rill::send_errc::full);
  }
  // A blocking receiver that waits now is woken by the next send.
  std::latch started(1);
  std::optional<rill::recv_result<int>> received;
  std::jthread receiver([&, rx = rx] {
    started.count_down();
    received = rx.recv();
  });
  started.wait();
  ASSERT_TRUE(tx.send(2).has_value());
  receiver.join();
  ASSERT_TRUE(received.has_value());
  EXPECT_EQ(received->value(), 2);
}

// SPEC R9, R48: destroying a coroutine suspended in a send unregisters it; its message is destroyed
// with the frame and never delivered.
TEST_P(AsyncTest, destroying_a_suspended_send_destroys_its_message_undelivered) {
  if (GetParam().unbounded()) GTEST_SKIP() << "an unbounded send never waits";
  using rill::test::tracked;
  const int alive_before = tracked::alive.load();
  {
    auto [tx, rx] = GetParam().make<tracked>();
    for (std::size_t i = 0; i < GetParam().room(); ++i) ASSERT_TRUE(tx.try_send(tracked(1)).has_value());
    rill::run_loop loop;
    owned_coroutine waiting = [](rill::sender<tracked> tx, rill::run_loop& loop) -> owned_coroutine {
      (void)co_await tx.async_send(tracked(99), loop);
      ADD_FAILURE() << "resumed after destruction";
    }(tx, loop);
    ASSERT_FALSE(waiting.handle.done());
    waiting.handle.destroy();
    EXPECT_EQ(tracked::alive.load(), alive_before + static_cast<int>(GetParam().room()));
    for (std::size_t i = 0; i < GetParam().room(); ++i) EXPECT_EQ(rx.try_recv()->value, 1);
    EXPECT_EQ(rx.try_recv().error(), rill::recv_error::empty);
  }
  EXPECT_EQ(tracked::alive.load(), alive_before);
}

// SPEC R9, R18, R48: a coroutine destroyed after a sender chose its receive (its wake-up queued on a
// loop that is not running) passes the notification on: the message goes to the next waiter.
// On a rendezvous channel the chosen receive has received: the message dies with the frame.
TEST_P(AsyncTest, destroying_a_chosen_receive_passes_the_message_on) {
  using rill::test::tracked;
  const int alive_before = tracked::alive.load();
  {
    auto [tx, rx] = GetParam().make<tracked>();
    rill::run_loop loop;
    std::optional<rill::recv_result<tracked>> second;
    auto await_one = [](rill::receiver<tracked> rx, rill::run_loop& loop,
                        std::optional<rill::recv_result<tracked>>& into) -> owned_coroutine {
      into.emplace(co_await rx.async_recv(loop));
    };
    std::optional<rill::recv_result<tracked>> first;
    owned_coroutine chosen = await_one(rx, loop, first);
    owned_coroutine next = await_one(rx, loop, second);
    ASSERT_TRUE(tx.try_send(tracked(1)).has_value());  // chooses `chosen`, the first waiter
    chosen.handle.destroy();
    loop.run();  // runs what is queued
    if (GetParam().rendezvous()) {
      EXPECT_FALSE(second.has_value());
      next.handle.destroy();  // not chosen: unregistered
    } else {
      ASSERT_TRUE(second.has_value());
      EXPECT_EQ((*second)->value, 1);
      ASSERT_TRUE(next.handle.done());
      next.handle.destroy();
    }
    EXPECT_EQ(rx.try_recv().error(), rill::recv_error::empty);
  }
  EXPECT_EQ(tracked::alive.load(), alive_before);
}

// SPEC R9, R48: a coroutine destroyed after a receiver chose its send gives the chance back: on a
// buffered channel the freed slot goes to the next sender; on a rendezvous channel the receiver
// is declined and takes the next send. Its own message is destroyed, never delivered.
TEST_P(AsyncTest, destroying_a_chosen_send_gives_the_chance_back) {
  if (GetParam().unbounded()) GTEST_SKIP() << "an unbounded send never waits";
  using rill::test::tracked;
  const int alive_before = tracked::alive.load();
  {
    auto [tx, rx] = GetParam().make<tracked>();
    rill::run_loop loop;
    for (std::size_t i = 0; i < GetParam().room(); ++i) ASSERT_TRUE(tx.try_send(tracked(1)).has_value());
    auto send_one = [](rill::sender<tracked> tx, rill::run_loop& loop, int value) -> owned_coroutine {
      EXPECT_TRUE((co_await tx.async_send(tracked(value), loop)).has_value());
    };
    owned_coroutine chosen = send_one(tx, loop, 2);
    if (GetParam().rendezvous()) {
      // A thread's receive pairs with the waiting send, or, if it comes after the destruction,
      // waits; either way it gets the next message sent.
      std::optional<rill::recv_result<tracked>> received;
      std::jthread receiver([&, rx = rx] { received.emplace(rx.recv()); });
      chosen.handle.destroy();
      ASSERT_TRUE(tx.send(tracked(3)).has_value());
      receiver.join();
      ASSERT_TRUE(received.has_value());
      EXPECT_EQ((*received)->value, 3);
    } else {
      owned_coroutine next = send_one(tx, loop, 3);
      EXPECT_EQ(rx.try_recv()->value, 1);  // frees a slot: chooses `chosen`, the first waiter
      chosen.handle.destroy();
      loop.run();
      ASSERT_TRUE(next.handle.done());
      next.handle.destroy();
      for (std::size_t i = 1; i < GetParam().room(); ++i) EXPECT_EQ(rx.try_recv()->value, 1);
      EXPECT_EQ(rx.try_recv()->value, 3);
    }
    EXPECT_EQ(rx.try_recv().error(), rill::recv_error::empty);
  }
  EXPECT_EQ(tracked::alive.load(), alive_before);
}

// SPEC R47: once running, awaiting operations allocate nothing (the waiter, the context and the
// work item live in the awaitable, on the coroutine frame; the run loop's queue is intrusive).
TEST_P(AsyncTest, awaiting_allocates_nothing_per_operation) {
  if (GetParam().unbounded()) GTEST_SKIP() << "the unbounded flavor allocates a block per 31 messages";
  constexpr int count = 2000;
  constexpr int warm_up = 100;
  auto [tx, rx] = GetParam().make<int>();
  rill::run_loop loop;
  std::size_t at_warm_up = 0;
  std::size_t at_end = 0;
  loop.spawn([](rill::receiver<int> rx, std::size_t& at_warm_up, std::size_t& at_end) -> rill::async_task {
    for (int i = 0; i < count; ++i) {
      if (i == warm_up) at_warm_up = allocations.load();
      EXPECT_EQ((co_await rx.async_recv()).value(), i);
    }
    at_end = allocations.load();
  }(rx, at_warm_up, at_end));
  loop.spawn([](rill::sender<int> tx) -> rill::async_task {
    for (int i = 0; i < count; ++i) EXPECT_TRUE((co_await tx.async_send(i)).has_value());
  }(tx));
  loop.run();
  EXPECT_GT(at_warm_up, 0u);
  EXPECT_EQ(at_end, at_warm_up);
}

// SPEC R38, R49: on a rendezvous channel, an awaiting receive meets a thread's blocking select
// send (whose message exists only once the select completes it), in either order of arrival.
TEST(AsyncRendezvousTest, awaiting_receive_meets_a_blocking_select_send) {
  constexpr int count = 500;
  auto [tx, rx] = rill::bounded<int>(0);
  rill::run_loop loop;
  std::vector<int> seen;
  std::optional<rill::recv_error> end;
  loop.spawn(consume(rx, seen, end));
  std::jthread sender([tx = std::move(tx)] {
    for (int i = 0; i < count; ++i) {
      rill::select(rill::on_send(tx, i, [](rill::send_result<int> sent) { ASSERT_TRUE(sent.has_value()); }));
    }
  });
  rx.reset();
  loop.run();
  EXPECT_EQ(seen, iota(count));
  EXPECT_EQ(end, rill::recv_error::disconnected);
}

// SPEC R22, R40: misuse that cannot be compiled away throws at the call (a timer receiver on an
// executor without timers: async_timed_test.cpp).
TEST(AsyncMisuseTest, empty_handles_throw) {
  rill::receiver<int> empty;
  EXPECT_THROW((void)empty.async_recv(), rill::empty_handle_error);
  rill::sender<int> no_sender;
  EXPECT_THROW((void)no_sender.async_send(1), rill::empty_handle_error);
}

}  // namespace
