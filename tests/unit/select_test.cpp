// Unit tests of selection (SPEC R30-R39): rill::selector, the rill::select statement, and the
// timers and never<T>() receivers as select cases, for every flavor.
//
// Each test names its rules in its first line. Flavors run as value-parameterised cases:
// rendezvous (bounded 0), bounded 1, bounded 4, unbounded.
//
// Synchronisation: threads are ordered with the channels themselves, std::latch, and the
// readiness waits of R36. A rendezvous test that needs a partner *provably* waiting starts it on
// its own thread and then waits in `selector::ready()` on the opposite direction of the same
// channel: on a rendezvous, a receive is ready only when a sender of another thread is blocked
// in it (and vice versa), so ready() returning proves the partner is parked there (helpers
// `waiting_sender` and `waiting_receiver`). Where a test must show that something does NOT
// happen, it uses a bounded wait as the observation (select_for reports `timeout`); no test
// sleeps to synchronise, and the only clock thresholds are those R20 allows (a timed operation
// never gives up before its deadline) plus one loose bound on R34's "deadline unchanged".
//
// The tests whose names start with `go_` mirror tests of Go's runtime and test/chan suites (named
// in each); crossbeam-channel's tests/golang.rs ports the same ones.
#include <rill/rill.hpp>

#include "support/channel_kinds.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <latch>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;
using flavor_case = rill::test::flavor;
using rill::select_error;

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

using rill::test::counted;

/// A move-only message that records, in its record, how often its value was moved and whether
/// it died; a moved-from shell records nothing. Tests read `value` and `moved_from()` to see
/// whether the caller's object was touched.
struct job {
  struct record {
    std::atomic<int> moves{0};
    std::atomic<int> deaths{0};
  };
  record* book = nullptr;
  int value = 0;

  job(record& where, int v) noexcept : book(&where), value(v) {}
  job(job&& other) noexcept : book(std::exchange(other.book, nullptr)), value(other.value) {
    if (book != nullptr) book->moves.fetch_add(1);
  }
  job& operator=(job&& other) noexcept {
    if (this != &other) {
      if (book != nullptr) book->deaths.fetch_add(1);
      book = std::exchange(other.book, nullptr);
      value = other.value;
      if (book != nullptr) book->moves.fetch_add(1);
    }
    return *this;
  }
  job(const job&) = delete;
  job& operator=(const job&) = delete;
  ~job() {
    if (book != nullptr) book->deaths.fetch_add(1);
  }
  [[nodiscard]] bool moved_from() const noexcept { return book == nullptr; }
};

/// "job N, untouched" while the caller still owns the value unmoved; otherwise what happened.
std::string state_of(const job& held, const job::record& book) {
  if (held.moved_from()) return "moved from";
  if (book.moves.load() != 0 || book.deaths.load() != 0) {
    return "job " + std::to_string(held.value) + ", moved " + std::to_string(book.moves.load()) + " times, died " +
           std::to_string(book.deaths.load()) + " times";
  }
  return "job " + std::to_string(held.value) + ", untouched";
}

/// "would_block", "timeout", or "selected" (which abandons the selection, R34).
template <class Value>
std::string outcome_of(const std::expected<Value, select_error>& result) {
  return result ? std::string("selected") : std::string(rill::to_string(result.error()));
}

/// "value N" or the receive error's name.
template <class T>
std::string describe(const rill::recv_result<T>& result) {
  if (!result) return std::string(rill::to_string(result.error()));
  if constexpr (std::is_same_v<T, int>) {
    return "value " + std::to_string(*result);
  } else if constexpr (requires { result->value; }) {
    return "value " + std::to_string(result->value);
  } else {
    return "a message";
  }
}

/// Returns once a sender of another thread is blocked on the rendezvous channel of `rx`: a
/// rendezvous receive is ready only then (R36, R18).
template <class T>
void wait_for_a_blocked_sender(const rill::receiver<T>& rx) {
  rill::selector watch;
  watch.recv(rx);
  (void)watch.ready();
}

/// Returns once a receiver of another thread is blocked on the rendezvous channel of `tx`.
template <class T>
void wait_for_a_blocked_receiver(const rill::sender<T>& tx) {
  rill::selector watch;
  watch.send(tx);
  (void)watch.ready();
}

/// A thread blocked in `send(value)` on a rendezvous channel; the constructor returns once it is
/// provably waiting. Use one at a time per channel (readiness sees any waiting sender).
template <class T>
class waiting_sender {
 public:
  waiting_sender(rill::sender<T>& tx, const rill::receiver<T>& rx, T value)
      : thread_([this, tx = tx, message = std::move(value)]() mutable {
          sent_ = tx.send(std::move(message)).has_value();
        }) {
    wait_for_a_blocked_sender(rx);
  }
  /// Joins; true if the send succeeded.
  bool sent() {
    thread_.join();
    return sent_;
  }

 private:
  bool sent_ = false;
  std::jthread thread_;  // last: it uses the members above
};

/// A thread blocked in `recv()` on a rendezvous channel; the constructor returns once it is
/// provably waiting.
template <class T>
class waiting_receiver {
 public:
  waiting_receiver(const rill::receiver<T>& rx, rill::sender<T>& tx)
      : thread_([this, rx = rx]() mutable { result_ = rx.recv(); }) {
    wait_for_a_blocked_receiver(tx);
  }
  /// Joins; what the receive returned.
  rill::recv_result<T> take() {
    thread_.join();
    return std::move(result_);
  }

 private:
  rill::recv_result<T> result_{std::unexpect, rill::recv_error::empty};
  std::jthread thread_;
};

/// Makes `value` receivable on the channel: buffered flavors buffer it; a rendezvous gets a
/// sender provably blocked in send(value) (returned, so the test can join it).
template <class T>
std::unique_ptr<waiting_sender<T>> offer(const flavor_case& kind, rill::sender<T>& tx, const rill::receiver<T>& rx,
                                         T value) {
  if (kind.rendezvous()) return std::make_unique<waiting_sender<T>>(tx, rx, std::move(value));
  EXPECT_TRUE(tx.try_send(std::move(value)).has_value());
  return nullptr;
}

/// Makes a send possible on the channel: buffered flavors have room already; a rendezvous gets a
/// receiver provably blocked in recv(). `take()` returns what the send delivered.
template <class T>
class send_target {
 public:
  send_target(const flavor_case& kind, rill::sender<T>& tx, rill::receiver<T>& rx) : rx_(&rx) {
    if (kind.rendezvous()) partner_ = std::make_unique<waiting_receiver<T>>(rx, tx);
  }
  rill::recv_result<T> take() { return partner_ ? partner_->take() : rx_->try_recv(); }

 private:
  rill::receiver<T>* rx_;
  std::unique_ptr<waiting_receiver<T>> partner_;
};

/// Runs `action` when the scope ends: declared after the threads of a test, it closes their
/// channels before they are joined, so that a failed assertion ends the test instead of hanging it.
template <class Action>
class at_scope_exit {
 public:
  explicit at_scope_exit(Action action) : action_(std::move(action)) {}
  at_scope_exit(const at_scope_exit&) = delete;
  at_scope_exit& operator=(const at_scope_exit&) = delete;
  ~at_scope_exit() { action_(); }

 private:
  Action action_;
};

/// Hoeffding's inequality for X ~ Binomial(trials, p): P(|X - p trials| >= t) <= 2 exp(-2 t^2 /
/// trials). Returns the t for which that bound equals `false_failure`.
double hoeffding_bound(int trials, double false_failure) {
  return std::sqrt(static_cast<double>(trials) * std::log(2.0 / false_failure) / 2.0);
}

/// Hoeffding's one-sided bound on a count straying `distance` from its mean.
double hoeffding_tail(int trials, double distance) {
  return std::exp(-2.0 * distance * distance / static_cast<double>(trials));
}

class select_test : public testing::TestWithParam<flavor_case> {
 protected:
  [[nodiscard]] const flavor_case& kind() const { return GetParam(); }
};

INSTANTIATE_TEST_SUITE_P(flavors, select_test,
                         testing::Values(flavor_case{"rendezvous", 0}, flavor_case{"bounded1", 1},
                                         flavor_case{"bounded4", 4}, flavor_case{"unbounded", std::nullopt}),
                         [](const testing::TestParamInfo<flavor_case>& info) { return std::string(info.param.name); });

// ---------------------------------------------------------------------------------------------
// R30: selection
// ---------------------------------------------------------------------------------------------

/// Two channels whose receive is ready (messages 100, 101) and two whose send is ready.
struct four_ready_channels {
  explicit four_ready_channels(const flavor_case& kind) : rendezvous(kind.rendezvous()) {
    for (int i = 0; i < 4; ++i) {
      auto [s, r] = kind.make<int>();
      tx.push_back(std::move(s));
      rx.push_back(std::move(r));
    }
    for (int i = 0; i < 2; ++i) offers.push_back(offer(kind, tx[i], rx[i], 100 + i));
    for (int i = 2; i < 4; ++i) targets.push_back(std::make_unique<send_target<int>>(kind, tx[i], rx[i]));
  }

  /// After one selection completed operation `chosen` (a receive of 0-1, or a send of 2-3 whose
  /// message was 200 + chosen): every other operation must be untouched.
  void expect_only(std::size_t chosen) {
    for (std::size_t i = 0; i < 2; ++i) {
      SCOPED_TRACE("receive " + std::to_string(i));
      // The chosen receive's message is gone; the other one's is still there.
      EXPECT_EQ(describe(rx[i].try_recv()), i == chosen ? "empty" : "value " + std::to_string(100 + i));
      if (offers[i]) {
        EXPECT_TRUE(offers[i]->sent());
      }
    }
    for (std::size_t i = 2; i < 4; ++i) {
      SCOPED_TRACE("send " + std::to_string(i));
      if (i != chosen) {
        // Nothing was sent here: a buffered channel is empty; a rendezvous receiver still waits
        // (this try_send is what it gets).
        if (rendezvous) {
          ASSERT_TRUE(tx[i].try_send(-1).has_value());
        }
        EXPECT_EQ(describe(targets[i - 2]->take()), rendezvous ? "value -1" : "empty");
      } else {
        EXPECT_EQ(describe(targets[i - 2]->take()), "value " + std::to_string(200 + i));
      }
    }
  }

  bool rendezvous;
  std::vector<rill::sender<int>> tx;
  std::vector<rill::receiver<int>> rx;
  std::vector<std::unique_ptr<waiting_sender<int>>> offers;
  std::vector<std::unique_ptr<send_target<int>>> targets;
};

TEST_P(select_test, a_selector_completes_exactly_one_of_several_ready_operations) {
  // SPEC R30, R33 (KB16)
  for (int round = 0; round < 8; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    four_ready_channels channels(kind());
    rill::selector selection;
    ASSERT_EQ(selection.recv(channels.rx[0]), 0u);
    ASSERT_EQ(selection.recv(channels.rx[1]), 1u);
    ASSERT_EQ(selection.send(channels.tx[2]), 2u);
    ASSERT_EQ(selection.send(channels.tx[3]), 3u);
    ASSERT_EQ(selection.size(), 4u);
    rill::selected_operation chosen = selection.select();
    const std::size_t index = chosen.index();
    ASSERT_LT(index, 4u);
    if (index < 2) {
      EXPECT_EQ(describe(chosen.recv(channels.rx[index])), "value " + std::to_string(100 + index));
    } else {
      EXPECT_TRUE(chosen.send(channels.tx[index], static_cast<int>(200 + index)).has_value());
    }
    channels.expect_only(index);
  }
}

TEST_P(select_test, a_select_statement_runs_exactly_one_handler) {
  // SPEC R30 (KB16)
  for (int round = 0; round < 8; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    four_ready_channels channels(kind());
    int handlers_run = 0;
    auto received = [&](std::size_t index) {
      return [&handlers_run, index](rill::recv_result<int> message) {
        ++handlers_run;
        EXPECT_EQ(describe(message), "value " + std::to_string(100 + index));
        return index;
      };
    };
    auto sent = [&](std::size_t index) {
      return [&handlers_run, index](rill::send_result<int> result) {
        ++handlers_run;
        EXPECT_TRUE(result.has_value());
        return index;
      };
    };
    const std::size_t index =
        rill::select(rill::on_recv(channels.rx[0], received(0)), rill::on_recv(channels.rx[1], received(1)),
                     rill::on_send(channels.tx[2], 202, sent(2)), rill::on_send(channels.tx[3], 203, sent(3)));
    EXPECT_EQ(handlers_run, 1);
    ASSERT_LT(index, 4u);
    channels.expect_only(index);
  }
}

TEST_P(select_test, with_nothing_ready_try_select_would_block_and_timed_selects_time_out) {
  // SPEC R30, R20, R44
  auto [tx, rx] = kind().make<int>();            // empty: its receive is not ready
  auto [full_tx, full_rx] = kind().make<int>();  // bounded: full; rendezvous: nobody receives
  rill::selector selection;
  selection.recv(rx);
  if (kind().capacity) {  // an unbounded send is always ready, so that channel takes no send
    for (std::size_t i = 0; i < *kind().capacity; ++i) {
      ASSERT_TRUE(full_tx.try_send(static_cast<int>(i)).has_value());
    }
    selection.send(full_tx);
  }
  EXPECT_EQ(outcome_of(selection.try_select()), "would_block");
  const auto start = steady::now();
  EXPECT_EQ(outcome_of(selection.select_for(20ms)), "timeout");
  EXPECT_GE(steady::now() - start, 20ms) << "R20: a timed selection never gives up before its deadline";
  EXPECT_EQ(outcome_of(selection.select_until(steady::now() + 5ms)), "timeout");
  EXPECT_EQ(outcome_of(selection.select_until(std::chrono::system_clock::now() + 5ms)), "timeout");
  EXPECT_EQ(outcome_of(selection.select_for(0ms)), "timeout") << "R20: zero means try once, reported as timeout";
  EXPECT_EQ(outcome_of(selection.select_for(-5s)), "timeout");
  EXPECT_EQ(outcome_of(selection.select_until(steady::now() - 1h)), "timeout");
  EXPECT_EQ(outcome_of(selection.select_until(steady::time_point::min())), "timeout");

  // Nothing changed: the empty channel is still empty, the full one still holds 0, 1, ...
  EXPECT_EQ(describe(rx.try_recv()), "empty");
  if (kind().capacity) {
    for (std::size_t i = 0; i < *kind().capacity; ++i) {
      EXPECT_EQ(describe(full_rx.try_recv()), "value " + std::to_string(i));
    }
    EXPECT_EQ(describe(full_rx.try_recv()), "empty");
  }
}

TEST_P(select_test, a_ready_operation_is_selected_even_if_the_deadline_has_passed) {
  // SPEC R30, R20, R44
  auto [tx, rx] = kind().make<int>();
  auto [idle_tx, idle_rx] = kind().make<int>();
  rill::selector selection;
  ASSERT_EQ(selection.recv(idle_rx), 0u);
  ASSERT_EQ(selection.recv(rx), 1u);
  using form = std::expected<rill::selected_operation, select_error> (*)(rill::selector&);
  const std::array<std::pair<const char*, form>, 7> forms{{
      {"try_select", [](rill::selector& s) { return s.try_select(); }},
      {"select_for(0)", [](rill::selector& s) { return s.select_for(0ns); }},
      {"select_for(-1s)", [](rill::selector& s) { return s.select_for(-1s); }},
      {"select_until(past)", [](rill::selector& s) { return s.select_until(steady::now() - 1h); }},
      {"select_until(min)", [](rill::selector& s) { return s.select_until(steady::time_point::min()); }},
      {"select_for(max)", [](rill::selector& s) { return s.select_for(std::chrono::nanoseconds::max()); }},
      {"select_until(max)", [](rill::selector& s) { return s.select_until(steady::time_point::max()); }},
  }};
  int value = 0;
  for (const auto& [name, run] : forms) {
    SCOPED_TRACE(name);
    auto pending = offer(kind(), tx, rx, ++value);
    auto chosen = run(selection);
    ASSERT_TRUE(chosen.has_value()) << outcome_of(chosen);
    EXPECT_EQ(chosen->index(), 1u);
    EXPECT_EQ(describe(chosen->recv(rx)), "value " + std::to_string(value));
    if (pending) {
      EXPECT_TRUE(pending->sent());
    }
  }
  // The statement: a ready case runs even with an expired or an infinite timeout.
  for (const bool infinite : {false, true}) {
    auto pending = offer(kind(), tx, rx, ++value);
    auto ran = [&](auto timeout) {
      return rill::select(rill::on_recv(rx, [](rill::recv_result<int> m) { return describe(m); }),
                          rill::on_timeout(timeout, [] { return std::string("timeout"); }));
    };
    EXPECT_EQ(infinite ? ran(std::chrono::hours::max()) : ran(-1ms), "value " + std::to_string(value));
    if (pending) {
      EXPECT_TRUE(pending->sent());
    }
  }
}

TEST(select, an_empty_selection_blocks_until_its_deadline) {
  // SPEC R30, R42
  // Go: `select {}` blocks forever (test/chan/select3.go "blocks forever"); with a timeout it
  // times out, with a default it takes the default.
  rill::selector nothing;
  EXPECT_EQ(outcome_of(nothing.try_select()), "would_block");
  const auto start = steady::now();
  EXPECT_EQ(outcome_of(nothing.select_for(20ms)), "timeout");
  EXPECT_GE(steady::now() - start, 20ms);
  EXPECT_EQ(outcome_of(nothing.try_ready()), "would_block");
  EXPECT_EQ(outcome_of(nothing.ready_for(5ms)), "timeout");

  EXPECT_EQ(rill::select(rill::on_timeout(10ms, [] { return 7; })), 7);
  EXPECT_EQ(rill::select(rill::on_deadline(steady::now() + 5ms, [] { return 8; })), 8);
  EXPECT_EQ(rill::select(rill::on_default([] { return 3; })), 3);

  // Only never-ready operations, or only removed ones: the same as none.
  auto never = rill::never<int>();
  rill::selector only_never;
  only_never.recv(never);
  EXPECT_EQ(outcome_of(only_never.select_for(10ms)), "timeout");
  auto [tx, rx] = rill::bounded<int>(1);
  ASSERT_TRUE(tx.try_send(1).has_value());
  rill::selector only_removed;
  only_removed.remove(only_removed.recv(rx));
  EXPECT_EQ(outcome_of(only_removed.try_select()), "would_block");
  EXPECT_EQ(outcome_of(only_removed.select_for(10ms)), "timeout");
  EXPECT_EQ(describe(rx.try_recv()), "value 1") << "a removed operation starts nothing";
}

TEST_P(select_test, the_default_case_runs_only_when_no_case_is_ready) {
  // SPEC R30
  auto [tx, rx] = kind().make<int>();
  auto [full_tx, full_rx] = kind().make<int>();
  if (kind().capacity) {
    for (std::size_t i = 0; i < *kind().capacity; ++i) {
      ASSERT_TRUE(full_tx.try_send(-1).has_value());
    }
  }
  auto never = rill::never<int>();
  auto run = [&] {
    if (kind().capacity) {
      return rill::select(rill::on_recv(rx, [](rill::recv_result<int> m) { return describe(m); }),
                          rill::on_recv(never, [](rill::recv_result<int>) { return std::string("never"); }),
                          rill::on_send(full_tx, 5, [](rill::send_result<int>) { return std::string("sent"); }),
                          rill::on_default([] { return std::string("default"); }));
    }
    return rill::select(rill::on_recv(rx, [](rill::recv_result<int> m) { return describe(m); }),
                        rill::on_recv(never, [](rill::recv_result<int>) { return std::string("never"); }),
                        rill::on_default([] { return std::string("default"); }));
  };
  EXPECT_EQ(run(), "default");
  auto pending = offer(kind(), tx, rx, 9);
  EXPECT_EQ(run(), "value 9");
  if (pending) {
    EXPECT_TRUE(pending->sent());
  }
  EXPECT_EQ(run(), "default");
  if (kind().capacity && *kind().capacity > 0) {
    EXPECT_EQ(full_tx.size(), *kind().capacity) << "the default case sent nothing";
  }
}

TEST(select, the_timeout_case_runs_when_its_deadline_passes_first) {
  // SPEC R30, R20
  auto [tx, rx] = rill::bounded<int>(0);
  auto start = steady::now();
  EXPECT_EQ(rill::select(rill::on_recv(rx, [](rill::recv_result<int>) { return 1; }),
                         rill::on_timeout(20ms, [] { return 2; })),
            2);
  EXPECT_GE(steady::now() - start, 20ms);
  start = steady::now();
  EXPECT_EQ(rill::select(rill::on_recv(rx, [](rill::recv_result<int>) { return 1; }),
                         rill::on_deadline(std::chrono::system_clock::now() + 20ms, [] { return 2; })),
            2);
  EXPECT_GE(steady::now() - start, 15ms) << "another clock's deadline, converted once (loose: clocks differ)";

  // A case that becomes ready before the deadline runs instead.
  std::jthread sender([tx = tx]() mutable { EXPECT_TRUE(tx.send(42).has_value()); });
  EXPECT_EQ(rill::select(rill::on_recv(rx, [](rill::recv_result<int> m) { return m.value_or(-1); }),
                         rill::on_timeout(1h, [] { return 2; })),
            42);
}

TEST(select, a_statement_evaluates_to_its_handlers_result) {
  // SPEC R30
  auto [tx, rx] = rill::unbounded<std::string>();
  ASSERT_TRUE(tx.try_send("hello").has_value());
  const std::string got =
      rill::select(rill::on_recv(rx, [](rill::recv_result<std::string> m) { return m.value_or("?") + ", world"; }),
                   rill::on_default([] { return std::string("default"); }));
  EXPECT_EQ(got, "hello, world");
  // Handlers may return different types that have a common type.
  const long number = rill::select(rill::on_send(tx, "x", [](rill::send_result<std::string>) { return 1; }),
                                   rill::on_default([] { return 2L; }));
  EXPECT_EQ(number, 1L);
  // void handlers.
  int runs = 0;
  rill::select(rill::on_recv(rx, [&](rill::recv_result<std::string> m) { runs += m.has_value() ? 1 : 100; }),
               rill::on_default([&] { runs += 1000; }));
  EXPECT_EQ(runs, 1);
}

TEST(select, a_statement_keeps_a_temporary_timer_alive_and_receives_from_it) {
  // SPEC R30, R40, R43
  const auto start = steady::now();
  const rill::instant fired = rill::select(rill::on_recv(rill::after(5ms), [](rill::recv_result<rill::instant> at) {
    EXPECT_TRUE(at.has_value());
    return at.value_or(rill::instant{});
  }));
  EXPECT_GE(fired, start + 5ms) << "R40: the message is the time point now + d";
  EXPECT_GE(steady::now(), fired);

  // The sooner of two temporary timers wins; the later one never fires.
  const int which =
      rill::select(rill::on_recv(rill::after(1h), [](rill::recv_result<rill::instant>) { return 1; }),
                   rill::on_recv(rill::after(2ms), [](rill::recv_result<rill::instant>) { return 2; }),
                   rill::on_recv(rill::never<rill::instant>(), [](rill::recv_result<rill::instant>) { return 3; }));
  EXPECT_EQ(which, 2);

  // A due timer is ready for a non-blocking select, and wins over a timeout case.
  EXPECT_EQ(rill::select(rill::on_recv(rill::after(-1s), [](rill::recv_result<rill::instant>) { return 1; }),
                         rill::on_default([] { return 2; })),
            1);
  EXPECT_EQ(rill::select(rill::on_recv(rill::tick(1ms), [](rill::recv_result<rill::instant>) { return 1; }),
                         rill::on_timeout(1h, [] { return 2; })),
            1);
}

TEST_P(select_test, a_failed_send_case_hands_its_message_back) {
  // SPEC R30, R32, R11
  auto [tx, rx] = kind().make<counted>();
  std::atomic<int> deaths{0};
  rx.reset();
  int value = rill::select(rill::on_send(tx, counted(&deaths, 5), [&](rill::send_result<counted> result) {
    EXPECT_FALSE(result.has_value());
    if (result) return -1;
    EXPECT_EQ(result.error().reason, rill::send_errc::disconnected);
    EXPECT_EQ(deaths.load(), 0) << "the message is handed back, alive";
    return result.error().message.value;
  }));
  EXPECT_EQ(value, 5);
  EXPECT_EQ(deaths.load(), 1);
}

// ---------------------------------------------------------------------------------------------
// R31: fairness and the biased mode (KB18)
// ---------------------------------------------------------------------------------------------

TEST(select, unbiased_selection_chooses_uniformly_among_the_ready_operations) {
  // SPEC R31, R42 (KB18)
  // Three operations: two receives that are always ready (bounded channels kept full) and one
  // that never is. Over N selections the first ready one's count X is Binomial(N, 1/2) if the
  // choice is uniform. Hoeffding: P(|X - N/2| >= t) <= 2 exp(-2 t^2 / N); t is chosen so that
  // this is 1e-9 per layout (3e-9 for the test).
  //
  // Power: a rotation from a random starting point (the unfairness R31's rationale names) picks
  // one of the two ready operations with probability 2/3 in each of these layouts. Then X is
  // Binomial(N, 2/3) (or 1/3), |E X - N/2| = N/6, and the test passes only if X strays
  // N/6 - t from its own mean: probability <= exp(-2 (N/6 - t)^2 / N). For N = 10000, t = 327.2
  // and that is exp(-358.8), about 1e-156 (computed and printed below).
  constexpr int trials = 10000;
  constexpr double false_failure = 1e-9;
  const double t = hoeffding_bound(trials, false_failure);
  const double missed_rotation = hoeffding_tail(trials, trials / 6.0 - t);
  std::cout << "[ fairness ] N = " << trials << ", bound t = " << t << " (P(false failure) <= " << false_failure
            << " per layout); P(a 2/3-1/3 rotation passes) <= " << missed_rotation << "\n";
  EXPECT_LT(missed_rotation, 1e-100);

  enum slot { first, second, never_ready };
  const std::array<std::array<slot, 3>, 3> layouts{{
      {first, second, never_ready},
      {never_ready, first, second},
      {first, never_ready, second},
  }};
  for (const auto& layout : layouts) {
    auto [a_tx, a_rx] = rill::bounded<int>(1);
    auto [b_tx, b_rx] = rill::bounded<int>(1);
    auto never = rill::never<int>();
    ASSERT_TRUE(a_tx.try_send(0).has_value());
    ASSERT_TRUE(b_tx.try_send(0).has_value());
    rill::selector selection;
    std::array<slot, 3> at{};
    for (const slot each : layout) {
      const std::size_t index = each == first    ? selection.recv(a_rx)
                                : each == second ? selection.recv(b_rx)
                                                 : selection.recv(never);
      at[index] = each;
    }
    int firsts = 0;
    for (int trial = 0; trial < trials; ++trial) {
      rill::selected_operation chosen = selection.select();
      const slot which = at[chosen.index()];
      ASSERT_NE(which, never_ready) << "R42: never<T>() is never chosen";
      if (which == first) {
        ++firsts;
        ASSERT_TRUE(chosen.recv(a_rx).has_value());
        ASSERT_TRUE(a_tx.try_send(0).has_value());
      } else {
        ASSERT_TRUE(chosen.recv(b_rx).has_value());
        ASSERT_TRUE(b_tx.try_send(0).has_value());
      }
    }
    std::cout << "[ fairness ] layout " << layout[0] << layout[1] << layout[2] << ": " << firsts << " of " << trials
              << " (|X - N/2| = " << std::abs(firsts - trials / 2.0) << ", bound " << t << ")\n";
    EXPECT_LT(std::abs(firsts - trials / 2.0), t) << "R31: the choice among ready operations is not uniform (layout "
                                                  << layout[0] << layout[1] << layout[2] << ")";
  }
}

TEST(select, the_statement_chooses_uniformly_too) {
  // SPEC R31 (KB18)
  // As above, for rill::select: cases (never, a, b), a and b always ready; same N and bound.
  constexpr int trials = 10000;
  const double t = hoeffding_bound(trials, 1e-9);
  auto [a_tx, a_rx] = rill::bounded<int>(1);
  auto [b_tx, b_rx] = rill::bounded<int>(1);
  auto never = rill::never<int>();
  ASSERT_TRUE(a_tx.try_send(0).has_value());
  ASSERT_TRUE(b_tx.try_send(0).has_value());
  int as = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const int which = rill::select(rill::on_recv(never, [](rill::recv_result<int>) { return 0; }),
                                   rill::on_recv(a_rx, [](rill::recv_result<int>) { return 1; }),
                                   rill::on_recv(b_rx, [](rill::recv_result<int>) { return 2; }));
    ASSERT_NE(which, 0);
    if (which == 1) {
      ++as;
      ASSERT_TRUE(a_tx.try_send(0).has_value());
    } else {
      ASSERT_TRUE(b_tx.try_send(0).has_value());
    }
  }
  std::cout << "[ fairness ] statement: " << as << " of " << trials << " (bound " << t << ")\n";
  EXPECT_LT(std::abs(as - trials / 2.0), t);
}

TEST(select, the_biased_mode_picks_the_ready_operation_added_first) {
  // SPEC R31, R42
  auto [empty_tx, empty_rx] = rill::bounded<int>(1);
  auto [a_tx, a_rx] = rill::bounded<int>(1);
  auto [b_tx, b_rx] = rill::bounded<int>(1);
  auto never = rill::never<int>();
  ASSERT_TRUE(a_tx.try_send(0).has_value());
  ASSERT_TRUE(b_tx.try_send(0).has_value());
  rill::selector selection = rill::selector::biased();
  selection.recv(never);
  selection.recv(empty_rx);
  const std::size_t a = selection.recv(a_rx);
  const std::size_t b = selection.recv(b_rx);
  for (int round = 0; round < 200; ++round) {
    rill::selected_operation chosen = selection.select();
    ASSERT_EQ(chosen.index(), a);
    ASSERT_TRUE(chosen.recv(a_rx).has_value());
    ASSERT_TRUE(a_tx.try_send(0).has_value());
  }
  ASSERT_TRUE(a_rx.try_recv().has_value());  // now a is not ready: b is the first ready one
  EXPECT_EQ(selection.select().index(), b);

  // select_biased: the earliest ready case.
  ASSERT_TRUE(a_tx.try_send(0).has_value());
  ASSERT_TRUE(b_tx.try_send(0).has_value());
  for (int round = 0; round < 200; ++round) {
    const int which = rill::select_biased(rill::on_recv(never, [](rill::recv_result<int>) { return 0; }),
                                          rill::on_recv(empty_rx, [](rill::recv_result<int>) { return 1; }),
                                          rill::on_recv(a_rx, [](rill::recv_result<int>) { return 2; }),
                                          rill::on_recv(b_rx, [](rill::recv_result<int>) { return 3; }));
    ASSERT_EQ(which, 2);
    ASSERT_TRUE(a_tx.try_send(0).has_value());
  }
}

TEST(select, a_biased_selection_woken_by_an_operation_completes_it_though_an_earlier_one_became_ready) {
  // SPEC R31, R33, R18
  // The biased mode prefers the earliest operation among those it finds ready when it looks.
  // A selection that waits and is woken by a channel that chose it completes that operation: here
  // a rendezvous partner paired with its receive on b, and waits for it (R33), while a, added
  // first, becomes ready. Declining b would leave that partner (or, on a buffered channel, the
  // waiter the wake-up was not given to) waiting; a receive cannot be taken back. So b is taken,
  // and a's message stays for the next selection, which looks again and takes a first.
  auto [a_tx, a_rx] = rill::bounded<int>(1);
  auto [b_tx, b_rx] = rill::bounded<int>(0);
  auto run = [&] {
    return rill::select_biased(rill::on_recv(a_rx, [](rill::recv_result<int> m) { return "a " + describe(m); }),
                               rill::on_recv(b_rx, [](rill::recv_result<int> m) { return "b " + describe(m); }));
  };
  std::string got;
  std::jthread selecting([&] { got = run(); });
  wait_for_a_blocked_receiver(b_tx);  // the selection waits on a and b
  rill::selector partner;
  partner.send(b_tx);
  rill::selected_operation paired = partner.select();  // b's channel chose the selection
  ASSERT_TRUE(a_tx.try_send(1).has_value());           // a is ready from here on
  EXPECT_TRUE(paired.send(b_tx, 2).has_value());
  selecting.join();
  EXPECT_EQ(got, "b value 2");
  EXPECT_EQ(a_rx.size(), 1u) << "a's message was left for the next selection";
  EXPECT_FALSE(b_tx.try_send(3).has_value()) << "nobody waits on b now";
  EXPECT_EQ(run(), "a value 1") << "a selection that looks finds a first";
}

// ---------------------------------------------------------------------------------------------
// R32: disconnected operations are ready
// ---------------------------------------------------------------------------------------------

TEST_P(select_test, a_disconnected_receive_is_ready_and_drains_before_reporting_disconnected) {
  // SPEC R32, R10, R12, R7 (KB13)
  for (const bool by_close : {false, true}) {
    SCOPED_TRACE(by_close ? "closed" : "last sender gone");
    auto [tx, rx] = kind().make<int>();
    auto [idle_tx, idle_rx] = kind().make<int>();  // never ready
    const int buffered = kind().buffered() ? static_cast<int>(std::min<std::size_t>(kind().room(), 3)) : 0;
    for (int i = 0; i < buffered; ++i) {
      ASSERT_TRUE(tx.try_send(i).has_value());
    }
    if (by_close) {
      rx.close();
    } else {
      tx.reset();
    }
    rill::selector selection;
    selection.recv(idle_rx);
    const std::size_t from = selection.recv(rx);
    for (int i = 0; i < buffered; ++i) {
      rill::selected_operation chosen = selection.select();
      ASSERT_EQ(chosen.index(), from);
      EXPECT_EQ(describe(chosen.recv(rx)), "value " + std::to_string(i)) << "R10: buffered messages first, in order";
    }
    for (int again = 0; again < 3; ++again) {
      auto chosen = selection.try_select();
      ASSERT_TRUE(chosen.has_value()) << "R32: a disconnected receive stays ready";
      ASSERT_EQ(chosen->index(), from);
      EXPECT_EQ(describe(chosen->recv(rx)), "disconnected");
    }
    EXPECT_EQ(rill::select(rill::on_recv(idle_rx, [](rill::recv_result<int>) { return std::string("idle"); }),
                           rill::on_recv(rx, [](rill::recv_result<int> m) { return describe(m); })),
              "disconnected");
    // remove() takes it out (R39): then nothing is ready.
    selection.remove(from);
    EXPECT_EQ(outcome_of(selection.try_select()), "would_block");
  }
}

TEST_P(select_test, a_disconnected_send_is_ready_and_hands_its_message_back) {
  // SPEC R32, R33, R11, R12, R4, R9
  for (const bool by_close : {false, true}) {
    SCOPED_TRACE(by_close ? "closed" : "last receiver gone");
    std::atomic<int> deaths{0};
    auto [tx, rx] = kind().make<counted>();
    auto [idle_tx, idle_rx] = kind().make<int>();
    // A full bounded channel is still ready to report disconnected (R4: checked first).
    if (by_close && kind().capacity) {
      for (std::size_t i = 0; i < *kind().capacity; ++i) {
        ASSERT_TRUE(tx.try_send(counted(&deaths, -1)).has_value());
      }
    }
    if (by_close) {
      tx.close();
    } else {
      rx.reset();
    }
    rill::selector selection;
    selection.recv(idle_rx);
    const std::size_t to = selection.send(tx);
    for (int again = 0; again < 3; ++again) {
      rill::selected_operation chosen = selection.select();
      ASSERT_EQ(chosen.index(), to);
      auto result = chosen.send(tx, counted(&deaths, 7));
      ASSERT_FALSE(result.has_value());
      EXPECT_EQ(result.error().reason, rill::send_errc::disconnected);
      EXPECT_EQ(result.error().message.value, 7) << "R33: the message is handed back";
    }
    const int buffered = by_close && kind().capacity ? static_cast<int>(*kind().capacity) : 0;
    EXPECT_EQ(deaths.load(), 3 + (by_close ? 0 : buffered));
    rx.reset();
    EXPECT_EQ(deaths.load(), 3 + buffered) << "nothing was sent by the selections";
  }
}

// ---------------------------------------------------------------------------------------------
// R33: completing a selected operation
// ---------------------------------------------------------------------------------------------

TEST_P(select_test, a_selected_operation_completes_with_a_copy_of_its_handle) {
  // SPEC R33, R21 (KB9)
  auto [tx, rx] = kind().make<int>();
  {  // a receive, completed with a copy made before the selection and one made after it
    for (int round = 0; round < 2; ++round) {
      rill::receiver<int> early = rx;
      auto pending = offer(kind(), tx, rx, 10 + round);
      rill::selector selection;
      selection.recv(rx);
      rill::selected_operation chosen = selection.select();
      rill::receiver<int> late = rx;
      EXPECT_EQ(describe(chosen.recv(round == 0 ? early : late)), "value " + std::to_string(10 + round));
      if (pending) {
        EXPECT_TRUE(pending->sent());
      }
    }
  }
  {  // a send
    for (int round = 0; round < 2; ++round) {
      rill::sender<int> early = tx;
      send_target<int> target(kind(), tx, rx);
      rill::selector selection;
      selection.send(tx);
      rill::selected_operation chosen = selection.select();
      rill::sender<int> late = tx;
      EXPECT_TRUE(chosen.send(round == 0 ? early : late, 20 + round).has_value());
      EXPECT_EQ(describe(target.take()), "value " + std::to_string(20 + round));
    }
  }
  {  // the statement, handed a copy
    auto pending = offer(kind(), tx, rx, 30);
    EXPECT_EQ(
        rill::select(rill::on_recv(rill::receiver<int>(rx), [](rill::recv_result<int> m) { return describe(m); })),
        "value 30");
    if (pending) {
      EXPECT_TRUE(pending->sent());
    }
  }
}

TEST_P(select_test, completing_with_another_channel_the_wrong_direction_or_twice_throws_and_changes_nothing) {
  // SPEC R33, R39
  auto [tx, rx] = kind().make<int>();
  auto [other_tx, other_rx] = kind().make<int>();
  {  // a selected receive
    auto mine = offer(kind(), tx, rx, 7);
    auto others = offer(kind(), other_tx, other_rx, 8);
    rill::selector selection;
    selection.recv(rx);
    rill::selected_operation chosen = selection.select();
    EXPECT_THROW((void)chosen.recv(other_rx), std::logic_error) << "another channel";
    EXPECT_THROW((void)chosen.send(tx, 1), std::logic_error) << "the wrong direction, same channel";
    EXPECT_THROW((void)chosen.send(other_tx, 1), std::logic_error) << "the wrong direction, another channel";
    EXPECT_EQ(describe(chosen.recv(rx)), "value 7") << "still completable after the failed attempts";
    EXPECT_THROW((void)chosen.recv(rx), std::logic_error) << "a second time";
    EXPECT_EQ(describe(other_rx.try_recv()), "value 8") << "the other channel was not touched";
    EXPECT_EQ(describe(rx.try_recv()), "empty");
    if (mine) {
      EXPECT_TRUE(mine->sent());
    }
    if (others) {
      EXPECT_TRUE(others->sent());
    }
  }
  {  // a selected send
    send_target<int> target(kind(), tx, rx);
    rill::selector selection;
    selection.send(tx);
    rill::selected_operation chosen = selection.select();
    EXPECT_THROW((void)chosen.send(other_tx, 1), std::logic_error) << "another channel";
    EXPECT_THROW((void)chosen.recv(rx), std::logic_error) << "the wrong direction";
    EXPECT_TRUE(chosen.send(tx, 2).has_value());
    EXPECT_THROW((void)chosen.send(tx, 3), std::logic_error) << "a second time";
    EXPECT_EQ(describe(target.take()), "value 2");
    EXPECT_EQ(describe(rx.try_recv()), "empty") << "only one message was sent";
    EXPECT_EQ(describe(other_rx.try_recv()), "empty") << "nothing was sent on the other channel";
  }
  {  // abandoned, or moved from
    auto mine = offer(kind(), tx, rx, 9);
    rill::selector selection;
    selection.recv(rx);
    rill::selected_operation chosen = selection.select();
    rill::selected_operation moved = std::move(chosen);
    EXPECT_THROW((void)chosen.recv(rx), std::logic_error) << "moved from";  // NOLINT(bugprone-use-after-move)
    moved.abandon();
    EXPECT_THROW((void)moved.recv(rx), std::logic_error) << "abandoned";
    moved.abandon();  // abandoning again does nothing
    if (mine) {
      EXPECT_TRUE(mine->sent());
    }
  }
}

TEST_P(select_test, a_committed_send_completes_after_a_later_close) {
  // SPEC R33, R30, R12, R10
  // The selected send was committed when it was returned (R30): a slot (bounded) or a partner
  // (rendezvous) is its own, so a close() after the selection does not stop it. On an unbounded
  // channel the completion may report `disconnected` and hand the message back (R33).
  auto [tx, rx] = kind().make<int>();
  send_target<int> target(kind(), tx, rx);
  rill::selector selection;
  selection.send(tx);
  rill::selected_operation chosen = selection.select();
  tx.close();
  auto result = chosen.send(tx, 5);
  if (kind().unbounded() && !result.has_value()) {
    EXPECT_EQ(result.error().reason, rill::send_errc::disconnected);
    EXPECT_EQ(result.error().message, 5);
    EXPECT_EQ(describe(target.take()), "disconnected");
  } else {
    ASSERT_TRUE(result.has_value()) << rill::to_string(result.error().reason);
    EXPECT_EQ(describe(target.take()), "value 5") << "R10: the receiver drains it";
    EXPECT_EQ(describe(rx.try_recv()), "disconnected");
  }
}

// ---------------------------------------------------------------------------------------------
// R30, R33: the caller's message is moved only by the send that completes
// ---------------------------------------------------------------------------------------------

TEST_P(select_test, a_send_case_that_does_not_run_leaves_the_callers_message_untouched) {
  // SPEC R30, R9
  // The statement refers to the message of on_send(tx, std::move(m), h) and moves it only when
  // that case completes, like send_for, which hands its message back on timeout: a timeout, a
  // default or another case leaves `m` as it was (crossbeam's select! and Go's select never take
  // a send's value unless it is sent).
  auto [tx, rx] = kind().make<job>();
  auto [ready_tx, ready_rx] = rill::bounded<int>(1);
  job::record book;
  job held(book, 7);
  // Another case runs (biased, so that an unbounded channel's always-ready send is passed over).
  ASSERT_TRUE(ready_tx.try_send(1).has_value());
  EXPECT_EQ(rill::select_biased(rill::on_recv(ready_rx, [](rill::recv_result<int>) { return 1; }),
                                rill::on_send(tx, std::move(held), [](rill::send_result<job>) { return 2; })),
            1);
  EXPECT_EQ(state_of(held, book), "job 7, untouched");  // NOLINT(bugprone-use-after-move)
  if (!kind().unbounded()) {
    // Not ready (full, or no receiver waiting): the timeout or the default runs.
    job::record fillers;
    for (std::size_t i = 0; i < *kind().capacity; ++i) {
      ASSERT_TRUE(tx.try_send(job(fillers, -1)).has_value());
    }
    EXPECT_EQ(rill::select(rill::on_send(tx, std::move(held), [](rill::send_result<job>) { return 1; }),
                           rill::on_timeout(5ms, [] { return 2; })),
              2);
    EXPECT_FALSE(held.moved_from()) << "the timed-out select took the caller's message";
    EXPECT_EQ(held.value, 7);
    EXPECT_EQ(rill::select(rill::on_send(tx, std::move(held), [](rill::send_result<job>) { return 1; }),
                           rill::on_deadline(steady::now() - 1s, [] { return 2; })),
              2);
    EXPECT_EQ(rill::select(rill::on_send(tx, std::move(held), [](rill::send_result<job>) { return 1; }),
                           rill::on_default([] { return 2; })),
              2);
    EXPECT_EQ(state_of(held, book), "job 7, untouched");
    for (auto taken = rx.try_recv(); taken; taken = rx.try_recv()) EXPECT_EQ(taken->value, -1);
  }
  // The case that runs moves it once it completes: into the channel, or into the error.
  {
    send_target<job> target(kind(), tx, rx);
    EXPECT_TRUE(
        rill::select(rill::on_send(tx, std::move(held), [](rill::send_result<job> sent) { return sent.has_value(); })));
    EXPECT_TRUE(held.moved_from()) << "the message was sent";
    auto delivered = target.take();
    ASSERT_TRUE(delivered.has_value());
    EXPECT_EQ(delivered->value, 7);
    EXPECT_EQ(book.deaths.load(), 0) << "no copy of the value died on the way";
  }
  job::record second_book;
  job second(second_book, 8);
  rx.reset();
  EXPECT_EQ(
      rill::select(rill::on_send(tx, std::move(second),
                                 [](rill::send_result<job> sent) { return sent ? -1 : sent.error().message.value; })),
      8)
      << "a failed send hands the message back in its error (R32)";
  EXPECT_TRUE(second.moved_from());
  EXPECT_EQ(second_book.deaths.load(), 1) << "the handed-back message died with the error, once";

  // A temporary is the case's own: it lives as long as the statement, and is sent from there.
  auto [t_tx, t_rx] = rill::unbounded<job>();
  job::record third_book;
  EXPECT_TRUE(rill::select(
      rill::on_send(t_tx, job(third_book, 9), [](rill::send_result<job> sent) { return sent.has_value(); })));
  EXPECT_EQ(describe(t_rx.try_recv()), "value 9");
  EXPECT_EQ(third_book.deaths.load(), 1);
  // An lvalue is copied, and only when its case runs.
  auto [s_tx, s_rx] = rill::unbounded<std::string>();
  const std::string text = "kept";
  std::string copy_source = "copied";
  EXPECT_TRUE(rill::select(
      rill::on_send(s_tx, copy_source, [](rill::send_result<std::string> sent) { return sent.has_value(); })));
  EXPECT_EQ(copy_source, "copied");
  EXPECT_EQ(s_rx.try_recv().value_or("?"), "copied");
  EXPECT_EQ(rill::select(rill::on_send(s_tx, text, [](rill::send_result<std::string>) { return 1; }),
                         rill::on_default([] { return 2; })),
            1);
  EXPECT_EQ(s_rx.try_recv().value_or("?"), "kept");
  // A case made from an lvalue may be kept in a variable (it refers to `text`, which outlives it);
  // one made from an rvalue may not (tests/compile_fail/select_stored_send_case.cpp).
  auto kept = rill::on_send(s_tx, text, [](rill::send_result<std::string>) { return 1; });
  EXPECT_EQ(rill::select(kept, rill::on_default([] { return 2; })), 1);
  EXPECT_EQ(s_rx.try_recv().value_or("?"), "kept");
}

TEST_P(select_test, a_selected_send_given_the_wrong_handle_throws_and_leaves_the_message_untouched) {
  // SPEC R33, R39, R22, R9
  auto [tx, rx] = kind().make<job>();
  auto [other_tx, other_rx] = kind().make<job>();
  rill::sender<job> empty_sender;
  rill::receiver<job> empty_receiver;
  job::record book;
  job held(book, 5);
  send_target<job> target(kind(), tx, rx);
  rill::selector selection;
  selection.send(tx);
  rill::selected_operation chosen = selection.select();
  EXPECT_THROW((void)chosen.send(other_tx, std::move(held)), std::logic_error) << "another channel";
  EXPECT_EQ(state_of(held, book), "job 5, untouched");  // NOLINT(bugprone-use-after-move)
  EXPECT_THROW((void)chosen.send(empty_sender, std::move(held)), rill::empty_handle_error) << "an empty handle (R22)";
  EXPECT_EQ(state_of(held, book), "job 5, untouched");
  EXPECT_THROW((void)chosen.recv(empty_receiver), rill::empty_handle_error) << "an empty handle (R22)";
  EXPECT_TRUE(chosen.send(tx, std::move(held)).has_value()) << "still completable after the failed attempts";
  EXPECT_TRUE(held.moved_from());
  job::record other_book;
  job other(other_book, 6);
  EXPECT_THROW((void)chosen.send(tx, std::move(other)), std::logic_error) << "a second time";
  EXPECT_EQ(state_of(other, other_book), "job 6, untouched");
  EXPECT_THROW((void)chosen.send(empty_sender, std::move(other)), rill::empty_handle_error)
      << "an empty handle, after completion: the handle is looked at first";
  EXPECT_EQ(state_of(other, other_book), "job 6, untouched");
  auto delivered = target.take();
  ASSERT_TRUE(delivered.has_value());
  EXPECT_EQ(delivered->value, 5);
  EXPECT_EQ(book.deaths.load(), 0) << "the value is alive, in `delivered`";
}

TEST_P(select_test, a_copy_that_throws_when_a_send_completes_abandons_the_send) {
  // SPEC R30, R33, R34
  // An lvalue message is copied only when its case completes, after the send was committed; if
  // the copy throws, the statement abandons the send (R34: nothing is sent, what it held is given
  // back) and the exception leaves rill::select. selected_operation::send copies before it
  // commits to anything, so there the operation stays selected, to complete or abandon.
  struct fragile {
    int value = 0;
    bool throws = false;
    fragile(int v, bool t) : value(v), throws(t) {}
    fragile(const fragile& other) : value(other.value), throws(other.throws) {
      if (throws) throw std::runtime_error("copy refused");
    }
    fragile(fragile&&) noexcept = default;
    fragile& operator=(const fragile&) = default;
    fragile& operator=(fragile&&) noexcept = default;
    ~fragile() = default;
  };
  auto [tx, rx] = kind().make<fragile>();
  const fragile refuses(1, true);
  {
    send_target<fragile> target(kind(), tx, rx);
    EXPECT_THROW(rill::select(rill::on_send(tx, refuses, [](rill::send_result<fragile>) {})), std::runtime_error);
    if (kind().buffered()) {
      EXPECT_EQ(tx.size(), 0u) << "nothing was sent";
      if (kind().capacity) {
        EXPECT_FALSE(tx.full()) << "the slot was given back";
      }
    }
    // A rendezvous partner goes back to waiting (R34): this send blocks until it has.
    ASSERT_TRUE(tx.send(fragile(2, false)).has_value());
    auto got = target.take();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->value, 2);
  }
  {
    send_target<fragile> target(kind(), tx, rx);
    rill::selector selection;
    selection.send(tx);
    rill::selected_operation chosen = selection.select();
    EXPECT_THROW((void)chosen.send(tx, refuses), std::runtime_error);
    EXPECT_TRUE(chosen.send(tx, fragile(3, false)).has_value()) << "still selected after the failed copy";
    auto got = target.take();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->value, 3);
  }
}

TEST(select, a_selected_send_converts_its_message_to_the_channels_type) {
  // SPEC R33
  // The message type is the sender's, not deduced from the argument: an int literal completes a
  // send on a channel of std::uint32_t, an lvalue is copied and stays the caller's.
  auto [tx, rx] = rill::bounded<std::uint32_t>(4);
  rill::selector selection;
  selection.send(tx);
  EXPECT_TRUE(selection.select().send(tx, 124).has_value());
  const std::uint32_t named = 125;
  EXPECT_TRUE(selection.select().send(tx, named).has_value());
  short narrow = 126;
  EXPECT_TRUE(selection.select().send(tx, narrow).has_value());
  EXPECT_EQ(named, 125u);
  EXPECT_EQ(rx.try_recv().value_or(0), 124u);
  EXPECT_EQ(rx.try_recv().value_or(0), 125u);
  EXPECT_EQ(rx.try_recv().value_or(0), 126u);
}

// ---------------------------------------------------------------------------------------------
// R34: abandoning a selected operation
// ---------------------------------------------------------------------------------------------

TEST_P(select_test, an_abandoned_receive_destroys_its_message_exactly_once) {
  // SPEC R34, R25, R9
  auto [tx, rx] = kind().make<counted>();
  enum class way { abandon, destroy, move_over, selector_destroyed };
  for (const way how : {way::abandon, way::destroy, way::move_over, way::selector_destroyed}) {
    SCOPED_TRACE(static_cast<int>(how));
    std::atomic<int> deaths{0};
    auto pending = offer(kind(), tx, rx, counted(&deaths, 1));
    {
      auto selection = std::make_unique<rill::selector>();
      selection->recv(rx);
      std::optional<rill::selected_operation> chosen(selection->select());
      EXPECT_EQ(deaths.load(), 0) << "the selected receive holds the message";
      switch (how) {
        case way::abandon: chosen->abandon(); break;
        case way::destroy: chosen.reset(); break;
        case way::move_over: {
          // Move-assigning another selection over it abandons it: take a second message first.
          std::atomic<int> other_deaths{0};
          rill::selector second;
          auto other_pending = offer(kind(), tx, rx, counted(&other_deaths, 2));
          second.recv(rx);
          rill::selected_operation replacement = second.select();
          *chosen = std::move(replacement);  // abandons the first, takes over the second
          EXPECT_EQ(deaths.load(), 1);
          EXPECT_EQ(describe(chosen->recv(rx)), "value 2");
          if (other_pending) {
            EXPECT_TRUE(other_pending->sent());
          }
          break;
        }
        case way::selector_destroyed: selection.reset(); break;
      }
      EXPECT_EQ(deaths.load(), 1) << "R34: destroyed exactly once, at once";
      if (chosen && how != way::move_over) {
        EXPECT_THROW((void)chosen->recv(rx), std::logic_error);
      }
    }
    EXPECT_EQ(deaths.load(), 1);
    if (pending) {
      EXPECT_TRUE(pending->sent()) << "the rendezvous sender's message was taken";
    }
    // The channel keeps working.
    std::atomic<int> later{0};
    auto next = offer(kind(), tx, rx, counted(&later, 3));
    EXPECT_EQ(describe(rx.try_recv()), "value 3");
    if (next) {
      EXPECT_TRUE(next->sent());
    }
    EXPECT_EQ(later.load(), 1);
  }
}

TEST_P(select_test, an_abandoned_send_sends_nothing_and_later_messages_arrive_in_order) {
  // SPEC R34, R13, R26, R17
  auto [tx, rx] = kind().make<int>();
  if (kind().rendezvous()) {
    // The paired receiver goes back to waiting, and gets the next sender's message.
    for (const bool select_receiver : {false, true}) {
      SCOPED_TRACE(select_receiver ? "a select receiver" : "a plain receiver");
      std::optional<std::jthread> selecting;
      std::string selected_got;
      std::optional<waiting_receiver<int>> plain;
      if (select_receiver) {
        selecting.emplace([&, rx = rx]() mutable {
          selected_got = rill::select(
              rill::on_recv(rx, [](rill::recv_result<int> m) { return describe(m); }),
              rill::on_recv(rill::never<int>(), [](rill::recv_result<int>) { return std::string("never"); }));
        });
        wait_for_a_blocked_receiver(tx);
      } else {
        plain.emplace(rx, tx);
      }
      {
        rill::selector selection;
        selection.send(tx);
        rill::selected_operation chosen = selection.select();  // paired with the waiting receiver
        chosen.abandon();
      }
      ASSERT_TRUE(tx.send(2).has_value());  // completes only when a receiver took it (R18)
      if (select_receiver) {
        selecting->join();
        EXPECT_EQ(selected_got, "value 2");
      } else {
        EXPECT_EQ(describe(plain->take()), "value 2");
      }
    }
    return;
  }
  // Buffered: [1, abandoned, 2] then 3; receivers see 1, 2, 3 and the channel is empty after.
  const bool roomy = kind().room() >= 3;
  if (roomy) {
    ASSERT_TRUE(tx.try_send(1).has_value());
  }
  {
    rill::selector selection;
    selection.send(tx);
    rill::selected_operation chosen = selection.select();
    if (roomy) {
      ASSERT_TRUE(tx.try_send(2).has_value());
    }
  }  // abandoned here
  if (roomy) {
    ASSERT_TRUE(tx.try_send(3).has_value());
    EXPECT_EQ(describe(rx.try_recv()), "value 1");
    EXPECT_EQ(describe(rx.try_recv()), "value 2");
    EXPECT_EQ(describe(rx.try_recv()), "value 3");
  }
  EXPECT_EQ(describe(rx.try_recv()), "empty") << "R34: a hole is skipped, never delivered";
  EXPECT_EQ(rx.size(), 0u);
  EXPECT_TRUE(rx.empty());
  // The whole capacity is usable again: no slot was lost.
  const std::size_t fill = kind().room();
  for (std::size_t i = 0; i < fill; ++i) {
    ASSERT_TRUE(tx.try_send(static_cast<int>(i)).has_value()) << i;
  }
  if (kind().capacity) {
    EXPECT_TRUE(tx.full());
    EXPECT_EQ(describe(rx.try_recv()), "value 0");
    EXPECT_FALSE(tx.full());
  } else {
    EXPECT_EQ(describe(rx.try_recv()), "value 0");
  }

  // A receiver blocked in recv() when the send is abandoned wakes, skips the hole, waits on, and
  // gets the next message.
  while (rx.try_recv().has_value()) {
  }
  std::string got;
  {
    std::latch receiving(1);
    std::jthread receiver([&, rx = rx]() mutable {
      receiving.count_down();
      got = describe(rx.recv());
    });
    receiving.wait();
    {
      rill::selector selection;
      selection.send(tx);
      rill::selected_operation chosen = selection.select();
      chosen.abandon();
    }
    ASSERT_TRUE(tx.send(4).has_value());
  }
  EXPECT_EQ(got, "value 4");
}

TEST(select, a_declined_rendezvous_receivers_deadline_is_unchanged) {
  // SPEC R34, R20
  // The receiver waits with recv_for(600 ms); a select pairs with it at once and abandons the
  // pairing about 350 ms later. The receiver must time out at its original deadline, never
  // before (R20), and not 600 ms after the decline (a re-armed timeout would end at >= 950 ms).
  // The upper bound is loose (850 ms): only a re-armed deadline, or a stall of 250 ms, exceeds it.
  auto [tx, rx] = rill::bounded<int>(0);
  steady::time_point started;
  steady::time_point returned;
  std::string got;
  std::jthread receiver([&, rx = rx]() mutable {
    started = steady::now();
    got = describe(rx.recv_for(600ms));
    returned = steady::now();
  });
  {
    rill::selector selection;
    selection.send(tx);
    rill::selected_operation chosen = selection.select();  // paired with the receiver
    (void)rill::after(350ms).recv();                       // hold the pairing for a while
  }  // declined here
  receiver.join();
  EXPECT_EQ(got, "timeout");
  EXPECT_GE(returned - started, 600ms);
  EXPECT_LT(returned - started, 850ms) << "the deadline of a declined receiver was extended";
}

TEST_P(select_test, channel_destruction_after_abandonment_destroys_every_message_once) {
  // SPEC R34, R25, R11 (KB4)
  for (const bool receiver_first : {true, false}) {
    SCOPED_TRACE(receiver_first ? "receiver released first" : "sender released first");
    std::atomic<int> deaths{0};
    int made = 0;
    {
      auto [tx, rx] = kind().make<counted>();
      auto fresh = [&] { return counted(&deaths, made++); };
      const std::size_t room = kind().buffered() ? kind().room() : 0;
      if (room >= 2) {
        ASSERT_TRUE(tx.try_send(fresh()).has_value());
      }
      {
        rill::selector selection;
        selection.send(tx);
        if (kind().rendezvous()) {
          waiting_receiver<counted> partner(rx, tx);
          rill::selected_operation chosen = selection.select();
          chosen.abandon();
          ASSERT_TRUE(tx.send(fresh()).has_value());
          EXPECT_TRUE(partner.take().has_value());
        } else {
          rill::selected_operation chosen = selection.select();
          if (room >= 3) {
            ASSERT_TRUE(tx.try_send(fresh()).has_value());
          }
        }
      }
      if (room >= 2) {
        rill::selector selection;  // a receive, abandoned: its message dies now
        selection.recv(rx);
        rill::selected_operation chosen = selection.select();
      }
      if (room >= 4) {
        ASSERT_TRUE(tx.try_send(fresh()).has_value());
      }
      if (receiver_first) {
        rx.reset();
        EXPECT_EQ(deaths.load(), made) << "R11: the last receiver destroys what is buffered";
        tx.reset();
      } else {
        tx.reset();
        rx.reset();
      }
    }
    EXPECT_EQ(deaths.load(), made) << "every message died exactly once";
  }
}

TEST_P(select_test, destroying_the_selector_abandons_its_pending_send) {
  // SPEC R34, R39
  auto [tx, rx] = kind().make<int>();
  std::optional<waiting_receiver<int>> partner;
  if (kind().rendezvous()) partner.emplace(rx, tx);
  std::optional<rill::selected_operation> chosen;
  {
    rill::selector selection;
    selection.send(tx);
    chosen.emplace(selection.select());
  }
  EXPECT_THROW((void)chosen->send(tx, 1), std::logic_error) << "the selector's destruction abandoned it";
  chosen.reset();
  if (partner) {
    ASSERT_TRUE(tx.send(2).has_value());
    EXPECT_EQ(describe(partner->take()), "value 2") << "the partner went back to waiting";
  } else {
    EXPECT_EQ(describe(rx.try_recv()), "empty") << "nothing was sent";
    ASSERT_TRUE(tx.try_send(2).has_value());
    EXPECT_EQ(describe(rx.try_recv()), "value 2");
  }
}

TEST(select, an_abandoned_send_that_nothing_claimed_past_gives_its_slot_back) {
  // SPEC R34, R4, R26
  // With no send claiming after it, an abandoned bounded send's slot is given back: the channel
  // is exactly as before the selection. (Before the fix, the slot became a hole that counted as
  // a buffered message until a receiver passed it, so a program that sends before it receives
  // found bounded(1) full with nothing in it.)
  auto [tx, rx] = rill::bounded<int>(1);
  for (int round = 0; round < 3; ++round) {  // the same slot, given back and claimed again
    {
      rill::selector selection;
      selection.send(tx);
      rill::selected_operation chosen = selection.select();
      EXPECT_EQ(tx.size(), 1u) << "R26: the claimed slot counts while the send is selected";
    }  // abandoned
    EXPECT_EQ(tx.size(), 0u) << "R26: nothing is buffered";
    EXPECT_FALSE(tx.full()) << "R26";
    auto sent = tx.try_send(round);
    ASSERT_TRUE(sent.has_value()) << "R4: try_send with room reported " << rill::to_string(sent.error().reason);
    EXPECT_TRUE(tx.full());
    EXPECT_EQ(describe(rx.try_recv()), "value " + std::to_string(round));
  }
  // Behind a buffered message, on a larger channel.
  auto [tx3, rx3] = rill::bounded<int>(3);
  ASSERT_TRUE(tx3.try_send(1).has_value());
  {
    rill::selector selection;
    selection.send(tx3);
    rill::selected_operation chosen = selection.select();
    chosen.abandon();
  }
  EXPECT_EQ(tx3.size(), 1u);
  ASSERT_TRUE(tx3.try_send(2).has_value());
  ASSERT_TRUE(tx3.try_send(3).has_value());
  EXPECT_TRUE(tx3.full()) << "R26: three messages, no hole";
  for (int expected = 1; expected <= 3; ++expected)
    EXPECT_EQ(describe(rx3.try_recv()), "value " + std::to_string(expected));
}

TEST(select, an_abandoned_send_that_a_later_send_claimed_past_leaves_a_hole_that_takes_room_until_passed) {
  // SPEC R34, R4, R26
  // The documented exception: once a later send has claimed past the abandoned slot, the slot
  // cannot be given back; it becomes a hole that counts like a send in flight until a receiver
  // passes it, and is never delivered.
  auto [tx, rx] = rill::bounded<int>(2);
  rill::selector selection;
  selection.send(tx);
  std::optional<rill::selected_operation> chosen(selection.select());
  ASSERT_TRUE(tx.try_send(7).has_value()) << "claims the slot after the selected one";
  chosen->abandon();
  chosen.reset();
  EXPECT_EQ(tx.size(), 2u) << "R34: the hole counts until a receiver passes it";
  EXPECT_TRUE(tx.full());
  auto refused = tx.try_send(8);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().reason, rill::send_errc::full);
  EXPECT_EQ(describe(rx.try_recv()), "value 7") << "R34: the hole is skipped, never delivered";
  EXPECT_EQ(tx.size(), 0u) << "passing the hole freed its room";
  ASSERT_TRUE(tx.try_send(8).has_value());
  ASSERT_TRUE(tx.try_send(9).has_value());
  EXPECT_EQ(describe(rx.try_recv()), "value 8");
  EXPECT_EQ(describe(rx.try_recv()), "value 9");
}

TEST(select, releasing_the_last_receiver_while_holding_a_selected_send_returns_and_the_send_hands_back) {
  // SPEC R34, R11, R19, R33
  // A thread holds a selected, not yet completed send on a bounded channel and releases the
  // channel's last receiver. The release destroys the buffered messages without waiting for the
  // selected slot (only this thread could fill it), and the completion then reports
  // `disconnected` with the message. Before the fix, reset() waited for that slot for good.
  // Observed with a bounded wait; on failure the main thread abandons the operation, which frees
  // the stuck thread.
  std::atomic<int> deaths{0};
  auto [tx, rx] = rill::bounded<rill::test::counted>(3);
  ASSERT_TRUE(tx.try_send(rill::test::counted(&deaths, 1)).has_value());
  auto [done_tx, done_rx] = rill::unbounded<int>();
  rill::selector selection;
  selection.send(tx);
  std::optional<rill::selected_operation> chosen;
  std::latch selected(1);
  std::jthread holder([&] {
    chosen.emplace(selection.select());
    EXPECT_TRUE(tx.try_send(rill::test::counted(&deaths, 2)).has_value()) << "a message behind the selected slot";
    selected.count_down();
    rx.reset();  // the last receiver
    EXPECT_TRUE(done_tx.send(1).has_value());
  });
  selected.wait();
  const bool returned = done_rx.recv_for(10s).has_value();
  if (!returned) chosen->abandon();  // frees the holder (it is blocked in reset(), not touching `chosen`)
  holder.join();
  ASSERT_TRUE(returned) << "reset() of the last receiver did not return while its own thread holds a selected send";
  EXPECT_EQ(deaths.load(), 2) << "R11: both buffered messages were destroyed";
  auto handed_back = chosen->send(tx, rill::test::counted(&deaths, 3));
  ASSERT_FALSE(handed_back.has_value());
  EXPECT_EQ(handed_back.error().reason, rill::send_errc::disconnected) << "R33";
  EXPECT_EQ(handed_back.error().message.value, 3) << "R33: the message is handed back";
}

TEST(select, abandoning_a_selected_send_after_the_last_receiver_went_changes_nothing) {
  // SPEC R34, R11
  auto [tx, rx] = rill::bounded<int>(2);
  rill::selector selection;
  selection.send(tx);
  std::optional<rill::selected_operation> chosen(selection.select());
  rx.reset();
  chosen->abandon();
  chosen.reset();
  EXPECT_TRUE(tx.is_disconnected());
  auto refused = tx.try_send(1);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().reason, rill::send_errc::disconnected);
}

TEST(select, try_operations_do_not_wait_for_a_selected_send_that_is_not_completed) {
  // SPEC R19, R33, R26, R14, R30
  // A selected bounded send claims its slot when it is selected and writes it when it is
  // completed, which its owner may do much later. try_send and try_recv must not wait for that
  // (it is not a bounded step of another thread, R19): here the owner is the calling thread, so
  // before the fix both calls below spun for ever. The claimed slot takes room (R26), and
  // nothing behind it is receivable before the completion (R33).
  auto [tx, rx] = rill::bounded<int>(1);
  {
    rill::selector selection;
    selection.send(tx);
    rill::selected_operation chosen = selection.select();
    auto refused = tx.try_send(5);
    ASSERT_FALSE(refused.has_value()) << "R26: the held slot fills bounded(1)";
    EXPECT_EQ(refused.error().reason, rill::send_errc::full);
    EXPECT_EQ(refused.error().message, 5) << "R4: the message is handed back";
    EXPECT_EQ(describe(rx.try_recv()), "empty") << "R19: the held slot has no message yet";
    EXPECT_EQ(tx.size(), 1u) << "R26";
    rill::selector receiving;
    receiving.recv(rx);
    EXPECT_EQ(outcome_of(receiving.try_select()), "would_block") << "R30: nothing is receivable";
    EXPECT_EQ(outcome_of(receiving.try_ready()), "would_block") << "R36";
    ASSERT_TRUE(chosen.send(tx, 7).has_value());
  }
  EXPECT_EQ(describe(rx.try_recv()), "value 7") << "R33: receivable once completed";
  EXPECT_EQ(describe(rx.try_recv()), "empty");

  // Capacity 2: the held slot at head blocks the message sent behind it until it is completed,
  // and a send one lap later finds it still claimed.
  auto [tx2, rx2] = rill::bounded<int>(2);
  ASSERT_TRUE(tx2.try_send(1).has_value());
  rill::selector selection;
  selection.send(tx2);
  std::optional<rill::selected_operation> chosen(selection.select());  // holds the second slot
  EXPECT_EQ(describe(rx2.try_recv()), "value 1");
  ASSERT_TRUE(tx2.try_send(2).has_value()) << "R4: the first slot is free again";
  EXPECT_EQ(describe(rx2.try_recv()), "empty") << "R33: 2 waits behind the held slot";
  auto refused = tx2.try_send(3);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().reason, rill::send_errc::full) << "R26: the held slot and 2 fill it";
  EXPECT_TRUE(tx2.full());
  ASSERT_TRUE(chosen->send(tx2, 9).has_value());
  chosen.reset();
  EXPECT_EQ(describe(rx2.try_recv()), "value 9");
  EXPECT_EQ(describe(rx2.try_recv()), "value 2") << "R2: in the order of the claims";
  EXPECT_EQ(describe(rx2.try_recv()), "empty");
}

// ---------------------------------------------------------------------------------------------
// R35: rendezvous and select
// ---------------------------------------------------------------------------------------------

TEST(select, a_selection_never_pairs_with_itself_on_a_rendezvous) {
  // SPEC R35, R36
  auto [tx, rx] = rill::bounded<int>(0);
  rill::selector selection;
  const std::size_t sending = selection.send(tx);
  const std::size_t receiving = selection.recv(rx);
  EXPECT_EQ(outcome_of(selection.try_select()), "would_block");
  EXPECT_EQ(outcome_of(selection.select_for(20ms)), "timeout") << "R35: it waits for another thread";
  EXPECT_EQ(outcome_of(selection.try_ready()), "would_block");
  EXPECT_EQ(rill::select(rill::on_send(tx, 1, [](rill::send_result<int>) { return 1; }),
                         rill::on_recv(rx, [](rill::recv_result<int>) { return 2; }),
                         rill::on_timeout(10ms, [] { return 3; })),
            3);

  // Another thread's sender: the selection receives from it.
  {
    std::jthread other([tx = tx]() mutable { EXPECT_TRUE(tx.send(5).has_value()); });
    rill::selected_operation chosen = selection.select();
    ASSERT_EQ(chosen.index(), receiving);
    EXPECT_EQ(describe(chosen.recv(rx)), "value 5");
  }
  // Another thread's receiver: the selection sends to it.
  {
    std::string got;
    std::jthread other([&, rx = rx]() mutable { got = describe(rx.recv()); });
    rill::selected_operation chosen = selection.select();
    ASSERT_EQ(chosen.index(), sending);
    EXPECT_TRUE(chosen.send(tx, 6).has_value());
    other.join();
    EXPECT_EQ(got, "value 6");
  }
}

// ---------------------------------------------------------------------------------------------
// R36: readiness waits
// ---------------------------------------------------------------------------------------------

TEST_P(select_test, readiness_waits_start_no_operation) {
  // SPEC R36, R30
  auto [tx, rx] = kind().make<int>();
  auto [idle_tx, idle_rx] = kind().make<int>();
  {  // a ready receive: its message is still there afterwards (rendezvous: its sender still waits)
    auto pending = offer(kind(), tx, rx, 1);
    rill::selector selection;
    selection.recv(idle_rx);
    const std::size_t from = selection.recv(rx);
    EXPECT_EQ(selection.ready(), from);
    EXPECT_EQ(selection.try_ready().value_or(99), from);
    EXPECT_EQ(selection.ready_for(10ms).value_or(99), from);
    EXPECT_EQ(selection.ready_until(steady::now() - 1s).value_or(99), from) << "ready now, deadline passed";
    EXPECT_EQ(describe(rx.try_recv()), "value 1") << "R36: no message was taken";
    if (pending) {
      EXPECT_TRUE(pending->sent());
    }
    EXPECT_EQ(outcome_of(selection.try_ready()), "would_block");
    EXPECT_EQ(outcome_of(selection.ready_for(10ms)), "timeout");
  }
  {  // a ready send: no slot was claimed (rendezvous: its receiver is still waiting)
    send_target<int> target(kind(), tx, rx);
    rill::selector selection;
    selection.recv(idle_rx);
    const std::size_t to = selection.send(tx);
    EXPECT_EQ(selection.ready(), to);
    EXPECT_EQ(selection.try_ready().value_or(99), to);
    EXPECT_EQ(tx.size(), 0u);
    // Every slot is still free.
    const std::size_t fill = kind().rendezvous() ? 1 : kind().room();
    for (std::size_t i = 0; i < fill; ++i) {
      ASSERT_TRUE(tx.try_send(static_cast<int>(i)).has_value()) << i;
    }
    EXPECT_EQ(describe(target.take()), "value 0");
  }
}

TEST_P(select_test, a_readiness_waiter_does_not_swallow_the_wake_up_of_a_blocked_receiver) {
  // SPEC R36, R19
  // A receiver blocked in recv() and a readiness waiter on the same channel; one send. The
  // receiver must get it (as if the waiter were not there). The waiter returns once a message
  // is there; whether it sees the first one depends on who runs first (R36: a snapshot), so
  // a second message, which nobody receives, is what it is guaranteed to see.
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto [tx, rx] = kind().make<int>();
    std::string received;
    std::size_t ready_index = 99;
    std::latch started(2);
    std::jthread receiver([&, rx = rx]() mutable {
      started.count_down();
      received = describe(rx.recv_for(20s));  // bounded: a swallowed wake-up fails, not hangs
    });
    std::jthread waiter([&, rx = rx]() mutable {
      rill::selector selection;
      selection.recv(rx);
      started.count_down();
      ready_index = selection.ready();
    });
    started.wait();
    ASSERT_TRUE(tx.send(1).has_value());
    receiver.join();
    EXPECT_EQ(received, "value 1");
    if (kind().rendezvous()) {
      std::jthread sender([tx = tx]() mutable { EXPECT_TRUE(tx.send(2).has_value()); });
      waiter.join();
      EXPECT_EQ(describe(rx.recv()), "value 2");
    } else {
      ASSERT_TRUE(tx.send(2).has_value());
      waiter.join();
      EXPECT_EQ(describe(rx.try_recv()), "value 2") << "the waiter started no operation";
    }
    EXPECT_EQ(ready_index, 0u);
  }
}

TEST_P(select_test, a_blocked_readiness_wait_wakes_when_an_operation_becomes_ready) {
  // SPEC R36, R32, R42
  auto [tx, rx] = kind().make<int>();
  auto never = rill::never<int>();
  for (const bool by_disconnect : {false, true}) {
    SCOPED_TRACE(by_disconnect ? "the last sender goes" : "a message comes");
    std::size_t index = 99;
    std::latch watching(1);
    std::jthread waiter([&] {
      rill::selector selection;
      selection.recv(never);
      selection.recv(rx);
      watching.count_down();
      index = selection.ready();
    });
    watching.wait();
    if (by_disconnect) {
      tx.reset();
      waiter.join();
      EXPECT_EQ(index, 1u) << "R32: a disconnected receive is ready";
    } else if (kind().rendezvous()) {
      std::jthread sender([tx = tx]() mutable { EXPECT_TRUE(tx.send(5).has_value()); });
      waiter.join();
      EXPECT_EQ(index, 1u);
      EXPECT_EQ(describe(rx.recv()), "value 5") << "the waiting sender was not paired by the readiness wait";
    } else {
      ASSERT_TRUE(tx.send(5).has_value());
      waiter.join();
      EXPECT_EQ(index, 1u);
      EXPECT_EQ(describe(rx.try_recv()), "value 5") << "the message is still there";
    }
  }
}

// ---------------------------------------------------------------------------------------------
// R38: select and the other operations
// ---------------------------------------------------------------------------------------------

TEST_P(select_test, plain_operations_pair_with_selections_as_with_any_thread) {
  // SPEC R38, R18, R3, R6
  auto [tx, rx] = kind().make<int>();
  {  // a plain send wakes a selection waiting to receive
    std::string got;
    std::latch selecting(1);
    std::jthread selection_thread([&, rx = rx]() mutable {
      selecting.count_down();
      got =
          rill::select(rill::on_recv(rx, [](rill::recv_result<int> m) { return describe(m); }),
                       rill::on_recv(rill::never<int>(), [](rill::recv_result<int>) { return std::string("never"); }));
    });
    selecting.wait();
    ASSERT_TRUE(tx.send(1).has_value());
    selection_thread.join();
    EXPECT_EQ(got, "value 1");
  }
  if (kind().unbounded()) return;  // an unbounded send never waits: nothing more to pair
  {                                // a plain receive makes room for (or pairs with) a selection waiting to send
    if (kind().capacity) {
      for (std::size_t i = 0; i < *kind().capacity; ++i) {
        ASSERT_TRUE(tx.try_send(-1).has_value());
      }
    }
    bool sent = false;
    std::latch selecting(1);
    std::jthread selection_thread([&, tx = tx]() mutable {
      rill::selector selection;
      selection.send(tx);
      selecting.count_down();
      rill::selected_operation chosen = selection.select();
      sent = chosen.send(tx, 2).has_value();
    });
    selecting.wait();
    std::vector<int> got;
    for (std::size_t i = 0; i < kind().capacity.value_or(0) + 1; ++i) got.push_back(rx.recv().value_or(-99));
    selection_thread.join();
    EXPECT_TRUE(sent);
    EXPECT_EQ(got.back(), 2);
  }
  if (!kind().rendezvous()) return;
  {  // R38: a plain recv whose only waiting sender is a selection gets its message (a try_recv
     // reports `empty` for it instead, R19: tests/unit/rendezvous_test.cpp)
    std::jthread selection_thread([tx = tx]() mutable {
      rill::select(rill::on_send(tx, 3, [](rill::send_result<int> result) { EXPECT_TRUE(result.has_value()); }));
    });
    EXPECT_EQ(describe(rx.recv()), "value 3");
  }
}

// ---------------------------------------------------------------------------------------------
// R39: selector misuse
// ---------------------------------------------------------------------------------------------

TEST(select, adding_an_empty_handle_throws_before_anything_starts) {
  // SPEC R39, R22
  rill::selector selection;
  rill::receiver<int> empty_receiver;
  rill::sender<int> empty_sender;
  EXPECT_THROW(selection.recv(empty_receiver), rill::empty_handle_error);
  EXPECT_THROW(selection.send(empty_sender), rill::empty_handle_error);
  EXPECT_EQ(selection.size(), 0u);

  // The statement throws before starting any operation: the ready case's message stays.
  auto [tx, rx] = rill::bounded<int>(1);
  ASSERT_TRUE(tx.try_send(1).has_value());
  EXPECT_THROW(rill::select(rill::on_recv(rx, [](rill::recv_result<int>) {}),
                            rill::on_recv(empty_receiver, [](rill::recv_result<int>) {})),
               rill::empty_handle_error);
  EXPECT_THROW(rill::select(rill::on_recv(rx, [](rill::recv_result<int>) {}),
                            rill::on_send(empty_sender, 2, [](rill::send_result<int>) {}), rill::on_default([] {})),
               rill::empty_handle_error);
  EXPECT_EQ(describe(rx.try_recv()), "value 1");
}

TEST(select, selecting_while_an_operation_is_pending_throws) {
  // SPEC R39, R33
  auto [tx, rx] = rill::bounded<int>(4);
  ASSERT_TRUE(tx.try_send(1).has_value());
  ASSERT_TRUE(tx.try_send(2).has_value());
  rill::selector selection;
  selection.recv(rx);
  rill::selected_operation chosen = selection.select();
  EXPECT_THROW((void)selection.select(), std::logic_error);
  EXPECT_THROW((void)selection.try_select(), std::logic_error);
  EXPECT_THROW((void)selection.select_for(1ms), std::logic_error);
  EXPECT_THROW((void)selection.select_until(steady::now()), std::logic_error);
  EXPECT_EQ(rx.size(), 1u) << "the failed calls took nothing";
  EXPECT_EQ(describe(chosen.recv(rx)), "value 1") << "the pending operation still completes";
  // Completed: the selector selects again.
  rill::selected_operation next = selection.select();
  EXPECT_EQ(describe(next.recv(rx)), "value 2");
  // Abandoned: likewise.
  ASSERT_TRUE(tx.try_send(3).has_value());
  selection.select().abandon();
  EXPECT_EQ(outcome_of(selection.try_select()), "would_block");
}

TEST(select, a_selector_used_by_a_second_thread_at_once_throws_and_changes_nothing) {
  // SPEC R39
  // One selector, two threads at once: the second call throws std::logic_error rather than
  // corrupting the selector the first one is using. The first thread is provably inside select():
  // its receive on a rendezvous channel is what makes that channel's send ready (R36).
  auto [tx, rx] = rill::bounded<int>(0);
  auto [other_tx, other_rx] = rill::bounded<int>(1);
  rill::selector selection;
  const std::size_t from = selection.recv(rx);
  std::string first;
  std::jthread blocked([&] {
    rill::selected_operation chosen = selection.select();
    first = describe(chosen.recv(rx));
  });
  at_scope_exit release([&] { tx.close(); });  // if an assertion ends the test, the thread returns
  wait_for_a_blocked_receiver(tx);
  auto refused = [](auto&& call) -> std::string {
    try {
      call();
    } catch (const std::logic_error& error) {
      return error.what();
    }
    return "no exception";
  };
  auto busy = [](const char* caller) {
    return "rill::selector::" + std::string(caller) +
           ": another thread is using this selector (a selector is used by one thread at a time)";
  };
  const auto past = steady::now() - 1h;
  EXPECT_EQ(refused([&] { (void)selection.try_select(); }), busy("try_select"));
  EXPECT_EQ(refused([&] { (void)selection.select_for(0ns); }), busy("select_for"));
  EXPECT_EQ(refused([&] { (void)selection.select_until(past); }), busy("select_until"));
  EXPECT_EQ(refused([&] { (void)selection.try_ready(); }), busy("try_ready"));
  EXPECT_EQ(refused([&] { (void)selection.ready_for(0ns); }), busy("ready_for"));
  EXPECT_EQ(refused([&] { (void)selection.ready_until(past); }), busy("ready_until"));
  EXPECT_EQ(refused([&] { (void)selection.recv(other_rx); }), busy("recv"));
  EXPECT_EQ(refused([&] { (void)selection.send(other_tx); }), busy("send"));
  EXPECT_EQ(refused([&] { selection.remove(from + 1); }), busy("remove")) << "before the index is looked at";
  if (HasFailure()) return;  // a call let through: the blocking forms below would wait for ever
  EXPECT_EQ(refused([&] { (void)selection.select(); }), busy("select"));
  EXPECT_EQ(refused([&] { (void)selection.ready(); }), busy("ready"));
  EXPECT_EQ(selection.size(), 1u) << "nothing was added";

  // The first thread's selection is unharmed, and the selector works again once it returns.
  ASSERT_TRUE(tx.send(5).has_value());
  blocked.join();
  EXPECT_EQ(first, "value 5");
  ASSERT_TRUE(other_tx.try_send(6).has_value());
  EXPECT_EQ(selection.recv(other_rx), 1u);
  rill::selected_operation chosen = selection.select();
  ASSERT_EQ(chosen.index(), 1u);
  EXPECT_EQ(describe(chosen.recv(other_rx)), "value 6");
}

TEST(select, remove_rejects_unknown_indices_and_removed_operations_are_never_selected) {
  // SPEC R39, R32
  auto [a_tx, a_rx] = rill::bounded<int>(1);
  auto [b_tx, b_rx] = rill::bounded<int>(1);
  auto [c_tx, c_rx] = rill::bounded<int>(1);
  rill::selector selection;
  EXPECT_THROW(selection.remove(0), std::out_of_range) << "never returned";
  const std::size_t a = selection.recv(a_rx);
  const std::size_t b = selection.recv(b_rx);
  const std::size_t c = selection.recv(c_rx);
  EXPECT_THROW(selection.remove(3), std::out_of_range);
  EXPECT_THROW(selection.remove(static_cast<std::size_t>(-1)), std::out_of_range);
  a_tx.reset();  // disconnected: always ready until removed (R32)
  selection.remove(a);
  EXPECT_THROW(selection.remove(a), std::out_of_range) << "already removed";
  EXPECT_EQ(outcome_of(selection.try_select()), "would_block") << "the removed disconnected receive is not chosen";
  EXPECT_EQ(outcome_of(selection.try_ready()), "would_block");
  ASSERT_TRUE(c_tx.try_send(3).has_value());
  for (int round = 0; round < 50; ++round) {
    rill::selected_operation chosen = selection.select();
    ASSERT_EQ(chosen.index(), c) << "the other indices keep their meaning";
    EXPECT_EQ(describe(chosen.recv(c_rx)), "value 3");
    ASSERT_TRUE(c_tx.try_send(3).has_value());
  }
  // A later addition gets a new index; removed ones are not reused.
  auto [d_tx, d_rx] = rill::bounded<int>(1);
  EXPECT_EQ(selection.recv(d_rx), 3u);
  selection.remove(c);
  ASSERT_TRUE(b_tx.try_send(2).has_value());
  rill::selected_operation chosen = selection.select();
  EXPECT_EQ(chosen.index(), b);
  EXPECT_EQ(describe(chosen.recv(b_rx)), "value 2");
  EXPECT_EQ(describe(c_rx.try_recv()), "value 3") << "the removed operation took nothing";
}

// ---------------------------------------------------------------------------------------------
// Go's select tests
// ---------------------------------------------------------------------------------------------

TEST_P(select_test, go_doubleselect_a_select_over_several_sends_never_delivers_twice) {
  // SPEC R30, R38, R27 (KB16)
  // Go test/chan/doubleselect.go: one sender selects over sends on four channels, four muxes
  // forward what they receive to one channel, one receiver checks that no value came twice.
  const int iterations = kind().rendezvous() ? 3000 : 5000;
  std::vector<rill::sender<int>> to;
  std::vector<rill::receiver<int>> from;
  for (int i = 0; i < 4; ++i) {
    auto [s, r] = kind().make<int>();
    to.push_back(std::move(s));
    from.push_back(std::move(r));
  }
  auto [mux_tx, mux_rx] = kind().make<int>();
  std::vector<int> seen(static_cast<std::size_t>(iterations), 0);
  {
    std::vector<std::jthread> threads;
    threads.emplace_back([to = std::move(to), iterations]() mutable {
      for (int i = 0; i < iterations; ++i) {
        auto sent = [](rill::send_result<int> result) { EXPECT_TRUE(result.has_value()); };
        rill::select(rill::on_send(to[0], i, sent), rill::on_send(to[1], i, sent), rill::on_send(to[2], i, sent),
                     rill::on_send(to[3], i, sent));
      }
    });  // the senders are released when the thread ends: the muxes' loops end
    for (auto& source : from) {
      threads.emplace_back([source = std::move(source), out = mux_tx]() mutable {
        for (int value : source) {
          EXPECT_TRUE(out.send(value).has_value());
        }
      });
    }
    mux_tx.reset();
    threads.emplace_back([&seen, mux_rx = std::move(mux_rx)]() mutable {
      for (int value : mux_rx) {
        ASSERT_GE(value, 0);
        ASSERT_LT(value, static_cast<int>(seen.size()));
        ++seen[static_cast<std::size_t>(value)];
      }
    });
  }
  for (int i = 0; i < iterations; ++i) {
    ASSERT_EQ(seen[static_cast<std::size_t>(i)], 1) << "value " << i;
  }
}

TEST_P(select_test, go_never_cases_never_fire_and_disconnected_ones_always_do) {
  // SPEC R32, R42, R43
  // Go test/chan/select3.go: "select on nil channels never fires" and "closed channels are
  // always ready" (send: panics in Go; here it reports disconnected).
  auto [tx, rx] = kind().make<int>();
  tx.close();
  auto never_a = rill::never<int>();
  auto never_b = rill::never<int>();
  rill::selector selection;
  selection.recv(never_a);
  const std::size_t closed_recv = selection.recv(rx);
  const std::size_t closed_send = selection.send(tx);
  selection.recv(never_b);
  int receives = 0;
  for (int round = 0; round < 300; ++round) {
    rill::selected_operation chosen = selection.select();
    if (chosen.index() == closed_recv) {
      ++receives;
      EXPECT_EQ(describe(chosen.recv(rx)), "disconnected");
    } else {
      ASSERT_EQ(chosen.index(), closed_send) << "a never case fired";
      auto result = chosen.send(tx, round);
      ASSERT_FALSE(result.has_value());
      EXPECT_EQ(result.error().reason, rill::send_errc::disconnected);
    }
    const std::string statement =
        rill::select(rill::on_recv(never_a, [](rill::recv_result<int>) { return std::string("never"); }),
                     rill::on_recv(rx, [](rill::recv_result<int> m) { return describe(m); }),
                     rill::on_recv(never_b, [](rill::recv_result<int>) { return std::string("never"); }));
    ASSERT_EQ(statement, "disconnected");
  }
  EXPECT_GT(receives, 0);
  EXPECT_LT(receives, 300);
  // Only never cases: nothing fires.
  EXPECT_EQ(rill::select(rill::on_recv(never_a, [](rill::recv_result<int>) { return 1; }),
                         rill::on_recv(never_b, [](rill::recv_result<int>) { return 1; }),
                         rill::on_timeout(10ms, [] { return 2; })),
            2);
  EXPECT_EQ(describe(never_a.try_recv()), "empty");
  EXPECT_FALSE(never_a.is_disconnected());
}

TEST_P(select_test, go_issue_2075_a_select_that_loses_leaves_the_other_waiters_queued) {
  // SPEC R37, R38 (KB15)
  // Go issue 2075: a select that lost on several channels corrupted their wait queues when other
  // waiters were queued. Per round: three channels, two plain receivers blocked on each, and one
  // select over all three receives, queued between them. Messages are sent one at a time, each
  // only where someone can still take it, until every receiver has one: a waiter that a losing
  // select unlinked (or left stale) never gets its message, and the round hangs (caught by the
  // bounded wait on the report channel).
  constexpr int channels = 3;
  constexpr int plain_per_channel = 2;
  for (int round = 0; round < 30; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    std::vector<rill::sender<int>> tx;
    std::vector<rill::receiver<int>> rx;
    for (int k = 0; k < channels; ++k) {
      auto [s, r] = kind().make<int>();
      tx.push_back(std::move(s));
      rx.push_back(std::move(r));
    }
    auto [report_tx, report_rx] = rill::unbounded<std::pair<int, int>>();  // (who, channel): -1 = the select
    std::vector<std::jthread> threads;
    auto start_plain = [&](int k) {
      threads.emplace_back([k, rx = rx[static_cast<std::size_t>(k)], report = report_tx]() mutable {
        auto got = rx.recv();
        EXPECT_TRUE(got.has_value());
        EXPECT_TRUE(report.send({k, got.value_or(-1)}).has_value());
      });
    };
    for (int k = 0; k < channels; ++k) start_plain(k);
    threads.emplace_back([rx = rx, report = report_tx]() mutable {
      auto handler = [](rill::recv_result<int> got) { return got.value_or(-1); };
      const int k =
          rill::select(rill::on_recv(rx[0], handler), rill::on_recv(rx[1], handler), rill::on_recv(rx[2], handler));
      EXPECT_TRUE(report.send({-1, k}).has_value());
    });
    for (int k = 0; k < channels; ++k) start_plain(k);
    at_scope_exit unblock([&] {
      for (auto& each : tx) each.close();
    });

    std::array<int, channels> plain_left{};
    plain_left.fill(plain_per_channel);
    bool select_left = true;
    for (int message = 0; message < channels * plain_per_channel + 1; ++message) {
      // Send on a channel where a plain receiver still waits (the select may take it instead);
      // once every plain receiver is served, anywhere (only the select is left).
      int k = 0;
      while (k < channels && plain_left[static_cast<std::size_t>(k)] == 0) ++k;
      if (k == channels) {
        ASSERT_TRUE(select_left);
        k = message % channels;
      }
      ASSERT_TRUE(tx[static_cast<std::size_t>(k)].send(k).has_value());  // the value names the channel
      auto report = report_rx.recv_for(20s);
      ASSERT_TRUE(report.has_value()) << "a queued waiter was never woken (KB15)";
      if (report->first == -1) {
        ASSERT_TRUE(select_left);
        select_left = false;
        EXPECT_EQ(report->second, k);
      } else {
        EXPECT_EQ(report->first, k);
        EXPECT_EQ(report->second, k);
        --plain_left[static_cast<std::size_t>(report->first)];
      }
    }
    EXPECT_FALSE(select_left);
    for (const int left : plain_left) {
      EXPECT_EQ(left, 0);
    }
  }
}

TEST(select, go_self_select_send_and_receive_on_one_channel) {
  // SPEC R35, R30, R9
  // Go runtime TestSelfSelect: two threads, each selecting over a send and a receive on the same
  // channel, 1000 times; no deadlock, and on a rendezvous nobody receives its own value. Values
  // are tagged with the sending thread. One thread uses the statement, the other a selector.
  for (const flavor_case& kind : {flavor_case{"rendezvous", 0}, flavor_case{"bounded10", 10},
                                  flavor_case{"bounded1", 1}, flavor_case{"unbounded", std::nullopt}}) {
    SCOPED_TRACE(kind.name);
    constexpr int iterations = 1000;
    auto [tx, rx] = kind.make<int>();
    std::array<int, 2> sent{};
    std::array<int, 2> received{};
    std::array<int, 2> self_received{};
    {
      std::jthread statement([&, tx = tx, rx = rx]() mutable {
        constexpr int me = 0;
        for (int i = 0; i < iterations; ++i) {
          rill::select(rill::on_send(tx, me, [&](rill::send_result<int> result) { sent[me] += result ? 1 : 0; }),
                       rill::on_recv(rx, [&](rill::recv_result<int> got) {
                         ++received[me];
                         if (got.value_or(-1) == me) ++self_received[me];
                       }));
        }
      });
      std::jthread selector([&, tx = tx, rx = rx]() mutable {
        constexpr int me = 1;
        rill::selector selection;
        const std::size_t sending = selection.send(tx);
        selection.recv(rx);
        for (int i = 0; i < iterations; ++i) {
          rill::selected_operation chosen = selection.select();
          if (chosen.index() == sending) {
            sent[me] += chosen.send(tx, me).has_value() ? 1 : 0;
          } else {
            ++received[me];
            if (chosen.recv(rx).value_or(-1) == me) ++self_received[me];
          }
        }
      });
    }
    int left = 0;
    while (rx.try_recv().has_value()) ++left;
    EXPECT_EQ(sent[0] + sent[1], received[0] + received[1] + left) << "R9: every sent value received once";
    if (kind.rendezvous()) {
      EXPECT_EQ(self_received[0], 0) << "R35: a thread paired with itself";
      EXPECT_EQ(self_received[1], 0) << "R35: a thread paired with itself";
      EXPECT_EQ(sent[0], received[1]);
      EXPECT_EQ(sent[1], received[0]);
    }
  }
}

TEST(select, go_select_stress_with_cases_switched_off) {
  // SPEC R30, R31, R37, R38, R39, R42, R9
  // Go runtime TestSelectStress: channels of capacity 0, 0, 2 and 3; for each a plain sender and
  // a plain receiver of N values; one thread sends N values on each channel in a single select
  // (a selector whose finished operations are remove()d) and one receives N from each (a
  // statement whose finished cases, and a random other half of the time, are switched off with
  // never<T>()). Every value is accounted for exactly once.
  constexpr int per_channel = 1000;
  constexpr int channels = 4;
  const std::array<std::size_t, channels> capacities{0, 0, 2, 3};
  std::vector<rill::sender<int>> tx;
  std::vector<rill::receiver<int>> rx;
  for (const std::size_t capacity : capacities) {
    auto [s, r] = rill::bounded<int>(capacity);
    tx.push_back(std::move(s));
    rx.push_back(std::move(r));
  }
  // value = origin * per_channel + i: origin 0 is the channel's plain sender, 1 the select sender.
  std::array<std::vector<int>, channels> plain_received;
  std::array<std::vector<int>, channels> select_received;
  {
    std::vector<std::jthread> threads;
    for (std::size_t k = 0; k < channels; ++k) {
      threads.emplace_back([tx = tx[k]]() mutable {
        for (int i = 0; i < per_channel; ++i) {
          EXPECT_TRUE(tx.send(i).has_value());
        }
      });
      threads.emplace_back([rx = rx[k], &got = plain_received[k]]() mutable {
        for (int i = 0; i < per_channel; ++i) got.push_back(rx.recv().value_or(-1));
      });
    }
    threads.emplace_back([tx = tx]() mutable {
      rill::selector selection;
      std::array<int, channels> count{};
      for (auto& each : tx) selection.send(each);
      for (int i = 0; i < channels * per_channel; ++i) {
        rill::selected_operation chosen = selection.select();
        const std::size_t k = chosen.index();
        EXPECT_TRUE(chosen.send(tx[k], per_channel + count[k]).has_value());
        if (++count[k] == per_channel) selection.remove(k);
      }
    });
    threads.emplace_back([rx = rx, &select_received]() mutable {
      auto off = rill::never<int>();
      std::mt19937 random(12345);
      std::array<int, channels> count{};
      for (int i = 0; i < channels * per_channel; ++i) {
        // Switch off the finished cases, and at random some unfinished ones (at least one stays on).
        std::array<bool, channels> on{};
        for (std::size_t k = 0; k < channels; ++k) on[k] = count[k] < per_channel && (random() & 1) != 0;
        if (std::none_of(on.begin(), on.end(), [](bool b) { return b; })) {
          for (std::size_t k = 0; k < channels; ++k) {
            if (count[k] < per_channel) {
              on[k] = true;
              break;
            }
          }
        }
        auto take = [&](std::size_t k) {
          return [&, k](rill::recv_result<int> got) {
            EXPECT_TRUE(got.has_value());
            select_received[k].push_back(got.value_or(-1));
            ++count[k];
          };
        };
        rill::select(rill::on_recv(on[0] ? rx[0] : off, take(0)), rill::on_recv(on[1] ? rx[1] : off, take(1)),
                     rill::on_recv(on[2] ? rx[2] : off, take(2)), rill::on_recv(on[3] ? rx[3] : off, take(3)));
      }
    });
  }
  for (std::size_t k = 0; k < channels; ++k) {
    SCOPED_TRACE("channel " + std::to_string(k));
    std::vector<int> all = plain_received[k];
    all.insert(all.end(), select_received[k].begin(), select_received[k].end());
    std::sort(all.begin(), all.end());
    ASSERT_EQ(all.size(), static_cast<std::size_t>(2 * per_channel));
    for (int i = 0; i < 2 * per_channel; ++i) {
      ASSERT_EQ(all[static_cast<std::size_t>(i)], i) << "R9: lost or duplicated";
    }
    EXPECT_EQ(select_received[k].size(), static_cast<std::size_t>(per_channel));
    EXPECT_EQ(describe(rx[k].try_recv()), "empty");
  }
}

TEST_P(select_test, go_duplicate_channel_in_one_select) {
  // SPEC R37, R38 (KB17)
  // Go runtime TestSelectDuplicateChannel: A selects on receives from c, c and d; B waits on c;
  // a send on d wakes A, which must leave c's queue intact, so that the next send on c wakes B.
  // A's select is biased, so it registers c, c, d in that order: once d's registration shows
  // (readiness of a send on d, rendezvous only), both of its waiters on c are queued. Two orders
  // of B and A on c; with B first, its place ahead of A is proven the same way on a rendezvous.
  for (const bool b_first : {true, false}) {
    SCOPED_TRACE(b_first ? "B queued first" : "A queued first");
    auto [c_tx, c_rx] = kind().make<int>();
    auto [d_tx, d_rx] = kind().make<int>();
    auto [e_tx, e_rx] = rill::unbounded<int>();
    std::string a_got;
    std::string b_got;
    std::optional<std::jthread> b;
    auto start_b = [&] {
      b.emplace([&, rx = c_rx]() mutable { b_got = describe(rx.recv()); });
      if (b_first && kind().rendezvous()) wait_for_a_blocked_receiver(c_tx);
    };
    if (b_first) start_b();
    std::jthread a([&, c = c_rx, d = d_rx, e = e_tx]() mutable {
      a_got = rill::select_biased(rill::on_recv(c, [](rill::recv_result<int> m) { return "c: " + describe(m); }),
                                  rill::on_recv(c, [](rill::recv_result<int> m) { return "c: " + describe(m); }),
                                  rill::on_recv(d, [](rill::recv_result<int> m) { return "d: " + describe(m); }));
      EXPECT_TRUE(e.send(9).has_value());
    });
    if (kind().rendezvous()) wait_for_a_blocked_receiver(d_tx);  // A is queued on c twice and on d
    if (!b_first) start_b();
    ASSERT_TRUE(d_tx.send(7).has_value());  // wakes A; A leaves c's queue
    EXPECT_EQ(describe(e_rx.recv()), "value 9");
    a.join();
    EXPECT_EQ(a_got, "d: value 7");
    ASSERT_TRUE(c_tx.send(8).has_value());  // must wake B, not a stale waiter of A
    b->join();
    EXPECT_EQ(b_got, "value 8");
  }
  // Both directions of one rendezvous channel in one selection (R37, R35), woken through a third
  // case; c's queues are intact afterwards. (On a buffered channel one direction is always ready.)
  if (!kind().rendezvous()) return;
  auto [c_tx, c_rx] = kind().make<int>();
  auto [d_tx, d_rx] = kind().make<int>();
  std::string got;
  std::jthread a([&, c_tx = c_tx, c_rx = c_rx, d_rx = d_rx]() mutable {
    got = rill::select_biased(rill::on_send(c_tx, 1, [](rill::send_result<int>) { return std::string("c send"); }),
                              rill::on_recv(c_rx, [](rill::recv_result<int> m) { return "c: " + describe(m); }),
                              rill::on_send(c_tx, 2, [](rill::send_result<int>) { return std::string("c send"); }),
                              rill::on_recv(c_rx, [](rill::recv_result<int> m) { return "c: " + describe(m); }),
                              rill::on_recv(d_rx, [](rill::recv_result<int> m) { return "d: " + describe(m); }));
  });
  wait_for_a_blocked_receiver(d_tx);  // registered last: every waiter on c is queued
  ASSERT_TRUE(d_tx.send(3).has_value());
  a.join();
  EXPECT_EQ(got, "d: value 3");
  {
    std::jthread sender([c_tx = c_tx]() mutable { EXPECT_TRUE(c_tx.send(4).has_value()); });
    EXPECT_EQ(describe(c_rx.recv()), "value 4") << "c's receive queue is intact";
  }
  {
    std::jthread receiver([c_rx = c_rx]() mutable { EXPECT_EQ(describe(c_rx.recv()), "value 5"); });
    ASSERT_TRUE(c_tx.send(5).has_value()) << "c's send queue is intact";
  }
}

TEST_P(select_test, go_two_sends_to_one_channel_each_deliver_a_fair_share) {
  // SPEC R31, R37, R30
  // Go test/chan/select.go (`Send(a, a)`: two send cases on one channel) and runtime
  // TestSelectFairness: each of two ready sends on one channel is chosen with probability 1/2.
  // Hoeffding bound as in unbiased_selection_chooses_uniformly_among_the_ready_operations, with
  // a false-failure probability of 1e-9.
  const int trials = kind().rendezvous() ? 2000 : 4000;
  const double t = hoeffding_bound(trials, 1e-9);
  auto [tx, rx] = kind().make<int>();
  std::array<int, 3> count{};
  {
    std::optional<std::jthread> receiver;
    if (kind().rendezvous()) {
      receiver.emplace([&count, rx = rx]() mutable {
        for (int value : rx) ++count[static_cast<std::size_t>(value)];
      });
    }
    for (int trial = 0; trial < trials; ++trial) {
      auto sent = [](rill::send_result<int> result) { EXPECT_TRUE(result.has_value()); };
      rill::select(rill::on_send(tx, 1, sent), rill::on_send(tx, 2, sent));
      if (!receiver) ++count[static_cast<std::size_t>(rx.try_recv().value_or(0))];
    }
    tx.reset();
  }
  EXPECT_EQ(count[0], 0);
  EXPECT_EQ(count[1] + count[2], trials) << "each select sent exactly one value";
  std::cout << "[ fairness ] " << kind().name << ": " << count[1] << " / " << count[2] << " (bound " << t << ")\n";
  EXPECT_LT(std::abs(count[1] - trials / 2.0), t) << "the first send is chosen unfairly often";
}

TEST_P(select_test, go_a_non_blocking_select_never_takes_its_default_while_a_case_is_provably_ready) {
  // SPEC R30, R14, R36, R38
  // Go runtime TestNonblockSelectRace, in the form where readiness is provable: the ready case's
  // channel is made ready before the select and nobody else can take it.
  //   buffered: a message buffered by this thread, or by another thread whose send completed
  //             before the select (ordered by a latch, R14);
  //   rendezvous: a sender of another thread blocked in send(), shown waiting by a readiness
  //             wait (R36); only this select receives.
  for (int round = 0; round < 200; ++round) {
    auto [tx, rx] = kind().make<int>();
    auto [idle_tx, idle_rx] = kind().make<int>();
    std::optional<std::jthread> other;
    if (kind().rendezvous()) {
      other.emplace([tx = tx, round]() mutable { EXPECT_TRUE(tx.send(round).has_value()); });
      wait_for_a_blocked_sender(rx);
    } else if (round % 2 == 0) {
      ASSERT_TRUE(tx.try_send(round).has_value());
    } else {
      std::latch sent(1);
      other.emplace([&sent, tx = tx, round]() mutable {
        EXPECT_TRUE(tx.try_send(round).has_value());
        sent.count_down();
      });
      sent.wait();
    }
    const std::string got =
        rill::select(rill::on_recv(idle_rx, [](rill::recv_result<int>) { return std::string("idle"); }),
                     rill::on_recv(rx, [](rill::recv_result<int> m) { return describe(m); }),
                     rill::on_default([] { return std::string("default"); }));
    ASSERT_EQ(got, "value " + std::to_string(round)) << "round " << round;
  }
  // Sends: a buffered channel with room (a rendezvous: a receiver shown waiting).
  for (int round = 0; round < 100; ++round) {
    auto [tx, rx] = kind().make<int>();
    auto [full_tx, full_rx] = rill::bounded<int>(0);  // nobody receives: never ready
    send_target<int> target(kind(), tx, rx);
    const std::string got = rill::select(
        rill::on_send(full_tx, -1, [](rill::send_result<int>) { return std::string("full"); }),
        rill::on_send(tx, round, [](rill::send_result<int> r) { return std::string(r ? "sent" : "failed"); }),
        rill::on_default([] { return std::string("default"); }));
    ASSERT_EQ(got, "sent");
    EXPECT_EQ(describe(target.take()), "value " + std::to_string(round));
  }
}

// ---------------------------------------------------------------------------------------------
// R30: a non-blocking selection takes its default only at an instant when nothing was ready
// ---------------------------------------------------------------------------------------------

// The deterministic forms of this race (a selection that looks at c2 before the send and at c1
// after the take, for try_select and for an expired deadline) are the Relacy scenarios
// select_expired_try and select_expired_zero_timeout (verify/relacy/select_scenarios.hpp): a
// scheduler reaches the interleaving on purpose, where a real-thread test needed a gate. Below,
// Go's test as written, with the OS's interleavings.

TEST_P(select_test, go_nonblock_select_race_random_interleavings) {
  // SPEC R30
  // Go runtime TestNonblockSelectRace as written (random interleavings).
  if (kind().rendezvous()) GTEST_SKIP() << "Go's test uses buffered channels";
  for (int round = 0; round < 2000; ++round) {
    auto [c1_tx, c1_rx] = kind().make<int>();
    auto [c2_tx, c2_rx] = kind().make<int>();
    ASSERT_TRUE(c1_tx.try_send(1).has_value());
    bool took_default = false;
    std::jthread selecting([&] {
      took_default = rill::select(rill::on_recv(c1_rx, [](rill::recv_result<int>) { return false; }),
                                  rill::on_recv(c2_rx, [](rill::recv_result<int>) { return false; }),
                                  rill::on_default([] { return true; }));
    });
    ASSERT_TRUE(c2_tx.send(1).has_value());
    rill::select(rill::on_recv(c1_rx, [](rill::recv_result<int>) {}), rill::on_default([] {}));
    selecting.join();
    ASSERT_FALSE(took_default) << "round " << round << ": no channel was ready";
  }
}

}  // namespace

namespace {

// The selector's own memory (detail/selector_storage.hpp) comes from the sync layer, so the
// allocation hook counts and refuses it. The hook is process-global: set only in these tests,
// through this guard, and only around selector calls (the channels are made before).
std::atomic<unsigned> selector_allocations{0};
bool count_selector_allocation(std::size_t) noexcept {
  selector_allocations.fetch_add(1);
  return true;
}
bool refuse_selector_allocation(std::size_t) noexcept { return false; }

class selector_allocation_hook {
 public:
  explicit selector_allocation_hook(rill::detail::sync::allocation_filter filter)
      : previous_(rill::detail::sync::allocation_hook.exchange(filter)) {
    selector_allocations.store(0);
  }
  selector_allocation_hook(const selector_allocation_hook&) = delete;
  selector_allocation_hook& operator=(const selector_allocation_hook&) = delete;
  ~selector_allocation_hook() { rill::detail::sync::allocation_hook.store(previous_); }

 private:
  rill::detail::sync::allocation_filter previous_;
};

TEST(selector, four_receives_are_made_selected_and_dropped_without_allocating) {
  // SPEC R30
  std::vector<std::pair<rill::sender<int>, rill::receiver<int>>> channels;
  for (int i = 0; i < 4; ++i) channels.push_back(rill::bounded<int>(4));
  ASSERT_TRUE(channels[2].first.send(7).has_value());
  {
    const selector_allocation_hook counting(&count_selector_allocation);
    for (int round = 0; round < 3; ++round) {
      rill::selector selection;
      for (auto& channel : channels) selection.recv(channel.second);
      if (round == 0) {
        rill::selected_operation chosen = selection.select();
        ASSERT_EQ(chosen.index(), 2u);
        EXPECT_EQ(chosen.recv(channels[2].second), 7);
      } else {
        EXPECT_EQ(selection.try_select().error(), rill::select_error::would_block);
      }
    }
    EXPECT_EQ(selector_allocations.load(), 0u) << "a selector of four receives allocated";
  }
}

TEST(selector, an_addition_whose_memory_is_refused_throws_bad_alloc_and_changes_nothing) {
  // SPEC R24, R30
  // Nine operations: past the selector's eight inline places, and (with messages of 4 KiB, whose
  // receive results the operations hold) past its inline bytes too.
  using page = std::array<char, 4096>;
  std::vector<std::pair<rill::sender<page>, rill::receiver<page>>> channels;
  for (int i = 0; i < 9; ++i) channels.push_back(rill::bounded<page>(1));
  rill::selector selection;
  std::size_t added = 0;
  {
    const selector_allocation_hook refusing(&refuse_selector_allocation);
    for (; added < channels.size(); ++added) {
      try {
        ASSERT_EQ(selection.recv(channels[added].second), added);
      } catch (const std::bad_alloc&) {
        break;
      }
    }
    ASSERT_LT(added, channels.size()) << "nine operations of 4 KiB results fitted without allocating";
    EXPECT_EQ(selection.size(), added);
    EXPECT_THROW(selection.recv(channels[added].second), std::bad_alloc);  // refused again: still nothing added
    EXPECT_EQ(selection.size(), added);
  }
  // Allocation works again: the rest are added with the next indices, and every one selects.
  for (std::size_t i = added; i < channels.size(); ++i) ASSERT_EQ(selection.recv(channels[i].second), i);
  for (std::size_t i = channels.size(); i-- > 0;) {
    page message{};
    message[0] = static_cast<char>('a' + i);
    ASSERT_TRUE(channels[i].first.send(message).has_value());
    rill::selected_operation chosen = selection.select();
    ASSERT_EQ(chosen.index(), i);
    EXPECT_EQ(chosen.recv(channels[i].second).value()[0], static_cast<char>('a' + i));
  }
}

}  // namespace
