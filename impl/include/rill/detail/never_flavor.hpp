// rill/detail/never_flavor.hpp - rill::never<T>() and rill::never_sender<T>(): handles that are
// never ready (SPEC R42).
//
// Go's nil channel and crossbeam's `never()`: receiving from it, or sending to it, blocks until
// the caller's own deadline (forever without one); it is never disconnected; as a select case it
// never fires. Its use is to switch a case of a select statement off without changing the
// statement's shape (Go code sets a channel variable to nil for that). A never channel has one
// side only: never<T>() makes a receiver and no sender, never_sender<T>() a sender and no
// receiver. It holds no messages; nothing in it is shared, so it has no atomics.
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
  // never_sender<T>(): a send is never possible, and the channel never disconnects, so try_send
  // reports `full` and a blocking send waits for its deadline, handing the message back.
  send_result<T> try_send(T&& message) { return failed_send(send_errc::full, message); }
  send_result<T> send(T&& message, const sync::deadline& deadline) {
    sleep_until(deadline);
    return failed_send(send_errc::timeout, message);
  }

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

  bool select_try_send(select_token&) { return false; }
  bool select_register_send(waiter&) { return false; }
  void select_unregister_send(waiter&) {}
  bool select_accept_send(waiter&, select_token&) { return false; }
  send_result<T> select_write(select_token&, T&& message) {  // never selected, so never completed
    return failed_send(send_errc::disconnected, message);
  }
  void select_abandon_send(select_token&) {}
  bool is_send_ready() const { return false; }
  bool watch_send(waiter&) { return false; }
  void unwatch_send(waiter&) {}
};

}  // namespace rill::detail
