// rill/detail/timer_channel.hpp - what the timer flavors (at_flavor.hpp, tick_flavor.hpp) share.
//
// A timer channel's state is only "when is the next message due, and has it been taken"; each
// timer answers that with its own try_recv(), is_recv_ready() and recv_ready_at(). Everything
// else a flavor must offer follows from those three, the same way for every timer, and lives
// here (SPEC R43): the queries (one message at most, due or not), no senders and no
// disconnection, and the select hooks. A timer never registers a waiter: nothing would wake
// it, so a select bounds its wait by recv_ready_at() instead (select_loop.hpp).
#pragma once

#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/errors.hpp"

#include <cstddef>
#include <memory>

namespace rill::detail {

template <class Timer>
class timer_channel {
 public:
  using message_type = sync::clock::time_point;
  using instant = sync::clock::time_point;

  // No sender of a timer exists; these keep the handle's dispatch uniform.
  send_result<instant> try_send(instant&& message) { return failed_send(send_errc::disconnected, message); }
  send_result<instant> send(instant&& message, const sync::deadline&) {
    return failed_send(send_errc::disconnected, message);
  }

  [[nodiscard]] std::size_t size() const { return timer().is_recv_ready() ? 1 : 0; }
  [[nodiscard]] bool is_empty() const { return !timer().is_recv_ready(); }
  [[nodiscard]] bool is_full() const { return timer().is_recv_ready(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return 1; }
  [[nodiscard]] bool is_disconnected() const noexcept { return false; }
  bool disconnect() noexcept { return false; }  // close() has no effect on a timer
  void disconnect_receivers() noexcept {}

  bool select_try_recv(select_token&, recv_result<instant>& result) {
    recv_result<instant> message = timer().try_recv();
    if (!message) return false;
    std::destroy_at(&result);
    std::construct_at(&result, message);
    return true;
  }
  bool select_register_recv(waiter&, recv_result<instant>&) { return timer().is_recv_ready(); }
  void select_unregister_recv(waiter&) {}
  bool select_accept_recv(waiter&, select_token&, recv_result<instant>&) { return false; }
  bool watch_recv(waiter&) { return timer().is_recv_ready(); }
  void unwatch_recv(waiter&) {}

 private:
  // Only the timer that derives from it makes one, so that timer() casts to what *this is.
  timer_channel() = default;
  friend Timer;

  Timer& timer() { return static_cast<Timer&>(*this); }
  const Timer& timer() const { return static_cast<const Timer&>(*this); }
};

}  // namespace rill::detail
