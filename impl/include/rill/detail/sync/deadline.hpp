// rill/detail/sync/deadline.hpp - turning user durations and time points into deadlines.
//
// Every timed operation in rill works with an absolute deadline on sync::clock, computed once at
// the start of the call, so that spurious wake-ups and retries never extend it (SPEC R20, KB26).
// Users pass durations and time points of any type; the conversion saturates instead of
// overflowing (KB5): a duration too large for `now + d` means "no deadline", and a duration of
// zero or less means "the deadline has already passed" (try once).
//
// This lives in the sync layer because it reads clocks, and channel code may not.
#pragma once

#include <chrono>
#include <optional>
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

/// The deadline `timeout` from now: saturating, never overflowing.
template <class Rep, class Period>
deadline deadline_after(std::chrono::duration<Rep, Period> timeout) {
  const clock::time_point start = now();
  if (!(timeout > std::chrono::duration<Rep, Period>::zero())) return start;  // zero, negative or NaN: try once
  // The largest value of the duration's type means "no deadline" (R20, KB5), even where now + it
  // would still fit (milliseconds held in 32 bits run out after 24.8 days).
  if (timeout == std::chrono::duration<Rep, Period>::max()) return std::nullopt;
  // Compare in long double seconds: exact enough at these magnitudes (the remaining range of a
  // 64-bit nanosecond clock is about 292 years), and it cannot overflow for any Rep.
  const long double requested = std::chrono::duration<long double>(timeout).count();
  const long double remaining = std::chrono::duration<long double>(clock::time_point::max() - start).count();
  if (!(requested < remaining - 1.0L)) return std::nullopt;  // too far away to represent: no deadline
  return start + std::chrono::ceil<clock::duration>(timeout);
}

/// The deadline for a time point of any clock.
template <class Clock, class Duration>
deadline deadline_at(std::chrono::time_point<Clock, Duration> when) {
  if constexpr (std::is_same_v<std::chrono::time_point<Clock, Duration>, clock::time_point>) {
    if (when == clock::time_point::max()) return std::nullopt;
    return when;
  } else {
    if (when == std::chrono::time_point<Clock, Duration>::max()) return std::nullopt;  // as for durations
    // Another clock: measure the time left on that clock, then wait that long on ours.
    const auto left = std::chrono::duration<long double>(when.time_since_epoch()) -
                      std::chrono::duration<long double>(Clock::now().time_since_epoch());
    return deadline_after(left);
  }
}

/// True when the deadline exists and has passed.
inline bool has_passed(const deadline& when) { return when.has_value() && now() >= *when; }

}  // namespace rill::detail::sync
