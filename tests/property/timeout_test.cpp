// Timeout properties: every kind of duration and time point, for every timed operation
// (send_for, send_until, recv_for, recv_until) on every flavor (SPEC R5, R8, R20; KB5, KB26), for
// the same operation made through a selection (select_for / select_until of a rill::selector,
// on_timeout / on_deadline of the select statement; R30, R44), and for the timers after, at and
// tick (R40, R41, R43, R44).
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
// (exhaustive loops, deterministic); a rapidcheck property adds generated durations and
// steady_clock time points of several representations and of any period (1/3 s, 1/1024 s,
// 1/44100 s, 7/3 s, a year...: periods whose conversion to nanoseconds can overflow where a
// decimal one cannot, see "Durations of any period" below).
//
// Timers (the last properties) are classified the same way by how far their time is from their
// creation: due (zero, negative, past, the smallest values: the message is there at once), short
// (up to 1 ms: a blocking receive waits for it, and it may not come before its time), middle (up
// to an hour: only "not before its time" is checked, if it comes), far and never (an hour or more,
// or too far to represent: never ready while the test runs; a computation that overflowed into
// the past would make it ready at once, KB5). A tick's re-arm is checked on generated schedules
// near the clock's end through the flavor itself, the only way to reach it without waiting for
// years.
#include "property_support.hpp"

#include <chrono>
#include <cmath>
#include <cstdint>
#include <functional>
#include <iomanip>
#include <latch>
#include <limits>
#include <optional>
#include <ratio>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
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

/// How a timed call is made: the channel's own send_for / recv_for (_until), a selection of that
/// one operation with rill::selector::select_for / select_until, or the select statement with
/// on_timeout / on_deadline (R30, R44). The selections map their outcome onto the channel's
/// result types: `timeout` when the deadline passed first (a send's message handed back), the
/// completed operation's result otherwise.
enum class through { channel, selector, statement };
constexpr std::array all_throughs{through::channel, through::selector, through::statement};

/// A send with a deadline (a duration or a time point), made `via` one of the three ways.
template <class Limit>
rill::send_result<message> timed_send(through via, tx_handle& tx, message m, Limit limit) {
  constexpr bool is_point = requires { typename Limit::clock; };
  using failure = rill::send_error<message>;
  if (via == through::channel) {
    if constexpr (is_point) {
      return tx.send_until(std::move(m), limit);
    } else {
      return tx.send_for(std::move(m), limit);
    }
  }
  if (via == through::selector) {
    rill::selector selection;
    selection.send(tx);
    auto chosen = [&] {
      if constexpr (is_point) {
        return selection.select_until(limit);
      } else {
        return selection.select_for(limit);
      }
    }();
    if (!chosen) return std::unexpected(failure{rill::send_errc::timeout, std::move(m)});
    return chosen->send(tx, std::move(m));
  }
  // The statement owns the message from here on; if its case does not run, the message is
  // destroyed with the statement. It is marked handled so that the ledger does not count it,
  // and a message of the same value stands for it in the `timeout` result.
  const int value = m.value;
  m.handled = true;
  std::optional<rill::send_result<message>> sent;
  auto on_sent = [&sent](rill::send_result<message> result) { sent.emplace(std::move(result)); };
  if constexpr (is_point) {
    rill::select(rill::on_send(tx, std::move(m), on_sent), rill::on_deadline(limit, [] {}));
  } else {
    rill::select(rill::on_send(tx, std::move(m), on_sent), rill::on_timeout(limit, [] {}));
  }
  if (sent) return std::move(*sent);
  return std::unexpected(failure{rill::send_errc::timeout, message(value)});
}

/// A receive with a deadline, made `via` one of the three ways.
template <class Limit>
rill::recv_result<message> timed_recv(through via, rx_handle& rx, Limit limit) {
  constexpr bool is_point = requires { typename Limit::clock; };
  if (via == through::channel) {
    if constexpr (is_point) {
      return rx.recv_until(limit);
    } else {
      return rx.recv_for(limit);
    }
  }
  if (via == through::selector) {
    rill::selector selection;
    selection.recv(rx);
    auto chosen = [&] {
      if constexpr (is_point) {
        return selection.select_until(limit);
      } else {
        return selection.select_for(limit);
      }
    }();
    if (!chosen) return std::unexpected(rill::recv_error::timeout);
    return chosen->recv(rx);
  }
  std::optional<rill::recv_result<message>> got;
  auto on_got = [&got](rill::recv_result<message> result) { got.emplace(std::move(result)); };
  if constexpr (is_point) {
    rill::select(rill::on_recv(rx, on_got), rill::on_deadline(limit, [] {}));
  } else {
    rill::select(rill::on_recv(rx, on_got), rill::on_timeout(limit, [] {}));
  }
  if (got) return std::move(*got);
  return std::unexpected(rill::recv_error::timeout);
}

std::string spelled(through via, const std::string& form, const std::string& argument) {
  switch (via) {
    case through::channel: return form + "(" + argument + ")";
    case through::selector: return " via rill::selector::select" + form + "(" + argument + ")";
    case through::statement:
      return std::string(" via rill::select(..., ") + (form == "_for" ? "on_timeout(" : "on_deadline(") + argument +
             "))";
  }
  return "?";
}

// ---------------------------------------------------------------------------------------------
// Durations of any period and representation (R20, R44)
// ---------------------------------------------------------------------------------------------
// std::chrono converts a duration to another period by multiplying its count by the ratio's
// numerator, then dividing by its denominator. Into nanoseconds, a decimal period has denominator
// 1 and the multiplication overflows only where the result would; 1/3 s, 1/1024 s, 1/44100 s
// (audio samples), 1/90000 s (video ticks), 7/3 s or 1000/7 s overflow it months to a century
// before the result would, inside the range where a deadline still fits the clock. So generated
// durations come in these periods too, in representations of several widths, signed, unsigned
// and floating, with lengths spread on a log scale from a nanosecond to ten thousand years and
// extra weight on a month to 400 years, where the multiplication overflows.

long double seconds_of(auto duration) { return std::chrono::duration<long double>(duration).count(); }

/// A uniform integer in [min, max) whatever the generation size (rapidcheck's inRange narrows its
/// range at small sizes); it still shrinks towards `min`.
int uniform(int min, int max) { return *rc::gen::resize(100, rc::gen::inRange(min, max)); }

/// The duration types generated: every period with a signed 64-bit count and at least one other
/// representation, so that each representation (integers of 16, 32 and 64 bits, signed and
/// unsigned; float, double, long double) meets decimal and odd periods. Two thirds of the types
/// have an odd period. A list of pairs rather than every period with every representation keeps
/// the instantiations, and so this file's compile time, down.
template <class Rep, class Period>
using of = std::chrono::duration<Rep, Period>;
using generated_durations = std::tuple<
    of<std::int64_t, std::nano>, of<std::uint64_t, std::nano>, of<std::int16_t, std::micro>,
    of<std::uint32_t, std::milli>, of<float, std::ratio<1>>, of<std::int32_t, std::ratio<3600>>,
    of<std::int64_t, std::ratio<86400 * 365>>, of<double, std::ratio<86400 * 365>>, of<std::int64_t, std::ratio<1, 3>>,
    of<std::uint64_t, std::ratio<1, 3>>, of<float, std::ratio<1, 3>>, of<std::int64_t, std::ratio<1, 1024>>,
    of<std::int32_t, std::ratio<1, 1024>>, of<double, std::ratio<1, 1024>>, of<std::int64_t, std::ratio<1, 44100>>,
    of<std::uint32_t, std::ratio<1, 44100>>, of<long double, std::ratio<1, 44100>>,
    of<std::int64_t, std::ratio<1, 90000>>, of<std::uint64_t, std::ratio<1, 90000>>, of<float, std::ratio<1, 90000>>,
    of<std::int64_t, std::ratio<7, 3>>, of<std::int32_t, std::ratio<7, 3>>, of<double, std::ratio<7, 3>>,
    of<std::int64_t, std::ratio<1000, 7>>, of<std::int16_t, std::ratio<1000, 7>>, of<long double, std::ratio<1000, 7>>>;
/// The types the timed operations, selector and statement are called with: fewer, as each one
/// instantiates every way of making the call. The conversion they share is checked on all the
/// types above (timeout_property.deadlines_...).
using generated_call_durations =
    std::tuple<of<std::int16_t, std::micro>, of<std::int64_t, std::ratio<1, 3>>, of<std::uint64_t, std::ratio<1, 3>>,
               of<double, std::ratio<1, 1024>>, of<std::int64_t, std::ratio<1, 44100>>, of<float, std::ratio<1, 90000>>,
               of<std::int32_t, std::ratio<7, 3>>, of<std::int64_t, std::ratio<1000, 7>>>;

/// Calls use.template operator()<T>() with T the index-th type of Tuple.
template <class Tuple, class Use>
void with_type_at(std::size_t index, Use&& use) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (void)((I == index && (use.template operator()<std::tuple_element_t<I, Tuple>>(), true)) || ...);
  }(std::make_index_sequence<std::tuple_size_v<Tuple>>{});
}

template <class Rep>
std::string rep_name() {
  if constexpr (std::is_same_v<Rep, std::int16_t>) return "int16_t";
  if constexpr (std::is_same_v<Rep, std::int32_t>) return "int32_t";
  if constexpr (std::is_same_v<Rep, std::int64_t>) return "int64_t";
  if constexpr (std::is_same_v<Rep, std::uint32_t>) return "uint32_t";
  if constexpr (std::is_same_v<Rep, std::uint64_t>) return "uint64_t";
  if constexpr (std::is_same_v<Rep, float>) return "float";
  if constexpr (std::is_same_v<Rep, double>) return "double";
  if constexpr (std::is_same_v<Rep, long double>) return "long double";
  return "?";
}

template <class Rep, class Period>
std::string duration_text(Rep count) {
  std::ostringstream text;
  text << "duration<" << rep_name<Rep>() << ", ratio<" << Period::num << ", " << Period::den << ">>{";
  if constexpr (std::is_floating_point_v<Rep>) {
    text << std::setprecision(std::numeric_limits<Rep>::max_digits10) << count;
  } else {
    text << +count;
  }
  text << "}";
  return text.str();
}

/// The count of Rep nearest to `seconds` in Period, clamped to Rep's range.
template <class Rep, class Period>
Rep count_for(long double seconds) {
  using limits = std::numeric_limits<Rep>;
  const long double ticks = seconds * static_cast<long double>(Period::den) / static_cast<long double>(Period::num);
  if (!(ticks < static_cast<long double>(limits::max()))) return limits::max();
  if (!(ticks > static_cast<long double>(limits::lowest()))) return limits::lowest();
  return static_cast<Rep>(ticks);
}

/// 10^(x / 100) seconds for x uniform in [low, high).
long double log_scale_seconds(int low, int high) {
  return std::pow(10.0L, static_cast<long double>(uniform(low, high)) / 100.0L);
}

/// A count of a duration of Rep and Period: a length on the log scale (some negative), a length
/// from a month to 400 years, the extremes of Rep (infinities and NaN for floating ones), or an
/// arbitrary value.
template <class Rep, class Period>
Rep generated_count_of() {
  using limits = std::numeric_limits<Rep>;
  switch (uniform(0, 6)) {
    case 0:
    case 1: {  // a nanosecond to 10,000 years; an eighth of them negative where Rep has a sign
      const long double seconds = log_scale_seconds(-900, 1150);
      return count_for<Rep, Period>(limits::is_signed && uniform(0, 8) == 0 ? -seconds : seconds);
    }
    case 2:
    case 3: return count_for<Rep, Period>(log_scale_seconds(641, 1010));  // 30 days to 400 years
    case 4:
      if constexpr (std::is_floating_point_v<Rep>) {
        return *rc::gen::element(limits::max(), limits::lowest(), limits::infinity(), -limits::infinity(),
                                 limits::quiet_NaN(), limits::min(), -limits::min(), limits::denorm_min(), Rep{0},
                                 Rep{1});
      } else {
        return *rc::gen::element(limits::max(), limits::lowest(), static_cast<Rep>(limits::max() - 1),
                                 static_cast<Rep>(limits::lowest() + 1), Rep{0}, Rep{1}, static_cast<Rep>(-1));
      }
    default: return *rc::gen::resize(100, rc::gen::arbitrary<Rep>());
  }
}

/// Calls use.template operator()<Rep, Period>() for a duration type generated from Types.
template <class Types = generated_durations, class Use>
void with_generated_period_and_rep(Use&& use) {
  const auto index = static_cast<std::size_t>(uniform(0, std::tuple_size_v<Types>));
  with_type_at<Types>(index, [&]<class D>() { use.template operator()<typename D::rep, typename D::period>(); });
}

/// Calls use(d, text) with a generated duration of a generated period and representation.
template <class Types = generated_durations, class Use>
void with_duration_of_any_period(Use&& use) {
  with_generated_period_and_rep<Types>([&]<class Rep, class Period>() {
    const std::chrono::duration<Rep, Period> d{generated_count_of<Rep, Period>()};
    use(d, duration_text<Rep, Period>(d.count()));
  });
}

/// The exact value of `d` in nanoseconds, rounded up: the test's own reference, independent of
/// rill's conversion. Integer counts are multiplied first, in 128 bits (wide enough for every
/// generated period); a floating count is split into its integer mantissa and power of two
/// (frexp), and only counts within 10^7 seconds are computed. Nothing for larger or non-finite
/// ones.
template <class Rep, class Period>
std::optional<std::int64_t> exact_ceil_nanoseconds(std::chrono::duration<Rep, Period> d) {
  static_assert(Period::num < (std::intmax_t{1} << 40), "the products below must fit 127 bits");
  __extension__ using wide = __int128;
  const auto ceil_div = [](wide a, wide b) { return a / b + (a % b != 0 && a > 0 ? 1 : 0); };
  constexpr wide per_tick = wide{Period::num} * 1'000'000'000;  // nanoseconds * Period::den per tick
  wide value = 0;
  if constexpr (std::is_floating_point_v<Rep>) {
    if (!std::isfinite(d.count()) || std::abs(seconds_of(d)) > 1e7L) return std::nullopt;
    int exponent = 0;
    const Rep fraction = std::frexp(d.count(), &exponent);
    constexpr int digits = std::numeric_limits<Rep>::digits;
    const auto mantissa = static_cast<wide>(std::ldexp(fraction, digits));  // signed, |m| < 2^64
    exponent -= digits;
    wide product = mantissa * per_tick;  // |product| < 2^64 * 2^70 / 2^30... below 2^104
    if (exponent >= 0) {
      product <<= exponent;  // |d| <= 10^7 s keeps this small
    } else if (exponent > -120) {
      product = ceil_div(product, wide{1} << -exponent);
    } else {
      product = product > 0 ? 1 : 0;
    }
    value = ceil_div(product, Period::den);
  } else {
    value = ceil_div(static_cast<wide>(d.count()) * per_tick, Period::den);
  }
  if (value > std::numeric_limits<std::int64_t>::max() || value < std::numeric_limits<std::int64_t>::min()) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(value);
}

/// The message at(t) must carry for t, a time point of the timer clock of any duration: t
/// rounded up to the clock's tick, exactly (R40, R20), or instant::min() where t is before the
/// clock's range. Nothing where t is too far in the future (the timer never fires) or not
/// computed (a floating count more than 10^7 s from the clock's epoch and not before its range).
template <class Rep, class Period>
std::optional<rill::instant> expected_message(
    std::chrono::time_point<rill::timer_clock, std::chrono::duration<Rep, Period>> when) {
  if (seconds_of(when.time_since_epoch()) < seconds_of(rill::instant::duration::min()) - 1.0L)
    return rill::instant::min();
  const auto nanoseconds = exact_ceil_nanoseconds(when.time_since_epoch());
  if (!nanoseconds || *nanoseconds == std::numeric_limits<std::int64_t>::max()) return std::nullopt;
  return rill::instant(rill::instant::duration(*nanoseconds));
}

struct timed_arg {
  std::string text;  // how a call spells it
  kind what = kind::try_once;
  std::function<timed<rill::send_result<message>>(tx_handle&, message)> send;
  std::function<timed<rill::recv_result<message>>(rx_handle&)> recv;
};

template <class Rep, class Period>
timed_arg duration_arg(through via, std::string text, kind what, std::chrono::duration<Rep, Period> d) {
  const bool measurable = what == kind::short_wait;
  timed_arg arg;
  arg.text = spelled(via, "_for", text);
  arg.what = what;
  // Early: timed out before d had passed, compared exactly (d rounded up to nanoseconds; a
  // std::chrono comparison with a floating count rounds, and with an odd period can overflow).
  const auto before_deadline = [d](steady::duration waited) {
    const auto due = exact_ceil_nanoseconds(d);
    return due && waited.count() < *due;
  };
  arg.send = [via, d, measurable, before_deadline](tx_handle& tx, message m) {
    const auto start = steady::now();
    auto result = timed_send(via, tx, std::move(m), d);
    const bool timed_out = !result && result.error().reason == rill::send_errc::timeout;
    return timed<rill::send_result<message>>{std::move(result),
                                             measurable && timed_out && before_deadline(steady::now() - start)};
  };
  arg.recv = [via, d, measurable, before_deadline](rx_handle& rx) {
    const auto start = steady::now();
    auto result = timed_recv(via, rx, d);
    const bool timed_out = !result && result.error() == rill::recv_error::timeout;
    return timed<rill::recv_result<message>>{std::move(result),
                                             measurable && timed_out && before_deadline(steady::now() - start)};
  };
  return arg;
}

/// Whether a reading of the steady clock is before `when`, a steady time point of any duration.
/// Comparing the two with std::chrono converts both to a common period, which can overflow for a
/// period that is not a power of ten; long double seconds cannot, and a microsecond's margin
/// covers their rounding, so a correct deadline is never taken for an early one.
template <class Duration>
bool is_before(steady::time_point reading, std::chrono::time_point<steady, Duration> when) {
  if constexpr (std::is_same_v<Duration, steady::duration>) {
    return reading < when;
  } else {
    return std::chrono::duration<long double>(when.time_since_epoch()).count() -
               std::chrono::duration<long double>(reading.time_since_epoch()).count() >
           1e-6L;
  }
}

/// `make` builds the time point at the moment of the call.
template <class Make>
timed_arg time_point_arg(through via, std::string text, kind what, Make make) {
  using point = decltype(make());
  constexpr bool on_steady = std::is_same_v<typename point::clock, steady>;
  // Early timeouts are measured only where the deadline is on steady_clock (see the header).
  const bool measurable = on_steady && what == kind::short_wait;
  timed_arg arg;
  arg.text = spelled(via, "_until", text);
  arg.what = what;
  arg.send = [via, make, measurable](tx_handle& tx, message m) {
    const point when = make();
    auto result = timed_send(via, tx, std::move(m), when);
    const bool timed_out = !result && result.error().reason == rill::send_errc::timeout;
    bool early = false;
    if constexpr (on_steady) early = measurable && timed_out && is_before(steady::now(), when);
    (void)measurable;
    return timed<rill::send_result<message>>{std::move(result), early};
  };
  arg.recv = [via, make, measurable](rx_handle& rx) {
    const point when = make();
    auto result = timed_recv(via, rx, when);
    const bool timed_out = !result && result.error() == rill::recv_error::timeout;
    bool early = false;
    if constexpr (on_steady) early = measurable && timed_out && is_before(steady::now(), when);
    (void)measurable;
    return timed<rill::recv_result<message>>{std::move(result), early};
  };
  return arg;
}

std::vector<timed_arg> all_arguments(through via) {
  using namespace std::chrono;
  constexpr double inf = std::numeric_limits<double>::infinity();
  std::vector<timed_arg> args;
  // try_once
  args.push_back(duration_arg(via, "0ns", kind::try_once, 0ns));
  args.push_back(duration_arg(via, "0s", kind::try_once, 0s));
  args.push_back(duration_arg(via, "duration<double>{0.0}", kind::try_once, duration<double>{0.0}));
  args.push_back(duration_arg(via, "-1ns", kind::try_once, -1ns));
  args.push_back(duration_arg(via, "-5ms", kind::try_once, -5ms));
  args.push_back(duration_arg(via, "-1h", kind::try_once, -1h));
  args.push_back(duration_arg(via, "nanoseconds::min()", kind::try_once, nanoseconds::min()));
  args.push_back(duration_arg(via, "seconds::min()", kind::try_once, seconds::min()));
  args.push_back(duration_arg(via, "hours::min()", kind::try_once, hours::min()));
  args.push_back(duration_arg(via, "duration<double>{-0.5}", kind::try_once, duration<double>{-0.5}));
  args.push_back(duration_arg(via, "duration<double>::min()", kind::try_once, duration<double>::min()));
  args.push_back(duration_arg(via, "duration<double>{-inf}", kind::try_once, duration<double>{-inf}));
  args.push_back(duration_arg(via, "duration<float>{-1.0f}", kind::try_once, duration<float>{-1.0f}));
  args.push_back(
      duration_arg(via, "duration<int32_t, milli>::min()", kind::try_once, duration<std::int32_t, std::milli>::min()));
  args.push_back(duration_arg(via, "duration<long double>::min()", kind::try_once, duration<long double>::min()));
  args.push_back(time_point_arg(via, "steady_clock::now()", kind::try_once, [] { return steady::now(); }));
  args.push_back(time_point_arg(via, "steady_clock::now() - 1s", kind::try_once, [] { return steady::now() - 1s; }));
  args.push_back(
      time_point_arg(via, "steady_clock::time_point::min()", kind::try_once, [] { return steady::time_point::min(); }));
  args.push_back(
      time_point_arg(via, "steady_clock::time_point{}", kind::try_once, [] { return steady::time_point{}; }));
  args.push_back(
      time_point_arg(via, "system_clock::now() - 1h", kind::try_once, [] { return system_clock::now() - 1h; }));
  args.push_back(time_point_arg(via, "system_clock::time_point::min()", kind::try_once,
                                [] { return system_clock::time_point::min(); }));
  args.push_back(time_point_arg(via, "time_point<system_clock, seconds>::min()", kind::try_once,
                                [] { return time_point<system_clock, seconds>::min(); }));
  args.push_back(time_point_arg(via, "time_point<system_clock, duration<double>>::min()", kind::try_once,
                                [] { return time_point<system_clock, duration<double>>::min(); }));
  args.push_back(time_point_arg(via, "time_point<steady_clock, duration<double>>{now - 1ms}", kind::try_once,
                                [] { return time_point_cast<duration<double>>(steady::now() - 1ms); }));
  // short
  args.push_back(duration_arg(via, "1us", kind::short_wait, 1us));
  args.push_back(duration_arg(via, "100us", kind::short_wait, 100us));
  args.push_back(duration_arg(via, "1ms", kind::short_wait, 1ms));
  args.push_back(duration_arg(via, "duration<double>{2e-4}", kind::short_wait, duration<double>{2e-4}));
  args.push_back(
      duration_arg(via, "duration<float, milli>{0.5f}", kind::short_wait, duration<float, std::milli>{0.5f}));
  args.push_back(
      time_point_arg(via, "steady_clock::now() + 500us", kind::short_wait, [] { return steady::now() + 500us; }));
  args.push_back(
      time_point_arg(via, "system_clock::now() + 500us", kind::short_wait, [] { return system_clock::now() + 500us; }));
  args.push_back(time_point_arg(via, "time_point<steady_clock, duration<double>>{now + 200us}", kind::short_wait,
                                [] { return time_point_cast<duration<double>>(steady::now() + 200us); }));
  // far
  args.push_back(duration_arg(via, "1h", kind::far, 1h));
  args.push_back(
      duration_arg(via, "duration<int32_t, milli>::max()", kind::never, duration<std::int32_t, std::milli>::max()));
  args.push_back(duration_arg(via, "hours{876000}", kind::far, hours{876000}));
  args.push_back(duration_arg(via, "duration<double>{1e9}", kind::far, duration<double>{1e9}));
  args.push_back(time_point_arg(via, "steady_clock::now() + 1h", kind::far, [] { return steady::now() + 1h; }));
  args.push_back(time_point_arg(via, "system_clock::now() + 24h", kind::far, [] { return system_clock::now() + 24h; }));
  args.push_back(time_point_arg(via, "steady_clock::now() + hours{876000}", kind::far,
                                [] { return steady::now() + hours{876000}; }));
  args.push_back(time_point_arg(via, "steady_clock::time_point{nanoseconds::max() - 1ns}", kind::far,
                                [] { return steady::time_point{nanoseconds::max() - 1ns}; }));
  // never
  args.push_back(duration_arg(via, "nanoseconds::max()", kind::never, nanoseconds::max()));
  args.push_back(duration_arg(via, "microseconds::max()", kind::never, microseconds::max()));
  args.push_back(duration_arg(via, "milliseconds::max()", kind::never, milliseconds::max()));
  args.push_back(duration_arg(via, "seconds::max()", kind::never, seconds::max()));
  args.push_back(duration_arg(via, "minutes::max()", kind::never, minutes::max()));
  args.push_back(duration_arg(via, "hours::max()", kind::never, hours::max()));
  args.push_back(duration_arg(via, "days::max()", kind::never, days::max()));
  args.push_back(duration_arg(via, "years::max()", kind::never, years::max()));
  args.push_back(duration_arg(via, "duration<double>::max()", kind::never, duration<double>::max()));
  args.push_back(duration_arg(via, "duration<float>::max()", kind::never, duration<float>::max()));
  args.push_back(duration_arg(via, "duration<long double>::max()", kind::never, duration<long double>::max()));
  args.push_back(duration_arg(via, "duration<double>{+inf}", kind::never, duration<double>{inf}));
  args.push_back(
      duration_arg(via, "duration<uint64_t, nano>::max()", kind::never, duration<std::uint64_t, std::nano>::max()));
  args.push_back(duration_arg(via, "nanoseconds::max() - 1ns", kind::never, nanoseconds::max() - 1ns));
  args.push_back(
      duration_arg(via, "seconds{seconds::max().count() / 2}", kind::never, seconds{seconds::max().count() / 2}));
  args.push_back(
      time_point_arg(via, "steady_clock::time_point::max()", kind::never, [] { return steady::time_point::max(); }));
  args.push_back(time_point_arg(via, "system_clock::time_point::max()", kind::never,
                                [] { return system_clock::time_point::max(); }));
  args.push_back(time_point_arg(via, "time_point<steady_clock, seconds>::max()", kind::never,
                                [] { return time_point<steady, seconds>::max(); }));
  args.push_back(time_point_arg(via, "time_point<system_clock, hours>::max()", kind::never,
                                [] { return time_point<system_clock, hours>::max(); }));
  args.push_back(time_point_arg(via, "time_point<system_clock, duration<double>>::max()", kind::never,
                                [] { return time_point<system_clock, duration<double>>::max(); }));
  args.push_back(time_point_arg(via, "time_point<steady_clock, duration<double>>::max()", kind::never,
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
        if (!got) return;  // closed below: the call under test failed
        got->handled = true;
        EXPECT_EQ(got->value, 7);
      } else if (auto sent = tx.send(message(8)); !sent) {
        sent.error().message.handled = true;  // closed below: the call under test failed
      }
    });
    // Destroyed before the partner is joined: a failed assertion below returns at once, and
    // closing the channel (R12) then ends the partner's blocking operation instead of leaving
    // the join waiting for ever.
    struct close_on_exit {
      tx_handle channel;
      ~close_on_exit() { channel.close(); }
    } closer{tx};
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
    ASSERT_TRUE(outcome.result.has_value())
        << "room was available; got " << rill::to_string(outcome.result.error().reason);
    EXPECT_EQ(rx.size(), 1u);
    auto got = rx.try_recv();
    ASSERT_TRUE(got.has_value());
    got->handled = true;
    EXPECT_EQ(got->value, 7);
  } else {
    ASSERT_TRUE(tx.try_send(message(8)).has_value());
    auto outcome = arg.recv(rx);
    ASSERT_TRUE(outcome.result.has_value())
        << "a message was available; got " << rill::to_string(outcome.result.error());
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
    for (std::size_t i = 0; i < *f.capacity; ++i)
      ASSERT_TRUE(tx.try_send(message(100 + static_cast<int>(i))).has_value());
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
    // A send that timed out (the failure this checks for) leaves a rendezvous helper waiting in
    // recv: closing the channel (R12) ends that, so the failure is reported instead of a hang.
    if (!outcome.result && outcome.result.error().reason == rill::send_errc::timeout) tx.close();
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
      } else if (auto sent = tx.send(message(9)); !sent) {
        sent.error().message.handled = true;  // closed below: the receive under test failed
      }
    });
    go.count_down();
    auto outcome = arg.recv(rx);
    // As for sends: a receive that timed out leaves a rendezvous helper waiting in send.
    if (!outcome.result && outcome.result.error() == rill::recv_error::timeout) rx.close();
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

/// Every argument of the table, made `via` one way, on every flavor, in both directions and
/// every situation. Returns the number of scenarios run (stops at the first failure).
std::size_t every_argument(through via) {
  const auto args = all_arguments(via);
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
        if (testing::Test::HasFatalFailure() || testing::Test::HasNonfatalFailure()) return calls;
      }
    }
  }
  std::cout << "[property] timeouts"
            << (via == through::channel    ? ""
                : via == through::selector ? " (selector)"
                                           : " (statement)")
            << ": " << args.size() << " arguments x " << flavors.size() << " flavors x 2 directions, " << calls
            << " scenarios\n";
  return calls;
}

TEST_F(timeouts, every_argument_on_every_timed_operation_and_flavor) {
  // SPEC R5, R8, R9, R20 (KB5, KB26)
  every_argument(through::channel);
}

TEST_F(timeouts, every_argument_on_every_timed_selection_and_flavor) {
  // SPEC R30, R32, R44, R20, R9 (KB5)
  // select_for / select_until of one operation, and the statement's on_timeout / on_deadline:
  // a ready operation is selected whatever the deadline, a deadline that is never reached never
  // reports timeout, and a disconnected operation is ready.
  every_argument(through::selector);
  if (HasFatalFailure() || HasNonfatalFailure()) return;
  every_argument(through::statement);
}

TEST(timeout_property, generated_durations_of_any_representation_behave_by_their_class) {
  // SPEC R5, R8, R20, R30, R44 (KB5)
  // Half the cases take a duration or a steady_clock time point of any period and representation
  // (above); a far one that timed out at once is the overflow of converting it.
  rill_property::check_property(rill_property::under_tsan() ? 150 : 400, 100, [] {
    rill_property::reset_accounting();
    const auto& f = flavors[static_cast<std::size_t>(*rc::gen::inRange(0, static_cast<int>(flavors.size())))];
    const bool sending = *rc::gen::arbitrary<bool>();
    const through via = *rc::gen::elementOf(all_throughs);
    const int representation = uniform(0, 8);
    // Arbitrary 64-bit counts cover zero, negatives, small and huge values, and the extremes.
    const auto count = *rc::gen::oneOf(
        rc::gen::arbitrary<std::int64_t>(),
        rc::gen::element(std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min(),
                         std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}));
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
        arg =
            duration_arg(via, std::to_string(count) + "ns", classify(std::chrono::duration<long double>(d).count()), d);
        break;
      }
      case 1: {
        const std::chrono::duration<std::int32_t, std::milli> d{static_cast<std::int32_t>(count)};
        arg = duration_arg(via, "duration<int32_t, milli>{" + std::to_string(d.count()) + "}",
                           classify(std::chrono::duration<long double>(d).count()), d);
        break;
      }
      case 2: {
        const std::chrono::duration<double> d{static_cast<double>(count) * 1e-9};
        arg = duration_arg(via, "duration<double>{" + std::to_string(d.count()) + "}",
                           classify(std::chrono::duration<long double>(d).count()), d);
        break;
      }
      case 3: {
        const std::chrono::seconds d{count};
        arg =
            duration_arg(via, std::to_string(count) + "s", classify(std::chrono::duration<long double>(d).count()), d);
        break;
      }
      case 4:
      case 5:
      case 6:
        with_duration_of_any_period<generated_call_durations>([&](auto d, const std::string& text) {
          RC_CLASSIFY(true, "any period");
          // The largest value of a type means "no deadline" however short it is (R20):
          // duration<int16_t, micro>::max() is 33 ms.
          arg = duration_arg(via, text, d == decltype(d)::max() ? kind::never : classify(seconds_of(d)), d);
        });
        break;
      default:
        // A steady_clock time point of any period: its distance from now, or an arbitrary count.
        with_generated_period_and_rep<generated_call_durations>([&]<class Rep, class Period>() {
          using point = std::chrono::time_point<steady, std::chrono::duration<Rep, Period>>;
          const long double now = seconds_of(steady::now().time_since_epoch());
          Rep count_of_point{};
          if (uniform(0, 3) == 0) {
            count_of_point = generated_count_of<Rep, Period>();
          } else {
            const long double away = log_scale_seconds(-900, 1150);
            count_of_point = count_for<Rep, Period>(uniform(0, 4) == 0 ? now - away : now + away);
          }
          const point when{std::chrono::duration<Rep, Period>{count_of_point}};
          RC_CLASSIFY(true, "time point of any period");
          arg = time_point_arg(via, "time_point<steady_clock, " + duration_text<Rep, Period>(count_of_point) + ">",
                               when == point::max() ? kind::never : classify(seconds_of(when.time_since_epoch()) - now),
                               [when] { return when; });
        });
        break;
    }
    RC_LOG() << f.name << (sending ? " send" : " recv") << arg.text << " [" << name_of(arg.what) << "]";
    RC_CLASSIFY(true, name_of(arg.what));
    const std::string where = std::string(f.name) + (sending ? " send" : " recv") + arg.text;
    // Failures of this case only: GoogleTest's HasFailure() stays true once any case failed, and
    // would make every case rapidcheck tries while shrinking fail, down to a trivial one.
    const testing::TestResult& results = *testing::UnitTest::GetInstance()->current_test_info()->result();
    const int parts_before = results.total_part_count();
    const auto failed = [&results, parts_before] {
      for (int i = parts_before; i < results.total_part_count(); ++i) {
        if (results.GetTestPartResult(i).failed()) return true;
      }
      return false;
    };
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

TEST(timeout_property, deadlines_of_any_duration_are_the_exact_time_rounded_up_or_none) {
  // SPEC R20, R44, R40
  // The conversion every timed operation, selection and timer goes through (deadline_after for
  // durations, deadline_at for time points), checked directly on generated durations and
  // steady_clock time points of any period and representation. Deterministic: a conversion that
  // overflows fails every time such a value comes up, where the operations above show it only
  // when the call runs out of time before its partner arrives.
  using clock = rill::detail::sync::clock;
  using ns = clock::duration;
  rill_property::check_property(rill_property::under_tsan() ? 1000 : 3000, 100, [] {
    if (uniform(0, 2) == 0) {
      with_duration_of_any_period([](auto d, const std::string& text) {
        RC_LOG() << "deadline_after(" << text << ")";
        const clock::time_point before = clock::now();
        const rill::detail::sync::deadline deadline = rill::detail::sync::deadline_after(d);
        const clock::time_point after = clock::now();
        if (!(d > decltype(d)::zero())) {  // zero, negative, NaN: try once, the deadline is now
          RC_ASSERT(deadline.has_value());
          RC_ASSERT(*deadline <= after);
          return;
        }
        if (d == decltype(d)::max()) {  // the type's largest value: no deadline
          RC_ASSERT(!deadline.has_value());
          return;
        }
        const long double seconds = seconds_of(d);
        const std::optional<std::int64_t> exact = exact_ceil_nanoseconds(d);
        if (!deadline.has_value()) {
          // None only where now + d cannot be represented.
          RC_CLASSIFY(true, "deadline_after: none");
          if (!(seconds >= seconds_of(clock::time_point::max() - after) - 1e-6L)) {
            RC_FAIL("no deadline for a duration that fits the clock (R20)");
          }
          return;
        }
        RC_CLASSIFY(true, "deadline_after: a deadline");
        if (exact) {
          // Made between before and after: d rounded up to nanoseconds from a moment in between.
          if (*deadline - before < ns(*exact)) RC_FAIL("the deadline is before now + d: early, or wrapped (R20)");
          if (*deadline - after > ns(*exact)) RC_FAIL("the deadline is after now + d rounded up (R20)");
        } else if (!(seconds_of(*deadline - before) >= seconds - 1e-6L)) {
          RC_FAIL("the deadline is before now + d: early, or wrapped (R20)");
        }
      });
    } else {
      with_generated_period_and_rep([]<class Rep, class Period>() {
        using point = std::chrono::time_point<steady, std::chrono::duration<Rep, Period>>;
        const point when{std::chrono::duration<Rep, Period>{generated_count_of<Rep, Period>()}};
        RC_LOG() << "deadline_at(time_point<steady_clock, "
                 << duration_text<Rep, Period>(when.time_since_epoch().count()) << ">)";
        const rill::detail::sync::deadline deadline = rill::detail::sync::deadline_at(when);
        if (when == point::max()) {
          RC_ASSERT(!deadline.has_value());
          return;
        }
        // On rill's own clock: t itself, rounded up to nanoseconds, saturated (R40, R20).
        RC_CLASSIFY(true, deadline.has_value() ? "deadline_at: a deadline" : "deadline_at: none");
        const std::optional<rill::instant> expected = expected_message(when);
        if (expected) {
          if (!deadline.has_value()) RC_FAIL("no deadline for a time point the clock can represent (R20)");
          if (*deadline != *expected) {
            RC_FAIL("deadline " + std::to_string((*deadline).time_since_epoch().count()) +
                    "ns, not t rounded up: " + std::to_string(expected->time_since_epoch().count()) + "ns (R40, R20)");
          }
        } else if (deadline.has_value() && seconds_of(when.time_since_epoch()) < 9e9L &&
                   !(seconds_of((*deadline).time_since_epoch()) >= seconds_of(when.time_since_epoch()) - 1e-6L)) {
          RC_FAIL("the deadline is before t (R20)");
        }
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Timers: after, at, tick (R40, R41, R43, R44; KB5)
// ---------------------------------------------------------------------------------------------

enum class timer_class { due, short_wait, middle, far, invalid };

const char* name_of(timer_class what) {
  switch (what) {
    case timer_class::due: return "due";
    case timer_class::short_wait: return "short";
    case timer_class::middle: return "middle";
    case timer_class::far: return "far or never";
    case timer_class::invalid: return "invalid period";
  }
  return "?";
}

/// One generated timer: how it is made, and what its argument promises.
struct timer_case {
  std::string maker;  // after, tick, at, at (converted)
  std::string text;
  std::function<rill::receiver<rill::instant>()> make;
  /// Seconds from the moment just before the timer is made to its (first) message, given the
  /// two clocks read at that moment; +inf for "never".
  std::function<long double(rill::instant, system_clock::time_point)> left;
  bool periodic = false;
  bool invalid = false;                // tick with a period that is not positive (R41)
  bool converted = false;              // a time point of another clock, converted once (R20)
  std::optional<rill::instant> exact;  // at(t), t on the timer clock: the message is t rounded up
  /// after(d) / tick(p), d or p positive: whether a time after creation is at least d (or p), in
  /// exact arithmetic: no message comes before creation + d (R20: rounded up, never down).
  std::function<bool(rill::instant::duration)> reached;
  rill::instant::duration step{};  // tick: messages are a whole number of these apart
};

timer_class class_of(const timer_case& timer, long double left) {
  if (timer.invalid) return timer_class::invalid;
  // A time point of another clock is converted once, when the timer is made (R20); that clock
  // may be stepped meanwhile, so a second's margin separates "due" from "short".
  if (!(left > (timer.converted ? -1.0L : 0.0L))) return timer_class::due;
  if (left <= 1e-3L && !(timer.converted && left <= 0)) return timer_class::short_wait;
  if (left < 3600.0L) return timer_class::middle;
  return timer_class::far;
}

/// A count of ticks: arbitrary 64-bit values, the extremes, a few milliseconds either way, or up
/// to a millisecond (in nanoseconds: the short class). Sizes are fixed so that large values come
/// in every case, not only in the last ones.
std::int64_t generated_count() {
  constexpr auto max = std::numeric_limits<std::int64_t>::max();
  constexpr auto min = std::numeric_limits<std::int64_t>::min();
  return *rc::gen::oneOf(
      rc::gen::resize(100, rc::gen::arbitrary<std::int64_t>()),
      rc::gen::element(max, min, max - 1, min + 1, std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}),
      rc::gen::resize(100, rc::gen::inRange<std::int64_t>(-2'000'000, 2'000'001)),
      rc::gen::resize(100, rc::gen::inRange<std::int64_t>(1, 1'000'001)));
}

/// A delay (after) or a period (tick) of a generated representation.
template <class Use>
void with_generated_duration(Use use) {
  using namespace std::chrono;
  const std::int64_t count = generated_count();
  switch (uniform(0, 8)) {
    case 0: return use(nanoseconds{count}, std::to_string(count) + "ns");
    case 1: return use(microseconds{count}, std::to_string(count) + "us");
    case 2: {
      const duration<std::int32_t, std::milli> d{static_cast<std::int32_t>(count)};
      return use(d, "duration<int32_t, milli>{" + std::to_string(d.count()) + "}");
    }
    case 3: return use(seconds{count}, std::to_string(count) + "s");
    case 4: {
      const duration<double> d{static_cast<double>(count) * 1e-9};
      return use(d, "duration<double>{" + std::to_string(d.count()) + "}");
    }
    case 5: {
      constexpr double inf = std::numeric_limits<double>::infinity();
      const double seconds =
          *rc::gen::element(inf, -inf, std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
                            std::numeric_limits<double>::min(), -std::numeric_limits<double>::min());
      std::ostringstream text;
      text << "duration<double>{" << seconds << "}";
      return use(duration<double>{seconds}, text.str());
    }
    default: return with_duration_of_any_period(use);
  }
}

timer_case generated_timer() {
  using namespace std::chrono;
  timer_case timer;
  const int maker = uniform(0, 3);
  if (maker < 2) {
    // after(d) or tick(p).
    with_generated_duration([&](auto d, const std::string& text) {
      // The largest value of a type means "never" however short it is (R20, R44).
      const long double seconds =
          d == decltype(d)::max() ? std::numeric_limits<long double>::infinity() : seconds_of(d);
      timer.left = [seconds](rill::instant, system_clock::time_point) { return seconds; };
      if (d > decltype(d)::zero() && seconds < 3600.0L) {
        // Exactly: a time after creation at least d, and d rounded up to the clock's tick.
        const std::int64_t step = exact_ceil_nanoseconds(d).value();
        timer.reached = [step](rill::instant::duration since) { return since.count() >= step; };
        timer.step = rill::instant::duration(step);
      }
      if (maker == 0) {
        timer.maker = "after";
        timer.text = "rill::after(" + text + ")";
        timer.make = [d] { return rill::after(d); };
      } else {
        timer.maker = "tick";
        timer.text = "rill::tick(" + text + ")";
        timer.periodic = true;
        timer.invalid = !(d > decltype(d)::zero());
        timer.make = [d] { return rill::tick(d); };
      }
    });
    return timer;
  }
  // at(t), for time points of several clocks and types, absolute or relative to now.
  const std::int64_t count = generated_count();
  timer.maker = "at";
  const auto steady_left = [](auto when) {
    return [when](rill::instant before, system_clock::time_point) {
      return seconds_of(when.time_since_epoch()) - seconds_of(before.time_since_epoch());
    };
  };
  const auto system_left = [](auto when) {
    return [when](rill::instant, system_clock::time_point before) {
      return seconds_of(when.time_since_epoch()) - seconds_of(before.time_since_epoch());
    };
  };
  switch (uniform(0, 8)) {
    case 0: {  // the timer clock's own type: the message is exactly t (R40)
      const rill::instant when{nanoseconds{count}};
      timer.text = "rill::at(instant{" + std::to_string(count) + "ns})";
      timer.make = [when] { return rill::at(when); };
      timer.left = steady_left(when);
      timer.exact = when;
      break;
    }
    case 1: {  // near now (the short class and around it)
      const rill::instant when =
          rill::timer_clock::now() +
          nanoseconds{*rc::gen::resize(100, rc::gen::inRange<std::int64_t>(-2'000'000, 2'000'001))};
      timer.text = "rill::at(instant{" + std::to_string(when.time_since_epoch().count()) + "ns}) (near now)";
      timer.make = [when] { return rill::at(when); };
      timer.left = steady_left(when);
      timer.exact = when;
      break;
    }
    case 2: {
      const rill::instant when = *rc::gen::element(rill::instant::min(), rill::instant::max(), rill::instant{},
                                                   rill::instant::max() - 1ns, rill::instant::min() + 1ns);
      timer.text = "rill::at(instant{" + std::to_string(when.time_since_epoch().count()) + "ns})";
      timer.make = [when] { return rill::at(when); };
      timer.left = steady_left(when);
      if (when != rill::instant::max()) timer.exact = when;
      break;
    }
    case 3: {  // absolute, or a few milliseconds from now
      const bool near = uniform(0, 2) == 1;
      const system_clock::time_point when =
          near ? system_clock::now() +
                     nanoseconds{*rc::gen::resize(100, rc::gen::inRange<std::int64_t>(-2'000'000, 2'000'001))}
               : system_clock::time_point{system_clock::duration{count}};
      timer.text = "rill::at(system_clock::time_point{" + std::to_string(when.time_since_epoch().count()) + "})" +
                   (near ? " (near now)" : "");
      timer.make = [when] { return rill::at(when); };
      timer.left = system_left(when);
      timer.converted = true;
      timer.maker = "at (converted)";
      break;
    }
    case 4: {  // the timer clock with another duration: converted directly, rounded up (R40)
      const time_point<steady, seconds> when{seconds{count}};
      timer.text = "rill::at(time_point<steady_clock, seconds>{" + std::to_string(count) + "s})";
      timer.make = [when] { return rill::at(when); };
      timer.left = steady_left(when);
      timer.exact = expected_message(when);
      timer.maker = "at (steady, any duration)";
      break;
    }
    case 5:
    case 6: {  // the same with any period and representation, near now or anywhere
      with_generated_period_and_rep([&]<class Rep, class Period>() {
        using point = time_point<steady, duration<Rep, Period>>;
        Rep count_of_point{};
        std::string where;
        if (uniform(0, 2) == 0) {
          count_of_point = generated_count_of<Rep, Period>();
        } else {
          const long double now = seconds_of(rill::timer_clock::now().time_since_epoch());
          // Anywhere on the log scale, or within two milliseconds (the due and short classes).
          const long double away =
              uniform(0, 2) == 0 ? log_scale_seconds(-900, 1150) : static_cast<long double>(uniform(0, 2001)) * 1e-6L;
          count_of_point = count_for<Rep, Period>(uniform(0, 2) == 0 ? now - away : now + away);
          where = " (near now)";
        }
        const point when{duration<Rep, Period>{count_of_point}};
        timer.text = "rill::at(time_point<steady_clock, " + duration_text<Rep, Period>(count_of_point) + ">)" + where;
        timer.make = [when] { return rill::at(when); };
        timer.left = steady_left(when);
        if (when == point::max()) {  // never, however near (R44)
          timer.left = [](rill::instant, system_clock::time_point) {
            return std::numeric_limits<long double>::infinity();
          };
        }
        timer.exact = expected_message(when);
        timer.maker = "at (steady, any duration)";
      });
      break;
    }
    default: {
      constexpr double inf = std::numeric_limits<double>::infinity();
      const double seconds_since_epoch =
          *rc::gen::element(inf, -inf, std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest(),
                            static_cast<double>(count) * 1e-9);
      const time_point<system_clock, duration<double>> when{duration<double>{seconds_since_epoch}};
      std::ostringstream text;
      text << "rill::at(time_point<system_clock, duration<double>>{" << seconds_since_epoch << "s})";
      timer.text = text.str();
      timer.make = [when] { return rill::at(when); };
      timer.left = system_left(when);
      timer.converted = true;
      timer.maker = "at (converted)";
      break;
    }
  }
  return timer;
}

/// R40, R41: a message's time has passed when it is received, and is not before its time.
void check_message(const timer_case& timer, rill::instant got, rill::instant before, const std::string& where) {
  const rill::instant now = rill::timer_clock::now();
  if (got > now) RC_FAIL(where + ": a message time later than its receive: delivered early (R40)");
  if (timer.exact && got != *timer.exact) {
    RC_FAIL(where + ": the message " + std::to_string(got.time_since_epoch().count()) +
            "ns is not the time point it was made for, " + std::to_string(timer.exact->time_since_epoch().count()) +
            "ns (R40, R20)");
  }
  if (timer.reached && !timer.reached(got - before)) {
    RC_FAIL(where + ": a message earlier than its delay or period from the timer's creation (R40, R41, R20)");
  }
}

TEST(timer_property, generated_delays_periods_and_time_points_saturate_and_never_overflow) {
  // SPEC R40, R41, R43, R44, R20 (KB5)
  rill_property::check_property(rill_property::under_tsan() ? 500 : 1000, 100, [] {
    const timer_case timer = generated_timer();
    const int receive_via = uniform(0, 3);  // try_recv / a selector / the statement
    const rill::instant before = rill::timer_clock::now();
    const system_clock::time_point before_system = system_clock::now();
    const timer_class what = class_of(timer, timer.left(before, before_system));
    RC_LOG() << timer.text << " [" << name_of(what) << "]";
    RC_CLASSIFY(true, timer.maker + ": " + name_of(what));
    const std::string where = timer.text + " [" + name_of(what) + "]";

    if (what == timer_class::invalid) {
      bool thrown = false;
      try {
        (void)timer.make();
      } catch (const std::invalid_argument&) {
        thrown = true;
      }
      if (!thrown) RC_FAIL(where + ": a period that is not positive was accepted (R41)");
      return;
    }
    rill::receiver<rill::instant> rx = timer.make();
    // R43: an ordinary receiver with one message at most, no senders, never disconnected.
    RC_ASSERT(rx.capacity() == std::optional<std::size_t>(1));
    RC_ASSERT(rx.sender_count() == 0u);
    rx.close();  // no effect on a timer
    RC_ASSERT(!rx.is_disconnected());

    // A receive that does not wait: try_recv, a selector's try_select, or the statement with
    // on_default (R30, R43).
    const auto receive_now = [&]() -> std::optional<rill::instant> {
      if (receive_via == 0) {
        auto got = rx.try_recv();
        if (!got && got.error() != rill::recv_error::empty) RC_FAIL(where + ": try_recv reported disconnected (R43)");
        return got ? std::optional<rill::instant>(*got) : std::nullopt;
      }
      if (receive_via == 1) {
        rill::selector selection;
        selection.recv(rx);
        auto chosen = selection.try_select();
        if (!chosen) return std::nullopt;
        auto got = chosen->recv(rx);
        if (!got) RC_FAIL(where + ": a selected timer receive had no message (R30)");
        return *got;
      }
      std::optional<rill::instant> got;
      rill::select(rill::on_recv(rx,
                                 [&](rill::recv_result<rill::instant> message) {
                                   if (!message) RC_FAIL(where + ": a timer case ran without a message (R30)");
                                   got = *message;
                                 }),
                   rill::on_default([] {}));
      return got;
    };

    switch (what) {
      case timer_class::due: {
        // Due at once (R40, R44): ready, and received by the first receive; then nothing.
        rill::selector readiness;
        readiness.recv(rx);
        if (readiness.try_ready() != std::expected<std::size_t, rill::select_error>(0)) {
          RC_FAIL(where + ": not ready at once (R40, R43)");
        }
        const auto got = receive_now();
        if (!got) RC_FAIL(where + ": a due message was not received by a non-blocking receive (R40, R44)");
        check_message(timer, *got, before, where);
        if (!timer.periodic && rx.try_recv().has_value()) RC_FAIL(where + ": a second message (R40)");
        break;
      }
      case timer_class::short_wait: {
        // A blocking receive gets it, not before its time (R40, R41).
        auto first = rx.recv();
        if (!first) RC_FAIL(where + ": recv() reported " + std::string(rill::to_string(first.error())));
        check_message(timer, *first, before, where);
        if (timer.periodic) {
          auto second = rx.recv();
          if (!second)
            RC_FAIL(where + ": the second tick: recv() reported " + std::string(rill::to_string(second.error())));
          check_message(timer, *second, before, where + " (second tick)");
          if (*second <= *first) RC_FAIL(where + ": the second tick is not after the first (R41)");
          if ((*second - *first) % timer.step != rill::instant::duration::zero()) {
            RC_FAIL(where + ": the ticks are not a whole number of periods apart (R41)");
          }
        } else if (rx.try_recv().has_value()) {
          RC_FAIL(where + ": a second message (R40)");
        }
        break;
      }
      case timer_class::middle: {
        // Nothing about when; only that a message, if there is one, is not early.
        if (const auto got = receive_now()) check_message(timer, *got, before, where);
        break;
      }
      case timer_class::far: {
        // An hour or more away, or never: not ready now, whatever the way of asking. A deadline
        // computed with an overflow would lie in the past and make it ready at once (KB5).
        if (rx.size() != 0u || !rx.empty()) RC_FAIL(where + ": size() / empty() report a message (R43, R44)");
        rill::selector readiness;
        readiness.recv(rx);
        if (readiness.try_ready().has_value()) RC_FAIL(where + ": ready at once (R44, KB5)");
        if (receive_now()) RC_FAIL(where + ": received at once (R44, KB5)");
        const bool timed_out = rill::select(rill::on_recv(rx, [](rill::recv_result<rill::instant>) { return false; }),
                                            rill::on_timeout(0ns, [] { return true; }));
        if (!timed_out) RC_FAIL(where + ": a select with on_timeout(0ns) received from it (R44, KB5)");
        if (rx.recv_for(0ns).error() != rill::recv_error::timeout) RC_FAIL(where + ": recv_for(0ns) (R44)");
        break;
      }
      case timer_class::invalid: break;
    }
  });
}

TEST(timer_property, re_arming_a_tick_near_the_end_of_the_clock_saturates) {
  // SPEC R41, R44 (KB5)
  // The re-arm after a tick is taken, on generated schedules whose next tick falls just before,
  // at or past the largest time the clock can represent. It can only be reached through the
  // flavor itself: through rill::tick the first tick of such a schedule is centuries away.
  using clock = rill::detail::sync::clock;
  using rep = clock::duration::rep;
  rill_property::check_property(rill_property::under_tsan() ? 150 : 400, 100, [] {
    constexpr rep max = std::numeric_limits<rep>::max();
    const clock::time_point now = clock::now();
    // The first tick is due: `behind` before now (up to ten seconds).
    const rep behind =
        *rc::gen::oneOf(rc::gen::inRange<rep>(0, 10'000'000'000), rc::gen::element(rep{0}, rep{1}, rep{999'999}));
    const clock::time_point first = now - clock::duration(behind);
    const rep room = max - first.time_since_epoch().count();  // from the first tick to the clock's end
    const rep period =
        *rc::gen::oneOf(rc::gen::element(room - 1, room, room + (room < max ? 1 : 0), room / 2, room / 2 + 1,
                                         room / 3 + 1, max, max - 1, max / 2, rep{1}),
                        rc::gen::inRange<rep>(1, max), rc::gen::inRange<rep>(std::max<rep>(1, room / 4), room / 2 + 2));
    RC_LOG() << "first tick " << first.time_since_epoch().count() << "ns (now - " << behind << "ns), period " << period
             << "ns, room " << room << "ns";
    rill::detail::tick_flavor ticks{clock::duration{period}, rill::detail::sync::deadline{first}};
    const clock::time_point before = clock::now();
    const auto message = ticks.try_recv();
    const clock::time_point after = clock::now();
    RC_ASSERT(message.has_value());
    RC_ASSERT(*message == first);  // the scheduled time of the tick taken (R41)
    const rill::detail::sync::deadline next = ticks.recv_ready_at();
    // The first time on the schedule after the receive: first + k * period with the smallest k
    // for which it is later than the clock reading the re-arm made (between `before` and `after`).
    const auto periods_to = [&](clock::time_point reading) {
      return static_cast<long double>((reading - first).count() / period + 1);
    };
    if (next.has_value()) {
      const clock::time_point when = *next;
      RC_CLASSIFY(true, "re-armed");
      if (!(when > first)) RC_FAIL("the re-armed tick is not after the one taken: it wrapped (R44, KB5)");
      if ((when - first).count() % period != 0) RC_FAIL("the re-armed tick is off the schedule (R41)");
      if (!(when > before)) RC_FAIL("the re-armed tick is not after the receive (R41: ticks are not queued)");
      if (!(when - clock::duration(period) <= after)) RC_FAIL("the re-arm skipped a tick of the schedule (R41)");
    } else {
      // Never again: allowed only if the next time on the schedule cannot be represented.
      RC_CLASSIFY(true, "never again");
      const long double needed = static_cast<long double>(first.time_since_epoch().count()) +
                                 periods_to(after) * static_cast<long double>(period);
      if (needed < static_cast<long double>(max)) {
        RC_FAIL("the tick stopped although its next time on the schedule can be represented (R41, R44)");
      }
    }
  });
}

}  // namespace
