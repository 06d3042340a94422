// rill/detail/never_flavor.hpp - rill::never<T>(): a receiver that is never ready (SPEC R42).
//
// Go's nil channel and crossbeam's `never()`: receiving from it blocks until the caller's own
// deadline (forever without one), it is never disconnected, and as a select case it never fires.
// Its use is to switch a case of a select statement off without changing the statement's shape.
// It holds no messages and has no senders; nothing in it is shared, so it has no atomics.
#pragma once

#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/errors.hpp"

#include <cstddef>
#include <optional>

namespace rill::detail {

/// Sleeps until `deadline` has passed; forever if there is none. Nothing unparks this parker:
/// it wakes only at its deadline (a spurious wake-up goes round the loop).
inline void sleep_until(const sync::deadline& deadline) {
  sync::parker parker;
  if (!deadline.has_value()) {
    for (;;) parker.park();
  }
  while (!sync::has_passed(deadline)) parker.park_until(*deadline);
}

template <class T>
class never_flavor {
 public:
  using message_type = T;

  recv_result<T> try_recv() { return std::unexpected(recv_error::empty); }
  recv_result<T> recv(const sync::deadline& deadline) {
    sleep_until(deadline);
    return std::unexpected(recv_error::timeout);
  }
  // No sender of a never channel exists; these keep the handle's dispatch uniform.
  send_result<T> try_send(T&& message) { return failed_send(send_errc::disconnected, message); }
  send_result<T> send(T&& message, const sync::deadline&) { return failed_send(send_errc::disconnected, message); }

  [[nodiscard]] bool is_disconnected() const noexcept { return false; }
  bool disconnect() noexcept { return false; }  // close() has no effect: it is never disconnected
  void disconnect_receivers() noexcept {}

  bool select_try_recv(select_token&, recv_result<T>&) { return false; }
  bool select_register_recv(waiter&, recv_result<T>&) { return false; }
  void select_unregister_recv(waiter&) {}
  bool select_accept_recv(waiter&, select_token&, recv_result<T>&) { return false; }
  bool is_recv_ready() const { return false; }
  readiness_version readiness() const { return {}; }
  bool watch_recv(waiter&) { return false; }
  void unwatch_recv(waiter&) {}
};

}  // namespace rill::detail
