// rill/detail/select_binding.hpp - from a channel handle to a select operation, and back.
//
// A handle refers to one of several flavors (channel.hpp); a select sees operations through
// untyped tables (select_operation.hpp). Binding looks at the handle's flavor once, when the
// operation is added, and fills in the operation's table, channel and identity. Completing a
// selected send needs the message type again, so it dispatches on the handle the user passes,
// after checking that it refers to the selected operation's channel: any handle of that
// channel will do, a copy included (crossbeam #1096, KB9).
#pragma once

#include "rill/channel.hpp"
#include "rill/detail/select_operation.hpp"

#include <stdexcept>
#include <string>
#include <type_traits>

namespace rill::mpsc {
template <class T>
class sender;
template <class T>
class receiver;
namespace detail {
template <class T>
struct mpsc_access;
}  // namespace detail
}  // namespace rill::mpsc

namespace rill::detail {

/// The handles a selection accepts, and the rill handle behind each: rill's own, and the Rust-
/// shaped handles of rill::mpsc (rill/mpsc.hpp), which wrap one. `get` returns a reference to the
/// rill handle inside the one given; the selection refers to it, as it would to the handle itself.
template <class Handle>
struct select_handle {
  static constexpr bool is_receiver = false, is_sender = false;
};
template <class T>
struct select_handle<receiver<T>> {
  static constexpr bool is_receiver = true, is_sender = false;
  using message = T;
  // NOLINTNEXTLINE(bugprone-return-const-ref-from-parameter): the caller's handle, used within its full-expression
  static const receiver<T>& get(const receiver<T>& handle) noexcept { return handle; }
};
template <class T>
struct select_handle<sender<T>> {
  static constexpr bool is_receiver = false, is_sender = true;
  using message = T;
  // NOLINTNEXTLINE(bugprone-return-const-ref-from-parameter): the caller's handle, used within its full-expression
  static const sender<T>& get(const sender<T>& handle) noexcept { return handle; }
};
template <class T>
struct select_handle<mpsc::receiver<T>> {
  static constexpr bool is_receiver = true, is_sender = false;
  using message = T;
  static const receiver<T>& get(const mpsc::receiver<T>& handle) noexcept {
    return mpsc::detail::mpsc_access<T>::inner(handle);
  }
};
template <class T>
struct select_handle<mpsc::sender<T>> {
  static constexpr bool is_receiver = false, is_sender = true;
  using message = T;
  static const sender<T>& get(const mpsc::sender<T>& handle) noexcept {
    return mpsc::detail::mpsc_access<T>::inner(handle);
  }
};

/// The rill handle behind `handle` (a rill or rill::mpsc receiver or sender).
template <class Handle>
decltype(auto) rill_handle(const Handle& handle) noexcept {
  return select_handle<Handle>::get(handle);
}

template <class T>
void bind_receive(operation& op, const receiver<T>& source, recv_result<T>& result, const char* caller) {
  dispatch<T>(channel_access<T>::ref_of(source), caller, [&](auto& state) {
    using flavor = std::remove_reference_t<decltype(state.channel())>;
    op.table = &flavor_operations<flavor>::receive;
    op.channel = &state.channel();
    op.identity = &state;
  });
  op.result = &result;
  op.removed = false;
}

template <class T>
void bind_send(operation& op, const sender<T>& target, const char* caller) {
  dispatch<T>(channel_access<T>::ref_of(target), caller, [&](auto& state) {
    using flavor = std::remove_reference_t<decltype(state.channel())>;
    if constexpr (requires(flavor& channel, select_token& token) { channel.select_try_send(token); }) {
      op.table = &flavor_operations<flavor>::send;
      op.channel = &state.channel();
      op.identity = &state;
    } else {
      throw std::logic_error("rill: a sender refers to a receive-only channel");  // unreachable
    }
  });
  op.result = nullptr;
  op.removed = false;
}

/// Finishes the selected send `op` with `message`, through `target`'s channel.
template <class T>
send_result<T> complete_send(operation& op, const sender<T>& target, std::type_identity_t<T>&& message) {
  return dispatch<T>(channel_access<T>::ref_of(target), "send", [&](auto& state) -> send_result<T> {
    using flavor = std::remove_reference_t<decltype(state.channel())>;
    if constexpr (requires(flavor& channel, select_token& token) { channel.select_write(token, std::move(message)); }) {
      return state.channel().select_write(op.token, std::move(message));
    } else {
      throw std::logic_error("rill: a sender refers to a receive-only channel");  // unreachable
    }
  });
}

}  // namespace rill::detail
