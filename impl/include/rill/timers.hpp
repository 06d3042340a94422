// rill/timers.hpp - timer channels and the never-ready receiver (SPEC R40-R44).
//
//     rill::receiver<rill::instant> timeout = rill::after(1s);      // one message, 1 s from now
//     rill::receiver<rill::instant> ticks = rill::tick(50ms);       // a message every 50 ms
//     rill::receiver<rill::instant> alarm = rill::at(deadline);     // one message at `deadline`
//     rill::receiver<Job> off = rill::never<Job>();                 // never ready: a disabled case
//     rill::sender<Job> nowhere = rill::never_sender<Job>();         // never ready: a disabled send case
//
// They are ordinary receivers: recv, try_recv, the timed receives, iteration and select all work
// on them (crossbeam-channel's `after`, `at`, `tick` and `never`; Go's time.After, time.Tick and
// nil channels). Each message is the time it was scheduled for, on rill::timer_clock (the steady
// clock). Timers are never disconnected, have no senders, and close() has no effect on them.
// Durations and time points of any size saturate (R44): one too far away to represent means the
// message never comes.
#pragma once

#include "rill/channel.hpp"
#include "rill/detail/at_flavor.hpp"
#include "rill/detail/never_flavor.hpp"
#include "rill/detail/shared_state.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/detail/tick_flavor.hpp"

#include <chrono>
#include <stdexcept>

namespace rill {

namespace detail {
template <class T, class Flavor, class... Arguments>
receiver<T> make_receive_only(Arguments&&... arguments) {
  auto* state = shared_state<Flavor>::create_receiver_only(std::forward<Arguments>(arguments)...);
  return channel_access<T>::make_receiver(channel_ref<T>(state));
}
}  // namespace detail

/// A receiver that gets one message, `delay` from now (R40). A delay of zero or less makes the
/// message due at once; the largest duration of its type, or one too long to represent, never.
template <class Rep, class Period>
[[nodiscard]] receiver<instant> after(std::chrono::duration<Rep, Period> delay) {
  return detail::make_receive_only<instant, detail::at_flavor>(detail::sync::deadline_after(delay));
}

/// A receiver that gets one message at `when` (of any clock; converted once, R20).
template <class Clock, class Duration>
[[nodiscard]] receiver<instant> at(std::chrono::time_point<Clock, Duration> when) {
  return detail::make_receive_only<instant, detail::at_flavor>(detail::sync::deadline_at(when));
}

/// A receiver that gets a message every `period`, the first one `period` from now; missed ticks
/// are not queued (R41). Throws std::invalid_argument if `period` is not positive.
template <class Rep, class Period>
[[nodiscard]] receiver<instant> tick(std::chrono::duration<Rep, Period> period) {
  if (!(period > std::chrono::duration<Rep, Period>::zero())) {
    throw std::invalid_argument("rill::tick: the period must be positive");
  }
  const detail::sync::deadline first = detail::sync::deadline_after(period);
  // A period too long to represent never ticks, so its length no longer matters; one that can
  // be represented fits the clock's duration (deadline_after checked that now + period does),
  // converted the way deadline_after converted it: rounded up, never overflowing (R20, R44).
  const auto step = first.has_value() ? detail::sync::ceil_saturated<detail::sync::clock::duration>(period)
                                      : detail::sync::clock::duration::max();
  return detail::make_receive_only<instant, detail::tick_flavor>(step, first);
}

/// A receiver that is never ready and never disconnected (R42): to switch off a select case.
template <class T>
[[nodiscard]] receiver<T> never() {
  return detail::make_receive_only<T, detail::never_flavor<T>>();
}

/// A sender that is never ready and never disconnected (R42): Go's nil channel in a send case, to
/// switch off a select's send case. try_send reports `full`, a timed send `timeout` at its
/// deadline, a blocking send blocks forever; each hands the message back.
template <class T>
[[nodiscard]] sender<T> never_sender() {
  auto* state = detail::shared_state<detail::never_flavor<T>>::create_sender_only();
  return detail::channel_access<T>::make_sender(detail::channel_ref<T>(state));
}

}  // namespace rill
