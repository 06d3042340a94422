// rill/detail/at_flavor.hpp - rill::after(d) and rill::at(t): one message at a given time (SPEC R40).
//
// Design
// ------
// The channel holds no buffer: its one message is the delivery time itself, which is known from
// the start, so the only shared state is whether some receiver has taken it. Before the delivery
// time the channel is empty; from then on it holds one message until a receiver takes it; after
// that it is empty forever and never disconnected (as crossbeam-channel's `after`). Receivers of
// copies of the handle compete for the one message.
//
// A delivery time too far away to represent (after(hours::max())) never arrives (R20): the
// channel then behaves as never<T>().
//
// Linearisation points: a receive succeeds at the exchange of `received_` (T1); it sees `empty`
// at the clock reading that shows the time has not come, or at the load of `received_`.
//
// Synchronisation edges
//   (T1) relaxed exchange: it only decides which receiver gets the message. The message is the
//        constant delivery time, written before any handle existed (handing the handle to
//        another thread publishes it), so nothing is published through this flag; an exchange
//        of any ordering still has exactly one winner (the flag's modification order).
//   (T2) relaxed load: a hint only; a receiver that reads a stale `false` goes on to (T1).
//
// Progress: try_recv is wait-free; recv sleeps until the delivery time or its own deadline.
#pragma once

#include "rill/detail/never_flavor.hpp"
#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/detail/timer_channel.hpp"
#include "rill/errors.hpp"

#include <cstddef>
#include <optional>

namespace rill::detail {

// One ordering site per line, as scripts/ordering_guide.py and the mutation bank read them.
// clang-format off
namespace at_order {
inline constexpr sync::ordering take = sync::ordering_site("at.take", std::memory_order_relaxed);    // (T1)
inline constexpr sync::ordering taken = sync::ordering_site("at.taken", std::memory_order_relaxed);  // (T2)
}  // namespace at_order
// clang-format on

class at_flavor : public timer_channel<at_flavor> {
 public:
  explicit at_flavor(sync::deadline delivery) : delivery_(delivery) {}
  at_flavor(const at_flavor&) = delete;
  at_flavor& operator=(const at_flavor&) = delete;

  recv_result<instant> try_recv() {
    if (!is_recv_ready() || received_.exchange(true, at_order::take)) return std::unexpected(recv_error::empty);
    return *delivery_;
  }

  recv_result<instant> recv(const sync::deadline& deadline) {
    for (;;) {
      if (received_.load(at_order::taken) || !delivery_.has_value()) {
        sleep_until(deadline);  // the message is gone (or never comes): only the deadline ends this
        return std::unexpected(recv_error::timeout);
      }
      if (sync::has_passed(delivery_)) {
        if (!received_.exchange(true, at_order::take)) return *delivery_;
        continue;  // another receiver took it
      }
      if (deadline.has_value() && *deadline < *delivery_) {
        sleep_until(deadline);
        if (!sync::has_passed(delivery_)) return std::unexpected(recv_error::timeout);
        continue;  // both passed: the message is due, and a due message is received (R20)
      }
      sleep_until(delivery_);
    }
  }

  bool is_recv_ready() const { return !received_.load(at_order::taken) && sync::has_passed(delivery_); }
  /// Only the clock makes a timer ready, and the select's second look reads the clock itself
  /// (select_loop.hpp); the reading covers the taking.
  readiness_version readiness() const { return {{received_.load(at_order::taken) ? 1u : 0u, 0, 0, 0}, true}; }
  /// A select waits no longer than this (select_loop.hpp): nothing wakes it when the time comes.
  sync::deadline recv_ready_at() const {
    if (received_.load(at_order::taken)) return std::nullopt;
    return delivery_;
  }

 private:
  sync::deadline delivery_;
  sync::atomic<bool> received_{false};
};

}  // namespace rill::detail
