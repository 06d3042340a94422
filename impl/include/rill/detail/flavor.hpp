// rill/detail/flavor.hpp - what a channel flavor is: the interface every flavor implements, as
// C++20 concepts (the counterpart of crossbeam-channel's per-flavor Sender/Receiver and its
// SelectHandle trait).
//
// A flavor is the channel object behind the handles: array_flavor (bounded, capacity >= 1),
// list_flavor (unbounded), zero_flavor (rendezvous), never_flavor, and the timers at_flavor and
// tick_flavor. The handles (channel.hpp) and the selection (select_operation.hpp, whose two
// operation tables are the adapters from a flavor to a select, one per direction) call nothing
// else, so a new flavor is a class that satisfies one of these, checked in channel.hpp:
//
//   channel_flavor<F>     = blocking_flavor<F> && selectable_receive<F> && selectable_send<F>
//   timer_flavor<F>       = blocking_flavor<F> && selectable_receive<F>   (no sender exists; the
//                           blocking send of timer_channel.hpp reports `disconnected`)
//
// Each requirement below says what the member must do; SPEC's rules say what the user sees.
#pragma once

#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/detail/waker.hpp"
#include "rill/errors.hpp"

#include <concepts>
#include <utility>

namespace rill::detail {

/// The operations of the handles.
template <class F>
concept blocking_flavor =
    requires(F& channel, const F& viewed, typename F::message_type&& message, const sync::deadline& deadline) {
      // The type of the messages (a timer's: its clock's time_point).
      typename F::message_type;
      // Never park (R4, R7): done, or full / empty / disconnected now; a refused message comes back
      // inside the error (R9).
      { channel.try_send(std::move(message)) } -> std::same_as<send_result<typename F::message_type>>;
      { channel.try_recv() } -> std::same_as<recv_result<typename F::message_type>>;
      // Wait until done, disconnected, or the deadline (none: for ever) has passed (R3, R6, R8, R20).
      { channel.send(std::move(message), deadline) } -> std::same_as<send_result<typename F::message_type>>;
      { channel.recv(deadline) } -> std::same_as<recv_result<typename F::message_type>>;
      // Disconnection (R10-R12): whether it happened; make it happen (true for the call that did,
      // and it wakes every waiter); the last receiver's release (R11: buffered messages discarded).
      { viewed.is_disconnected() } -> std::convertible_to<bool>;
      { channel.disconnect() } -> std::convertible_to<bool>;
      channel.disconnect_receivers();
    };

/// A receive as one operation of a select (select_operation.hpp names each step of the protocol).
template <class F>
concept selectable_receive =
    requires(F& channel, waiter& entry, select_token& token, recv_result<typename F::message_type>& result) {
      // Try without blocking; true: `result` holds the message, or `disconnected`.
      { channel.select_try_recv(token, result) } -> std::same_as<bool>;
      // Register `entry` on the receivers' waker, then re-check; true: ready after all.
      { channel.select_register_recv(entry, result) } -> std::same_as<bool>;
      channel.select_unregister_recv(entry);
      // After a notifier selected `entry`: claim what it offered; false: another thread took it.
      { channel.select_accept_recv(entry, token, result) } -> std::same_as<bool>;
      // Readiness without taking anything (rill::selector::ready), as an observer that every notify
      // wakes, and the reading of the channel's state a non-blocking select compares (R30).
      { channel.is_recv_ready() } -> std::same_as<bool>;
      { channel.watch_recv(entry) } -> std::same_as<bool>;
      channel.unwatch_recv(entry);
      { channel.readiness() } -> std::same_as<readiness_version>;
    };

/// A send as one operation of a select: committed when selected, written when completed (R33).
template <class F>
concept selectable_send = requires(F& channel, waiter& entry, select_token& token, typename F::message_type&& message) {
  // Commit without blocking (claim room or a partner); true: `token` says what was committed.
  { channel.select_try_send(token) } -> std::same_as<bool>;
  { channel.select_register_send(entry) } -> std::same_as<bool>;
  channel.select_unregister_send(entry);
  { channel.select_accept_send(entry, token) } -> std::same_as<bool>;
  // Complete the committed send with its message, or give the commitment back (R34).
  { channel.select_write(token, std::move(message)) } -> std::same_as<send_result<typename F::message_type>>;
  channel.select_abandon_send(token);
  { channel.is_send_ready() } -> std::same_as<bool>;
  { channel.watch_send(entry) } -> std::same_as<bool>;
  channel.unwatch_send(entry);
};

template <class F>
concept channel_flavor = blocking_flavor<F> && selectable_receive<F> && selectable_send<F>;

template <class F>
concept timer_flavor = blocking_flavor<F> && selectable_receive<F>;

}  // namespace rill::detail
