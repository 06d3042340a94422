// rill/errors.hpp - what a failed channel operation reports (SPEC R3-R9, R22).
//
// Failures are values, not exceptions: every operation returns std::expected. A failed send
// hands the unsent message back inside the error (R9), so nothing is lost; a failed receive says
// why. Exceptions are kept for misuse the type system cannot prevent: an operation on an empty
// (moved-from or reset) handle (R22), and an absurd capacity (R2).
#pragma once

#include <concepts>
#include <cstdint>
#include <expected>
#include <stdexcept>
#include <string>
#include <string_view>

namespace rill {

/// Why a send failed.
enum class send_errc : std::uint8_t {
  full,           ///< try_send: no room (rendezvous: no receiver waiting).
  timeout,        ///< send_for / send_until: the deadline passed first.
  disconnected,   ///< every receiver is gone, or the channel was closed.
  out_of_memory,  ///< unbounded channel: a block for the message could not be allocated (R24).
  cancelled,      ///< an async send cancelled before any receiver or slot took it (R50).
};

/// Why a receive failed.
enum class recv_error : std::uint8_t {
  empty,         ///< try_recv: nothing to receive now.
  timeout,       ///< recv_for / recv_until: the deadline passed first.
  disconnected,  ///< nothing buffered, and every sender is gone or the channel was closed.
  cancelled,     ///< an async receive cancelled before any message was given to it (R50).
};

/// A failed send: the reason and the message that was not sent, unchanged.
template <class T>
struct send_error {
  send_errc reason;
  T message;

  // crossbeam's predicates (TrySendError::is_full and friends).
  [[nodiscard]] constexpr bool is_full() const noexcept { return reason == send_errc::full; }
  [[nodiscard]] constexpr bool is_timeout() const noexcept { return reason == send_errc::timeout; }
  [[nodiscard]] constexpr bool is_disconnected() const noexcept { return reason == send_errc::disconnected; }

  /// Equal reasons and equal messages, when messages compare: so that a test can write
  /// `EXPECT_EQ(tx.try_send(2), std::unexpected(rill::send_error<int>{rill::send_errc::full, 2}))`,
  /// as Rust's `assert_eq!(s.try_send(2), Err(TrySendError::Full(2)))`.
  friend constexpr bool operator==(const send_error& left, const send_error& right)
    requires std::equality_comparable<T>
  {
    return left.reason == right.reason && left.message == right.message;
  }
};

/// The result of a send: nothing on success, the message back on failure.
template <class T>
using send_result = std::expected<void, send_error<T>>;

/// The result of a receive: the message, or why there is none.
template <class T>
using recv_result = std::expected<T, recv_error>;

namespace detail {

/// A failed send, built directly in the caller's result: the message is moved once, from the
/// caller's argument into the error. (`std::unexpected(send_error<T>{reason, std::move(m)})`
/// would stage two more whole messages in the frame, which for a 1 MiB message is KB11.)
template <class T>
send_result<T> failed_send(send_errc reason, T& message) noexcept {
  return send_result<T>(std::unexpect, reason, std::move(message));
}

}  // namespace detail

constexpr std::string_view to_string(send_errc reason) noexcept {
  switch (reason) {
    case send_errc::full: return "full";
    case send_errc::timeout: return "timeout";
    case send_errc::disconnected: return "disconnected";
    case send_errc::out_of_memory: return "out_of_memory";
    case send_errc::cancelled: return "cancelled";
  }
  return "unknown";
}

constexpr std::string_view to_string(recv_error reason) noexcept {
  switch (reason) {
    case recv_error::empty: return "empty";
    case recv_error::timeout: return "timeout";
    case recv_error::disconnected: return "disconnected";
    case recv_error::cancelled: return "cancelled";
  }
  return "unknown";
}

/// Thrown by every operation on an empty handle other than valid() and operator bool (R22).
class empty_handle_error : public std::logic_error {
 public:
  explicit empty_handle_error(std::string_view operation)
      : std::logic_error("rill: " + std::string(operation) +
                         " called on an empty handle (moved-from or reset); it refers to no channel") {}
};

}  // namespace rill
