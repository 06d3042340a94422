// rill/detail/zero_flavor.hpp - the rendezvous channel of capacity 0 (SPEC R1, R18).
//
// Algorithm
// ---------
// There is no buffer. A sender and a receiver meet: whichever arrives first registers a waiter
// with a *packet* in its own stack frame and parks; the second selects that waiter under the
// channel's mutex and, after releasing the mutex, hands the message through the packet:
//
//   sender first:   the sender's packet holds the message; the receiver moves it out and sets
//                   `ready` (Z2). The sender returns only after it sees `ready` (Z3), so a
//                   rendezvous send completes only once a receiver has the message (R18, KB23).
//   receiver first: the receiver's packet is empty; the sender moves the message in and sets
//                   `ready` (Z2); the receiver waits for `ready` (Z3) and takes it.
//
// The mutex protects both wakers and the disconnected flag; the packet is touched outside it,
// by exactly two threads, ordered by `ready`. A thread never pairs with itself (waker.hpp).
//
// Linearisation points
// --------------------
//   send / recv succeed       the selection of the partner's context under the mutex (C1)
//   try_send sees full        the mutex-protected check that no receiver of another thread waits
//   try_recv sees empty       the same check for senders
//   disconnected              the flag, read under the mutex
//
// Progress
// --------
// try_send / try_recv take the channel mutex (blocking on it only for the few instructions of
// another operation's critical section) and never park. After a successful selection, the
// selected side waits (spinning, then yielding) for its partner to set `ready`: a bounded number
// of the partner's instructions, the message move included.
//
// Synchronisation edges
//   (Z2) release: the packet's message (written or moved out) and everything before it are
//        published to the partner's acquire (Z3).
//   (Z3) acquire: synchronises-with (Z2).
// Everything else is ordered by the mutex. Model-checking scenarios: verify/relacy/ (zero_*).
#pragma once

#include "rill/detail/context.hpp"
#include "rill/detail/message_cell.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/detail/waker.hpp"
#include "rill/errors.hpp"

#include <mutex>
#include <optional>
#include <utility>

namespace rill::detail {

namespace zero_order {
// (Z2) release: see the design note.
inline constexpr sync::ordering handoff_done = sync::ordering_site("zero.handoff_done", std::memory_order_release);  // (Z2)
// (Z3) acquire: synchronises-with (Z2).
inline constexpr sync::ordering handoff_observe = sync::ordering_site("zero.handoff_observe", std::memory_order_acquire);  // (Z3)
}  // namespace zero_order

template <class T>
class zero_flavor {
  /// The meeting point of one hand-off, in the stack frame of the thread that waits.
  struct packet {
    message_cell<T> message;
    sync::atomic<bool> ready{false};

    void wait_ready() {
      sync::backoff backoff;
      while (!ready.load(zero_order::handoff_observe)) backoff.snooze();
    }
  };

 public:
  zero_flavor() = default;
  zero_flavor(const zero_flavor&) = delete;
  zero_flavor& operator=(const zero_flavor&) = delete;

  send_result<T> try_send(T&& message) {
    std::unique_lock lock(mutex_);
    if (waiter* receiver = receivers_.try_select(); receiver != nullptr) {
      auto* target = static_cast<packet*>(receiver->packet);
      lock.unlock();
      return hand_to(*target, std::move(message));
    }
    const send_errc reason = disconnected_.load() ? send_errc::disconnected : send_errc::full;
    return std::unexpected(send_error<T>{reason, std::move(message)});
  }

  send_result<T> send(T&& message, const sync::deadline& deadline) {
    std::unique_lock lock(mutex_);
    if (waiter* receiver = receivers_.try_select(); receiver != nullptr) {
      auto* target = static_cast<packet*>(receiver->packet);
      lock.unlock();
      return hand_to(*target, std::move(message));
    }
    if (disconnected_.load()) return std::unexpected(send_error<T>{send_errc::disconnected, std::move(message)});
    if (sync::has_passed(deadline)) return std::unexpected(send_error<T>{send_errc::timeout, std::move(message)});

    // Wait with the message in our packet until a receiver takes it.
    packet offer;
    offer.message.write(std::move(message));
    context waiting;
    waiter entry(waiting, &offer);
    senders_.register_waiter(entry);
    lock.unlock();

    const selection outcome = waiting.wait_until(deadline);
    if (outcome == selection_aborted || outcome == selection_disconnected) {
      // Our own abort (or the disconnect) won the selection, so no receiver will touch the
      // packet; unregistering under the mutex also waits out a notifier still unparking us.
      lock.lock();
      senders_.unregister(entry);
      lock.unlock();
      const send_errc reason = outcome == selection_aborted ? send_errc::timeout : send_errc::disconnected;
      return std::unexpected(send_error<T>{reason, offer.message.take()});
    }
    // Selected by a receiver. It unparked us inside the mutex, released the mutex, moved the
    // message out, and only then set ready (Z2): after (Z3) it touches neither our packet nor
    // our context, so both may leave scope.
    offer.wait_ready();
    return {};
  }

  recv_result<T> try_recv() {
    std::unique_lock lock(mutex_);
    if (waiter* sender = senders_.try_select(); sender != nullptr) {
      auto* source = static_cast<packet*>(sender->packet);
      lock.unlock();
      return take_from(*source);
    }
    return std::unexpected(disconnected_.load() ? recv_error::disconnected : recv_error::empty);
  }

  recv_result<T> recv(const sync::deadline& deadline) {
    std::unique_lock lock(mutex_);
    if (waiter* sender = senders_.try_select(); sender != nullptr) {
      auto* source = static_cast<packet*>(sender->packet);
      lock.unlock();
      return take_from(*source);
    }
    if (disconnected_.load()) return std::unexpected(recv_error::disconnected);
    if (sync::has_passed(deadline)) return std::unexpected(recv_error::timeout);

    packet request;
    context waiting;
    waiter entry(waiting, &request);
    receivers_.register_waiter(entry);
    lock.unlock();

    const selection outcome = waiting.wait_until(deadline);
    if (outcome == selection_aborted || outcome == selection_disconnected) {
      lock.lock();
      receivers_.unregister(entry);
      lock.unlock();
      return std::unexpected(outcome == selection_aborted ? recv_error::timeout : recv_error::disconnected);
    }
    // Selected by a sender: it moves the message in, then sets ready.
    request.wait_ready();
    return request.message.take();
  }

  [[nodiscard]] bool is_disconnected() const {
    std::lock_guard lock(mutex_);
    return disconnected_.load();
  }

  /// Marks the channel disconnected and wakes everyone. True if this call did it.
  bool disconnect() {
    std::lock_guard lock(mutex_);
    if (disconnected_.load()) return false;
    disconnected_.store(true);
    senders_.disconnect();
    receivers_.disconnect();
    return true;
  }

  /// Nothing is ever buffered in a rendezvous channel: a waiting sender keeps its own message
  /// and gets it back with `disconnected`.
  void disconnect_receivers() { disconnect(); }

 private:
  send_result<T> hand_to(packet& target, T&& message) {
    target.message.write(std::move(message));
    target.ready.store(true, zero_order::handoff_done);
    return {};
  }

  recv_result<T> take_from(packet& source) {
    T message = source.message.take();
    source.ready.store(true, zero_order::handoff_done);
    return message;
  }

  mutable sync::mutex mutex_;
  waker senders_;
  waker receivers_;
  sync::plain<bool> disconnected_{false};  // guarded by mutex_
};

}  // namespace rill::detail
