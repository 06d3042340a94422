// rill/detail/tick_flavor.hpp - rill::tick(d): a message every period (SPEC R41).
//
// Design
// ------
// The only shared state is the delivery time of the next tick, `next_` (a count of the clock's
// ticks since its epoch; the largest count means "never again"). A receive waits until that
// time, then advances `next_` by one period with a compare-exchange; the winner receives the
// scheduled time of the tick it consumed. Ticks are not queued: a receiver that comes late
// gets one message for all the periods it missed, and the next tick is the first one after
// now on the original schedule (Go's Ticker keeps its phase the same way), so a slow consumer
// never faces a burst.
//
// Every step saturates (R44): the first delivery is now + period computed as a deadline
// (R20: a period too large to represent means no tick ever), and re-arming clamps at the
// largest count instead of overflowing (crossbeam-channel's tick re-arm overflowed).
//
// Linearisation points: a receive succeeds at its successful compare-exchange of `next_` (P1);
// it sees `empty` at the clock reading that shows the next tick has not come.
//
// Synchronisation edges
//   (P1) relaxed compare-exchange: it only decides which receiver consumes a tick; the message
//        is computed from the value it replaced, so nothing is published through it. Its
//        modification order gives each tick exactly one winner.
//   (P2) relaxed load: a guess validated by (P1).
//
// Progress: try_recv is lock-free (a lost compare-exchange means another receiver took the
// tick); recv sleeps until the next tick or its own deadline.
#pragma once

#include "rill/detail/never_flavor.hpp"
#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/detail/timer_channel.hpp"
#include "rill/errors.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

namespace rill::detail {

// One ordering site per line, as scripts/ordering_guide.py and the mutation bank read them.
// clang-format off
namespace tick_order {
inline constexpr sync::ordering consume = sync::ordering_site("tick.consume", std::memory_order_relaxed);  // (P1)
inline constexpr sync::ordering observe = sync::ordering_site("tick.observe", std::memory_order_relaxed);  // (P2)
}  // namespace tick_order
// clang-format on

class tick_flavor : public timer_channel<tick_flavor> {
 public:
  using rep = sync::clock::duration::rep;
  static constexpr rep never = std::numeric_limits<rep>::max();

  /// `period` must be positive (checked by rill::tick); `first` is now + period, or none.
  tick_flavor(sync::clock::duration period, sync::deadline first)
      : period_(period.count()), next_(first.has_value() ? (*first).time_since_epoch().count() : never) {}
  tick_flavor(const tick_flavor&) = delete;
  tick_flavor& operator=(const tick_flavor&) = delete;

  recv_result<instant> try_recv() {
    rep next = next_.load(tick_order::observe);
    for (;;) {
      if (next == never) return std::unexpected(recv_error::empty);
      const rep now = sync::now().time_since_epoch().count();
      if (now < next) return std::unexpected(recv_error::empty);
      if (next_.compare_exchange_weak(next, rearm(next, now), tick_order::consume, tick_order::observe)) {
        return instant(sync::clock::duration(next));
      }
    }
  }

  recv_result<instant> recv(const sync::deadline& deadline) {
    for (;;) {
      if (auto message = try_recv()) return message;
      const rep next = next_.load(tick_order::observe);
      const sync::deadline due =
          next == never ? sync::deadline(std::nullopt) : sync::deadline(instant(sync::clock::duration(next)));
      if (deadline.has_value() && (!due.has_value() || *deadline < *due)) {
        sleep_until(deadline);
        if (auto message = try_recv()) return message;  // a due tick is received (R20)
        return std::unexpected(recv_error::timeout);
      }
      sleep_until(due);
    }
  }

  bool is_recv_ready() const {
    const rep next = next_.load(tick_order::observe);
    return next != never && sync::now().time_since_epoch().count() >= next;
  }
  /// The clock makes a tick due, and the select's second look reads the clock itself
  /// (select_loop.hpp); the reading covers a receive moving the schedule on.
  readiness_version readiness() const {
    return {{static_cast<std::uint64_t>(next_.load(tick_order::observe)), 0, 0, 0}, true};
  }
  /// A select waits no longer than this (select_loop.hpp): nothing wakes it when a tick is due.
  sync::deadline recv_ready_at() const {
    const rep next = next_.load(tick_order::observe);
    if (next == never) return std::nullopt;
    return instant(sync::clock::duration(next));
  }

 private:
  /// The first tick after `now` on the schedule next, next + period, ...; `never` if it cannot
  /// be represented.
  rep rearm(rep next, rep now) const {
    const rep periods = (now - next) / period_ + 1;  // now >= next here, both since the clock's epoch
    rep step = 0;
    rep following = 0;
    if (__builtin_mul_overflow(periods, period_, &step) || __builtin_add_overflow(next, step, &following) ||
        following >= never) {
      return never;
    }
    return following;
  }

  rep period_;
  sync::atomic<rep> next_;
};

}  // namespace rill::detail
