// rill/detail/sync/deadline.hpp - turning user durations and time points into deadlines.
//
// Every timed operation in rill works with an absolute deadline on sync::clock, computed once at
// the start of the call, so that spurious wake-ups and retries never extend it (SPEC R20, KB26).
// Users pass durations and time points of any representation and period; the conversion
// saturates instead of overflowing (KB5): a duration too large for `now + d` means "no
// deadline", and a duration of zero or less means "the deadline has already passed" (try once).
//
// Converting to the clock's tick
// ------------------------------
// std::chrono::duration_cast multiplies a count by the ratio between the two periods and then
// divides, in the widest integer type of the two. For a decimal period into nanoseconds the
// divisor is 1 and the product overflows only where the result would; for 1/3 s (into
// nanoseconds: * 1'000'000'000 / 3), 1/1024 s, 1/44100 s, 1/90000 s, 7/3 s or 1000/7 s the
// product overflows months to a century before the result would, inside the range where a
// deadline still fits the clock. So ceil_saturated() below divides first, in 128 bits: count =
// q * den + r, and count * num / den = q * num + r * num / den. Both products are checked; one
// that does not fit 128 bits is out of range anyway (den < 2^63). A floating count
// is converted exactly too, not by std::chrono's formula (count * num / den in floating point,
// whose rounding can land before the instant asked for, up to a quarter of a millisecond for a
// float count of hours; and whose cast of an out-of-range result to an integer is undefined
// behaviour): a finite floating value is an integer mantissa times a power of two, and that
// integer goes through the same 128-bit arithmetic. The result is always the smallest tick count
// not earlier than the exact value asked for (R20: rounded up, never down), saturated.
//
// This lives in the sync layer because it reads clocks, and channel code may not.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <ratio>
#include <type_traits>

namespace rill::detail::sync {

/// An absolute deadline on sync::clock, or none ("wait forever", made from std::nullopt).
///
/// Not std::optional<time_point>: g++ 12 at -O2 reports a false -Wmaybe-uninitialized on the
/// optional's payload once the flavors' loops are inlined, which -Werror turns into a failed build.
class deadline {
 public:
  constexpr deadline(std::nullopt_t) noexcept {}  // NOLINT(google-explicit-constructor): reads as "no deadline"
  constexpr deadline(clock::time_point when) noexcept : when_(when), finite_(true) {}  // NOLINT
  [[nodiscard]] constexpr bool has_value() const noexcept { return finite_; }
  [[nodiscard]] constexpr const clock::time_point& operator*() const noexcept { return when_; }

 private:
  clock::time_point when_{};
  bool finite_ = false;
};

/// `span` in ticks of `To`, rounded up (towards the future): the smallest count of ticks that is
/// not earlier than the exact value of `span`, or To::min() / To::max() where that count is out
/// of range. Exact for every representation (integer of up to 128 bits, or floating point) and
/// every period; NaN gives To::min() (the past: a NaN duration means "try once", R20).
template <class To, class Rep, class Period>
To ceil_saturated(std::chrono::duration<Rep, Period> span) noexcept {
  using to_rep = typename To::rep;
  __extension__ using wide = unsigned __int128;  // a GCC and Clang extension on 64-bit targets
  __extension__ using signed_wide = __int128;
  static_assert(std::is_arithmetic_v<Rep> || std::is_same_v<Rep, wide> || std::is_same_v<Rep, signed_wide>,
                "rill: a duration's representation must be an integer or floating-point type");
  static_assert(std::is_integral_v<to_rep> && std::is_signed_v<to_rep> && sizeof(to_rep) <= 8 && To::period::num == 1,
                "rill: deadlines are kept as a signed count of at most 64 bits of a fraction of a second");
  // The ratio from Period to To's period, num / den in lowest terms: num below 2^126 and den
  // below 2^63 (To's period is 1 / To::period::den).
  constexpr std::intmax_t common_num = std::gcd(Period::num, To::period::num);
  constexpr std::intmax_t common_den = std::gcd(Period::den, To::period::den);
  constexpr wide num = static_cast<wide>(Period::num / common_num) * static_cast<wide>(To::period::den / common_den);
  constexpr wide den = static_cast<wide>(Period::den / common_den);
  constexpr wide most = static_cast<wide>(std::numeric_limits<to_rep>::max());

  // A magnitude of ticks, exact or already known to be out of range, with its sign.
  bool negative = false;
  bool too_large = false;
  wide ticks = 0;
  // Rounds magnitude / den towards the future: up for a positive value, down for a negative one.
  const auto divide = [&negative](wide magnitude, wide divisor) {
    return negative ? magnitude / divisor : magnitude / divisor + (magnitude % divisor != 0 ? 1 : 0);
  };
  if constexpr (!std::is_floating_point_v<Rep>) {
    if constexpr (static_cast<Rep>(-1) < Rep{0}) negative = span.count() < Rep{0};  // std::is_signed misses __int128
    // The count's magnitude: 0 - count in modular arithmetic is exact for every width up to 128
    // bits, the most negative count included.
    const wide magnitude = negative ? wide{0} - static_cast<wide>(span.count()) : static_cast<wide>(span.count());
    // Division first: magnitude * num / den = (magnitude / den) * num + (magnitude % den) * num / den.
    // A product that does not fit 128 bits is out of range: it is at least 2^128 / den > 2^65 ticks.
    wide whole = 0;
    wide part = 0;
    too_large =
        __builtin_mul_overflow(magnitude / den, num, &whole) || __builtin_mul_overflow(magnitude % den, num, &part);
    if (!too_large) {
      const wide rounded = divide(part, den);  // at most num
      too_large = whole > most || rounded > most;
      ticks = whole + rounded;
    }
  } else {
    const Rep count = span.count();
    if (count != count) return To::min();  // NaN
    negative = count < Rep{0};
    // A finite floating-point value is exactly mantissa * 2^exponent with an integer mantissa of
    // at most `digits` bits; the value in ticks is then mantissa * num * 2^exponent / den.
    constexpr int digits = std::numeric_limits<Rep>::digits;
    static_assert(digits <= 64, "rill: floating-point representations of up to 64 mantissa bits");
    if (count == std::numeric_limits<Rep>::infinity() || count == -std::numeric_limits<Rep>::infinity()) {
      too_large = true;
    } else if constexpr (num >> 64 != 0) {
      // A tick of Period is 2^64 ticks of To or more (a period of centuries counted in
      // nanoseconds): no exact product fits; any value of at least one tick is out of range.
      // Smaller ones are computed in long double, widened by more than its rounding error, so
      // that the result is never early.
      const long double magnitude = negative ? -static_cast<long double>(count) : static_cast<long double>(count);
      const long double scaled = magnitude * static_cast<long double>(num) / static_cast<long double>(den);
      const long double slack = scaled * 4 * std::numeric_limits<long double>::epsilon();
      const long double bound = negative ? scaled - slack : scaled + slack;
      too_large = !(bound < static_cast<long double>(most) / 2);
      if (!too_large) ticks = negative ? static_cast<wide>(std::floor(bound)) : static_cast<wide>(std::ceil(bound));
    } else {
      int exponent = 0;
      const Rep fraction = std::frexp(negative ? -count : count, &exponent);  // in [0.5, 1), or 0
      const auto mantissa = static_cast<wide>(std::ldexp(fraction, digits));  // an integer below 2^digits
      exponent -= digits;
      const wide product = mantissa * num;  // below 2^64 * 2^64
      if (exponent >= 0) {
        // product * 2^exponent; not fitting 128 bits means at least 2^128 / den > 2^65 ticks.
        too_large = exponent >= 128 || (exponent > 0 && (product >> (128 - exponent)) != 0);
        if (!too_large) ticks = divide(product << exponent, den);
      } else {
        // Divided by 2^-exponent, then by den: rounding twice in the same direction is rounding
        // once (ceil(ceil(x / a) / b) = ceil(x / (a * b)) for positive integers a, b).
        const int shift = -exponent;
        wide scaled = 0;
        if (shift >= 128) {
          scaled = !negative && product != 0 ? 1 : 0;
        } else {
          scaled = product >> shift;
          if (!negative && (product & ((wide{1} << shift) - 1)) != 0) ++scaled;
        }
        ticks = divide(scaled, den);
      }
    }
  }
  // To::min() is -(most + 1).
  if (!negative) return too_large || ticks > most ? To::max() : To{static_cast<to_rep>(ticks)};
  if (too_large || ticks > most) return To::min();
  return To{static_cast<to_rep>(-static_cast<to_rep>(ticks))};
}

/// The deadline `timeout` from now: saturating, never overflowing, never earlier than now +
/// timeout (rounded up to the clock's tick, R20).
template <class Rep, class Period>
deadline deadline_after(std::chrono::duration<Rep, Period> timeout) {
  const clock::time_point start = now();
  if (!(timeout > std::chrono::duration<Rep, Period>::zero())) return start;  // zero, negative or NaN: try once
  // The largest value of the duration's type means "no deadline" (R20, KB5), even where now + it
  // would still fit (milliseconds held in 32 bits run out after 24.8 days).
  if (timeout == std::chrono::duration<Rep, Period>::max()) return std::nullopt;
  const clock::duration wait = ceil_saturated<clock::duration>(timeout);
  // start is at or after the clock's epoch, so the distance to its end does not overflow.
  if (wait >= clock::time_point::max() - start) return std::nullopt;  // too far away to represent
  return start + wait;
}

/// The deadline for a time point of any clock and any duration.
template <class Clock, class Duration>
deadline deadline_at(std::chrono::time_point<Clock, Duration> when) {
  if (when == std::chrono::time_point<Clock, Duration>::max()) return std::nullopt;  // as for durations
  if constexpr (std::is_same_v<Clock, clock::time_point::clock>) {
    // rill's own clock, of any duration: converted directly, rounded up (R20, R40). One too far
    // away to represent is no deadline; one before the clock's range saturates to its start.
    const clock::duration since_epoch = ceil_saturated<clock::duration>(when.time_since_epoch());
    if (since_epoch == clock::duration::max()) return std::nullopt;
    return clock::time_point(since_epoch);
  } else {
    // Another clock: measure the time left on that clock, then wait that long on ours.
    const auto left = std::chrono::duration<long double>(when.time_since_epoch()) -
                      std::chrono::duration<long double>(Clock::now().time_since_epoch());
    return deadline_after(left);
  }
}

/// True when the deadline exists and has passed.
inline bool has_passed(const deadline& when) { return when.has_value() && now() >= *when; }

}  // namespace rill::detail::sync
