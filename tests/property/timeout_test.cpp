// Timeout properties: every kind of duration and time point, for every timed operation
// (send_for, send_until, recv_for, recv_until) on every flavor (SPEC R5, R8, R20; KB5, KB26).
//
// Nothing here passes or fails on timing. The arguments fall in four classes:
//   try_once  zero, negative, min(), -inf, time points already passed: the call must act as the
//             try_ form, reporting `timeout` where that one reports full / empty;
//   short     a small positive wait (<= 1 ms): like try_once, except the call may wait; when it
//             reports `timeout`, the deadline must have been reached (one-sided: a correct
//             implementation can never fail it, since its deadline starts after our first clock
//             read; checked only where the deadline is on steady_clock, the clock rill waits on);
//   far       representable but far (an hour, 100 years, 1e9 seconds);
//   never     the largest value of the type, or a value for which now + d overflows: "no
//             deadline" (KB5).
// For far and never arguments a call may not be made to wait: it is made either when a message
// (or room, or a partner) is available, and must succeed at once without reporting timeout, or
// when a second thread, released by a std::latch, makes one available (or disconnects the channel)
// later: the call must then succeed (or report disconnected), never `timeout`; an implementation
// that treated the argument as an expired deadline (the KB5 overflow) would report timeout.
// KB26 (a spurious wake-up re-arming the full timeout) cannot be observed without timing; the
// deadline arithmetic it depends on is what the short class checks.
//
// The table is small, so every argument is run on every flavor, operation and situation
// (exhaustive loops, deterministic); a rapidcheck property adds generated durations of several
// representations.
#include "property_support.hpp"

#include <chrono>
#include <cmath>
#include <functional>
#include <latch>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using rill_property::message;
using tx_handle = rill::sender<message>;
using rx_handle = rill::receiver<message>;
using steady = std::chrono::steady_clock;
using system_clock = std::chrono::system_clock;

enum class kind { try_once, short_wait, far, never };

const char* name_of(kind k) {
  switch (k) {
    case kind::try_once: return "try_once";
    case kind::short_wait: return "short";
    case kind::far: return "far";
    case kind::never: return "never";
  }
  return "?";
}

/// The outcome of one timed call, with whether a `timeout` came before the deadline.
template <class Result>
struct timed {
  Result result;
  bool early = false;
};

struct timed_arg {
  std::string text;  // how a call spells it
  kind what = kind::try_once;
  std::function<timed<rill::send_result<message>>(tx_handle&, message)> send;
  std::function<timed<rill::recv_result<message>>(rx_handle&)> recv;
};

template <class Rep, class Period>
timed_arg duration_arg(std::string text, kind what, std::chrono::duration<Rep, Period> d) {
  const bool measurable = what == kind::short_wait;
  timed_arg arg;
  arg.text = "_for(" + text + ")";
  arg.what = what;
  arg.send = [d, measurable](tx_handle& tx, message m) {
    const auto start = steady::now();
    auto result = tx.send_for(std::move(m), d);
    const bool timed_out = !result && result.error().reason == rill::send_errc::timeout;
    return timed<rill::send_result<message>>{std::move(result),
                                             measurable && timed_out && steady::now() - start < d};
  };
  arg.recv = [d, measurable](rx_handle& rx) {
    const auto start = steady::now();
    auto result = rx.recv_for(d);
    const bool timed_out = !result && result.error() == rill::recv_error::timeout;
    return timed<rill::recv_result<message>>{std::move(result), measurable && timed_out && steady::now() - start < d};
  };
  return arg;
}

/// `make` builds the time point at the moment of the call.
template <class Make>
timed_arg time_point_arg(std::string text, kind what, Make make) {
  using point = decltype(make());
  constexpr bool on_steady = std::is_same_v<typename point::clock, steady>;
  // Early timeouts are measured only where the deadline is on steady_clock (see the header).
  const bool measurable = on_steady && what == kind::short_wait;
  timed_arg arg;
  arg.text = "_until(" + text + ")";
  arg.what = what;
  arg.send = [make, measurable](tx_handle& tx, message m) {
    const point when = make();
    auto result = tx.send_until(std::move(m), when);
    const bool timed_out = !result && result.error().reason == rill::send_errc::timeout;
    bool early = false;
    if constexpr (on_steady) early = measurable && timed_out && steady::now() < when;
    (void)measurable;
    return timed<rill::send_result<message>>{std::move(result), early};
  };
  arg.recv = [make, measurable](rx_handle& rx) {
    const point when = make();
    auto result = rx.recv_until(when);
    const bool timed_out = !result && result.error() == rill::recv_error::timeout;
    bool early = false;
    if constexpr (on_steady) early = measurable && timed_out && steady::now() < when;
    (void)measurable;
    return timed<rill::recv_result<message>>{std::move(result), early};
  };
  return arg;
}

std::vector<timed_arg> all_arguments() {
  using namespace std::chrono;
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<timed_arg> args;
  // try_once
  args.push_back(duration_arg("0ns", kind::try_once, 0ns));
  args.push_back(duration_arg("0s", kind::try_once, 0s));
  args.push_back(duration_arg("duration<double>{0.0}", kind::try_once, duration<double>{0.0}));
  args.push_back(duration_arg("-1ns", kind::try_once, -1ns));
  args.push_back(duration_arg("-5ms", kind::try_once, -5ms));
  args.push_back(duration_arg("-1h", kind::try_once, -1h));
  args.push_back(duration_arg("nanoseconds::min()", kind::try_once, nanoseconds::min()));
  args.push_back(duration_arg("seconds::min()", kind::try_once, seconds::min()));
  args.push_back(duration_arg("hours::min()", kind::try_once, hours::min()));
  args.push_back(duration_arg("duration<double>{-0.5}", kind::try_once, duration<double>{-0.5}));
  args.push_back(duration_arg("duration<double>::min()", kind::try_once, duration<double>::min()));
  args.push_back(duration_arg("duration<double>{-inf}", kind::try_once, duration<double>{-inf}));
  args.push_back(duration_arg("duration<float>{-1.0f}", kind::try_once, duration<float>{-1.0f}));
  args.push_back(duration_arg("duration<int32_t, milli>::min()", kind::try_once, duration<std::int32_t, std::milli>::min()));
  args.push_back(duration_arg("duration<long double>::min()", kind::try_once, duration<long double>::min()));
  args.push_back(time_point_arg("steady_clock::now()", kind::try_once, [] { return steady::now(); }));
  args.push_back(time_point_arg("steady_clock::now() - 1s", kind::try_once, [] { return steady::now() - 1s; }));
  args.push_back(time_point_arg("steady_clock::time_point::min()", kind::try_once, [] { return steady::time_point::min(); }));
  args.push_back(time_point_arg("steady_clock::time_point{}", kind::try_once, [] { return steady::time_point{}; }));
  args.push_back(time_point_arg("system_clock::now() - 1h", kind::try_once, [] { return system_clock::now() - 1h; }));
  args.push_back(time_point_arg("system_clock::time_point::min()", kind::try_once, [] { return system_clock::time_point::min(); }));
  args.push_back(time_point_arg("time_point<system_clock, seconds>::min()", kind::try_once,
                                [] { return time_point<system_clock, seconds>::min(); }));
  args.push_back(time_point_arg("time_point<system_clock, duration<double>>::min()", kind::try_once,
                                [] { return time_point<system_clock, duration<double>>::min(); }));
  args.push_back(time_point_arg("time_point<steady_clock, duration<double>>{now - 1ms}", kind::try_once, [] {
    return time_point_cast<duration<double>>(steady::now() - 1ms);
  }));
  // short
  args.push_back(duration_arg("1us", kind::short_wait, 1us));
  args.push_back(duration_arg("100us", kind::short_wait, 100us));
  args.push_back(duration_arg("1ms", kind::short_wait, 1ms));
  args.push_back(duration_arg("duration<double>{2e-4}", kind::short_wait, duration<double>{2e-4}));
  args.push_back(duration_arg("duration<float, milli>{0.5f}", kind::short_wait, duration<float, std::milli>{0.5f}));
  args.push_back(time_point_arg("steady_clock::now() + 500us", kind::short_wait, [] { return steady::now() + 500us; }));
  args.push_back(time_point_arg("system_clock::now() + 500us", kind::short_wait, [] { return system_clock::now() + 500us; }));
  args.push_back(time_point_arg("time_point<steady_clock, duration<double>>{now + 200us}", kind::short_wait, [] {
    return time_point_cast<duration<double>>(steady::now() + 200us);
  }));
  // far
  args.push_back(duration_arg("1h", kind::far, 1h));
  args.push_back(duration_arg("duration<int32_t, milli>::max()", kind::never, duration<std::int32_t, std::milli>::max()));
  args.push_back(duration_arg("hours{876000}", kind::far, hours{876000}));
  args.push_back(duration_arg("duration<double>{1e9}", kind::far, duration<double>{1e9}));
  args.push_back(time_point_arg("steady_clock::now() + 1h", kind::far, [] { return steady::now() + 1h; }));
  args.push_back(time_point_arg("system_clock::now() + 24h", kind::far, [] { return system_clock::now() + 24h; }));
  args.push_back(time_point_arg("steady_clock::now() + hours{876000}", kind::far, [] { return steady::now() + hours{876000}; }));
  args.push_back(time_point_arg("steady_clock::time_point{nanoseconds::max() - 1ns}", kind::far,
                                [] { return steady::time_point{nanoseconds::max() - 1ns}; }));
  // never
  args.push_back(duration_arg("nanoseconds::max()", kind::never, nanoseconds::max()));
  args.push_back(duration_arg("microseconds::max()", kind::never, microseconds::max()));
  args.push_back(duration_arg("milliseconds::max()", kind::never, milliseconds::max()));
  args.push_back(duration_arg("seconds::max()", kind::never, seconds::max()));
  args.push_back(duration_arg("minutes::max()", kind::never, minutes::max()));
  args.push_back(duration_arg("hours::max()", kind::never, hours::max()));
  args.push_back(duration_arg("days::max()", kind::never, days::max()));
  args.push_back(duration_arg("years::max()", kind::never, years::max()));
  args.push_back(duration_arg("duration<double>::max()", kind::never, duration<double>::max()));
  args.push_back(duration_arg("duration<float>::max()", kind::never, duration<float>::max()));
  args.push_back(duration_arg("duration<long double>::max()", kind::never, duration<long double>::max()));
  args.push_back(duration_arg("duration<double>{+inf}", kind::never, duration<double>{inf}));
  args.push_back(duration_arg("duration<uint64_t, nano>::max()", kind::never, duration<std::uint64_t, std::nano>::max()));
  args.push_back(duration_arg("nanoseconds::max() - 1ns", kind::never, nanoseconds::max() - 1ns));
  args.push_back(duration_arg("seconds{seconds::max().count() / 2}", kind::never, seconds{seconds::max().count() / 2}));
  args.push_back(time_point_arg("steady_clock::time_point::max()", kind::never, [] { return steady::time_point::max(); }));
  args.push_back(time_point_arg("system_clock::time_point::max()", kind::never, [] { return system_clock::time_point::max(); }));
  args.push_back(time_point_arg("time_point<steady_clock, seconds>::max()", kind::never,
                                [] { return time_point<steady, seconds>::max(); }));
  args.push_back(time_point_arg("time_point<system_clock, hours>::max()", kind::never,
                                [] { return time_point<system_clock, hours>::max(); }));
  args.push_back(time_point_arg("time_point<system_clock, duration<double>>::max()", kind::never,
                                [] { return time_point<system_clock, duration<double>>::max(); }));
  args.push_back(time_point_arg("time_point<steady_clock, duration<double>>::max()", kind::never,
                                [] { return time_point<steady, duration<double>>::max(); }));
  return args;
}

/// Takes (and accounts for) whatever is buffered. A try_recv loop rather than try_iter(), which
/// the unit tests cover (R27).
void drain(rx_handle& rx) {
  while (auto got = rx.try_recv()) got->handled = true;
}

struct flavor {
  const char* name;
  std::optional<std::size_t> capacity;
  [[nodiscard]] bool rendezvous() const { return capacity == std::size_t{0}; }
  [[nodiscard]] std::pair<tx_handle, rx_handle> make() const {
    return capacity ? rill::bounded<message>(*capacity) : rill::unbounded<message>();
  }
};

constexpr std::array flavors{flavor{"bounded(0)", 0}, flavor{"bounded(1)", 1}, flavor{"bounded(3)", 3},
                             flavor{"unbounded()", std::nullopt}};

/// Retries a call on a rendezvous while the partner thread has not reached the channel yet: only
/// `timeout` is tolerated, and only for arguments that make the call try once or wait briefly.
constexpr int partner_arrival_attempts = 2'000'000;

/// A message, room or partner is available when the call is made: it must be taken at once,
/// whatever the argument (R20), and no `timeout` may be reported for far / never arguments.
void available(const flavor& f, const timed_arg& arg, bool sending, const std::string& where) {
  SCOPED_TRACE(where + " with a message / room / partner available");
  auto [tx, rx] = f.make();
  if (f.rendezvous()) {
    std::jthread partner([sending, &tx, &rx] {
      if (sending) {
        auto got = rx.recv();
        ASSERT_TRUE(got.has_value());
        got->handled = true;
        EXPECT_EQ(got->value, 7);
      } else {
        ASSERT_TRUE(tx.send(message(8)).has_value());
      }
    });
    for (int attempt = 0;; ++attempt) {
      if (sending) {
        auto outcome = arg.send(tx, message(7));
        if (outcome.result) break;
        outcome.result.error().message.handled = true;
        ASSERT_EQ(outcome.result.error().reason, rill::send_errc::timeout) << "unexpected failure";
        ASSERT_EQ(outcome.result.error().message.value, 7);  // R9
        ASSERT_FALSE(outcome.early) << "timeout before the deadline";
        ASSERT_TRUE(arg.what == kind::try_once || arg.what == kind::short_wait)
            << "timeout reported for an argument that has no reachable deadline (KB5)";
      } else {
        auto outcome = arg.recv(rx);
        if (outcome.result) {
          outcome.result->handled = true;
          EXPECT_EQ(outcome.result->value, 8);
          break;
        }
        ASSERT_EQ(outcome.result.error(), rill::recv_error::timeout) << "unexpected failure";
        ASSERT_FALSE(outcome.early) << "timeout before the deadline";
        ASSERT_TRUE(arg.what == kind::try_once || arg.what == kind::short_wait)
            << "timeout reported for an argument that has no reachable deadline (KB5)";
      }
      ASSERT_LT(attempt, partner_arrival_attempts) << "the partner never arrived";
      std::this_thread::yield();
    }
  } else if (sending) {
    auto outcome = arg.send(tx, message(7));
    if (!outcome.result) outcome.result.error().message.handled = true;
    ASSERT_TRUE(outcome.result.has_value()) << "room was available; got "
                                            << rill::to_string(outcome.result.error().reason);
    EXPECT_EQ(rx.size(), 1u);
    auto got = rx.try_recv();
    ASSERT_TRUE(got.has_value());
    got->handled = true;
    EXPECT_EQ(got->value, 7);
  } else {
    ASSERT_TRUE(tx.try_send(message(8)).has_value());
    auto outcome = arg.recv(rx);
    ASSERT_TRUE(outcome.result.has_value()) << "a message was available; got " << rill::to_string(outcome.result.error());
    outcome.result->handled = true;
    EXPECT_EQ(outcome.result->value, 8);
  }
}

/// Nothing available and the channel connected: try_once and short arguments report timeout
/// (with the message back for sends), never before the deadline.
void unavailable(const flavor& f, const timed_arg& arg, bool sending, const std::string& where) {
  SCOPED_TRACE(where + " with nothing available");
  auto [tx, rx] = f.make();
  if (sending) {
    if (!f.capacity) return;  // an unbounded channel always has room
    for (std::size_t i = 0; i < *f.capacity; ++i) ASSERT_TRUE(tx.try_send(message(static_cast<int>(i))).has_value());
    auto outcome = arg.send(tx, message(7));
    ASSERT_FALSE(outcome.result.has_value());
    outcome.result.error().message.handled = true;
    EXPECT_EQ(outcome.result.error().reason, rill::send_errc::timeout);
    EXPECT_EQ(outcome.result.error().message.value, 7);  // R9
    EXPECT_FALSE(outcome.early) << "timeout before the deadline";
    EXPECT_EQ(tx.size(), *f.capacity);
    drain(rx);
  } else {
    auto outcome = arg.recv(rx);
    ASSERT_FALSE(outcome.result.has_value());
    EXPECT_EQ(outcome.result.error(), rill::recv_error::timeout);
    EXPECT_FALSE(outcome.early) << "timeout before the deadline";
  }
}

/// Nothing available, a far or never argument: a second thread released by a latch makes the
/// call possible (or disconnects the channel); the call must then succeed (or report
/// disconnected), never timeout.
void released_later(const flavor& f, const timed_arg& arg, bool sending, bool by_disconnection,
                    const std::string& where) {
  SCOPED_TRACE(where + (by_disconnection ? " released by disconnection" : " released by a partner"));
  if (sending && !f.capacity) return;  // never blocks
  auto [tx, rx] = f.make();
  if (sending && f.capacity) {
    for (std::size_t i = 0; i < *f.capacity; ++i) ASSERT_TRUE(tx.try_send(message(100 + static_cast<int>(i))).has_value());
  }
  std::latch go(1);
  if (sending) {
    std::jthread helper([&go, &rx, by_disconnection, &f] {
      go.wait();
      if (by_disconnection) {
        rx.reset();  // the last receiver: buffered messages destroyed, the blocked send fails (R11)
      } else if (auto got = rx.recv()) {
        got->handled = true;  // makes room (or, rendezvous, takes the message)
        EXPECT_EQ(got->value, f.rendezvous() ? 7 : 100);
      }
    });
    go.count_down();
    auto outcome = arg.send(tx, message(7));
    helper.join();
    if (by_disconnection) {
      ASSERT_FALSE(outcome.result.has_value());
      outcome.result.error().message.handled = true;
      EXPECT_EQ(outcome.result.error().reason, rill::send_errc::disconnected);
      EXPECT_EQ(outcome.result.error().message.value, 7);
      // The last receiver's release destroyed the buffered messages at once (R11).
      EXPECT_EQ(rill_property::destruction_ledger::instance().take().size(), f.capacity.value_or(0));
    } else {
      if (!outcome.result) outcome.result.error().message.handled = true;
      ASSERT_TRUE(outcome.result.has_value()) << rill::to_string(outcome.result.error().reason);
    }
  } else {
    std::jthread helper([&go, &tx, by_disconnection] {
      go.wait();
      if (by_disconnection) {
        tx.reset();  // the last sender (R10)
      } else {
        EXPECT_TRUE(tx.send(message(9)).has_value());
      }
    });
    go.count_down();
    auto outcome = arg.recv(rx);
    helper.join();
    if (by_disconnection) {
      ASSERT_FALSE(outcome.result.has_value());
      EXPECT_EQ(outcome.result.error(), rill::recv_error::disconnected);
    } else {
      ASSERT_TRUE(outcome.result.has_value()) << rill::to_string(outcome.result.error());
      outcome.result->handled = true;
      EXPECT_EQ(outcome.result->value, 9);
    }
  }
  // Whatever is left is destroyed with the channel; account for it.
  if (rx) {
    drain(rx);
  }
}

/// A closed channel: sends report disconnected with the message, receives drain the buffered
/// message first, then report disconnected, whatever the argument (R5, R8, R12).
void disconnected(const flavor& f, const timed_arg& arg, bool sending, const std::string& where) {
  SCOPED_TRACE(where + " on a closed channel");
  auto [tx, rx] = f.make();
  if (!f.rendezvous()) {
    ASSERT_TRUE(tx.try_send(message(5)).has_value());
  }
  tx.close();
  if (sending) {
    auto outcome = arg.send(tx, message(7));
    ASSERT_FALSE(outcome.result.has_value());
    outcome.result.error().message.handled = true;
    EXPECT_EQ(outcome.result.error().reason, rill::send_errc::disconnected);
    EXPECT_EQ(outcome.result.error().message.value, 7);
  }
  if (!f.rendezvous()) {
    auto first = arg.recv(rx);
    ASSERT_TRUE(first.result.has_value()) << "disconnected reported before draining (KB13)";
    first.result->handled = true;
    EXPECT_EQ(first.result->value, 5);
  }
  auto last = arg.recv(rx);
  ASSERT_FALSE(last.result.has_value());
  EXPECT_EQ(last.result.error(), rill::recv_error::disconnected);
  drain(rx);
}

class timeouts : public testing::Test {
 protected:
  void SetUp() override { rill_property::reset_accounting(); }
  void TearDown() override {
    EXPECT_EQ(message::live.load(), 0L) << "a message was leaked or destroyed twice";
    EXPECT_TRUE(rill_property::destruction_ledger::instance().take().empty())
        << "a message was destroyed that the test accounted for";
  }
};

TEST_F(timeouts, every_argument_on_every_timed_operation_and_flavor) {
  // SPEC R5, R8, R9, R20 (KB5, KB26)
  const auto args = all_arguments();
  std::size_t calls = 0;
  for (const flavor& f : flavors) {
    for (const timed_arg& arg : args) {
      for (bool sending : {true, false}) {
        const std::string where =
            std::string(f.name) + " " + (sending ? "send" : "recv") + arg.text + " [" + name_of(arg.what) + "]";
        available(f, arg, sending, where);
        if (arg.what == kind::try_once || arg.what == kind::short_wait) {
          unavailable(f, arg, sending, where);
        } else {
          released_later(f, arg, sending, false, where);
          released_later(f, arg, sending, true, where);
        }
        disconnected(f, arg, sending, where);
        calls += 4;
        if (HasFatalFailure() || HasNonfatalFailure()) return;
      }
    }
  }
  std::cout << "[property] timeouts: " << args.size() << " arguments x " << flavors.size()
            << " flavors x 2 directions, " << calls << " scenarios\n";
}

TEST(timeout_property, generated_durations_of_any_representation_behave_by_their_class) {
  // SPEC R5, R8, R20 (KB5)
  rill_property::check_property(rill_property::under_tsan() ? 100 : 300, 100, [] {
    rill_property::reset_accounting();
    const auto& f = flavors[static_cast<std::size_t>(*rc::gen::inRange(0, static_cast<int>(flavors.size())))];
    const bool sending = *rc::gen::arbitrary<bool>();
    const int representation = *rc::gen::inRange(0, 4);
    // Arbitrary 64-bit counts cover zero, negatives, small and huge values, and the extremes.
    const auto count = *rc::gen::oneOf(rc::gen::arbitrary<std::int64_t>(),
                                       rc::gen::element(std::numeric_limits<std::int64_t>::max(),
                                                        std::numeric_limits<std::int64_t>::min(), std::int64_t{0},
                                                        std::int64_t{-1}, std::int64_t{1}));
    timed_arg arg;
    auto classify = [](long double seconds) {
      if (!(seconds > 0)) return kind::try_once;
      // Up to 100 ms counts as a short wait (a timeout is allowed): a partner thread released by
      // a latch may take milliseconds to run under ThreadSanitizer, so only a longer duration
      // is treated as one the partner will certainly beat.
      if (seconds <= 0.1L) return kind::short_wait;
      if (seconds < 200.0L * 365 * 86400) return kind::far;
      return kind::never;
    };
    switch (representation) {
      case 0: {
        const std::chrono::nanoseconds d{count};
        arg = duration_arg(std::to_string(count) + "ns", classify(std::chrono::duration<long double>(d).count()), d);
        break;
      }
      case 1: {
        const std::chrono::duration<std::int32_t, std::milli> d{static_cast<std::int32_t>(count)};
        arg = duration_arg("duration<int32_t, milli>{" + std::to_string(d.count()) + "}",
                           classify(std::chrono::duration<long double>(d).count()), d);
        break;
      }
      case 2: {
        const std::chrono::duration<double> d{static_cast<double>(count) * 1e-9};
        arg = duration_arg("duration<double>{" + std::to_string(d.count()) + "}",
                           classify(std::chrono::duration<long double>(d).count()), d);
        break;
      }
      default: {
        const std::chrono::seconds d{count};
        arg = duration_arg(std::to_string(count) + "s", classify(std::chrono::duration<long double>(d).count()), d);
        break;
      }
    }
    RC_LOG() << f.name << (sending ? " send" : " recv") << arg.text << " [" << name_of(arg.what) << "]";
    RC_CLASSIFY(true, name_of(arg.what));
    const std::string where = std::string(f.name) + (sending ? " send" : " recv") + arg.text;
    const auto failed = [] { return testing::Test::HasFatalFailure() || testing::Test::HasNonfatalFailure(); };
    available(f, arg, sending, where);
    RC_ASSERT(!failed());
    if (arg.what == kind::try_once || arg.what == kind::short_wait) {
      unavailable(f, arg, sending, where);
    } else {
      released_later(f, arg, sending, false, where);
    }
    RC_ASSERT(!failed());
    disconnected(f, arg, sending, where);
    RC_ASSERT(!failed());
    RC_ASSERT(message::live.load() == 0L);
    RC_ASSERT(rill_property::destruction_ledger::instance().take().empty());
  });
}

}  // namespace
