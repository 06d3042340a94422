// rill/detail/message_cell.hpp - uninitialised storage for one message in a channel slot.
//
// A slot holds a message only between the send that writes it and the receive that takes it, so
// the storage is raw bytes and the message's lifetime is managed by hand. Every access is marked
// for the model checker (sync::race_marker): a take that is not ordered after the write that
// filled the cell is reported by Relacy as a data race. In production the marker is empty.
//
// The message type's requirements (SPEC R23) are checked once, in rill/channel.hpp.
#pragma once

#include "rill/detail/sync/sync.hpp"
#include "rill/errors.hpp"

#include <memory>
#include <new>
#include <utility>

namespace rill::detail {

template <class T>
class message_cell {
 public:
  message_cell() = default;
  message_cell(const message_cell&) = delete;
  message_cell& operator=(const message_cell&) = delete;

  /// Moves `message` into the empty cell.
  void write(T&& message, sync::site where = sync::site::current()) noexcept {
    marker_.mark_write(where);
    ::new (static_cast<void*>(storage_)) T(std::move(message));
  }

  /// Moves the message out into a receive result built in place, leaving the cell empty. The
  /// message is moved once, from the cell into the result the caller returns (no copy of it is
  /// staged on the stack: KB11).
  recv_result<T> take_result(sync::site where = sync::site::current()) noexcept {
    marker_.mark_write(where);
    T& stored = *std::launder(reinterpret_cast<T*>(storage_));
    recv_result<T> result(std::in_place, std::move(stored));
    stored.~T();  // NOLINT(bugprone-use-after-move): ends the moved-from object's life
    return result;
  }

  /// Destroys the message in place (a discarded message), leaving the cell empty.
  void destroy(sync::site where = sync::site::current()) noexcept {
    marker_.mark_write(where);
    std::launder(reinterpret_cast<T*>(storage_))->~T();
  }

 private:
  alignas(T) unsigned char storage_[sizeof(T)];
  // Empty in production, and then it takes no room: a cell is exactly the size of a message, so
  // an array slot is a stamp and a message, and a list slot a state word and a message.
  [[no_unique_address]] sync::race_marker marker_;
};

}  // namespace rill::detail
