// rill/detail/zero_flavor.hpp - the rendezvous channel of capacity 0 (SPEC R1, R18).
//
// Algorithm
// ---------
// There is no buffer. A sender and a receiver meet: whichever arrives first registers a waiter
// with a *packet* in its own stack frame and parks; the second selects that waiter under the
// channel's mutex and, after releasing the mutex, hands the message through the packet:
//
//   sender first:   the sender's packet points to the sender's own message (its argument); the
//                   receiver moves it straight into its result and sets `ready` (Z2). The sender
//                   returns only after it sees `ready` (Z3), so a rendezvous send completes only
//                   once a receiver has the message (R18, KB23).
//   receiver first: the receiver's packet points to the receiver's own result; the sender
//                   moves the message straight into it and sets `ready` (Z2); the receiver waits
//                   for `ready` (Z3) and returns that result.
//
// Either way the message is moved exactly once, from the sender's argument into the receiver's
// result: no copy of it is ever staged in a packet (a 1 MiB message must not cost 1 MiB of every
// waiting thread's stack, KB11). A sender whose wait ends without a receiver (timeout,
// disconnect) still owns its untouched argument and hands it back.
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
#include "rill/detail/sync/sync.hpp"
#include "rill/detail/waker.hpp"
#include "rill/errors.hpp"

#include <mutex>
#include <optional>
#include <utility>

namespace rill::detail {

namespace zero_order {
// (Z2) release: the partner is done with the packet: the message has been moved into the
//      waiting receiver's result, or out of the waiting sender's argument. Pairs with (Z3), after
//      which the waiting thread uses that object again and may leave the frame that holds it.
inline constexpr sync::ordering handoff_done = sync::ordering_site("zero.handoff_done", std::memory_order_release);  // (Z2)
// (Z3) acquire: synchronises-with (Z2); the waiting thread sees the partner's move complete.
inline constexpr sync::ordering handoff_observe = sync::ordering_site("zero.handoff_observe", std::memory_order_acquire);  // (Z3)
}  // namespace zero_order

template <class T>
class zero_flavor {
  /// The meeting point of one hand-off, in the stack frame of the thread that waits. It points
  /// to that thread's message (a waiting sender) or result (a waiting receiver); `marker` lets
  /// Relacy check that the partner's access and the owner's later use are ordered by `ready`.
  struct packet {
    T* message = nullptr;              // a waiting sender's argument
    recv_result<T>* result = nullptr;  // a waiting receiver's result
    sync::atomic<bool> ready{false};
    sync::race_marker marker;

    void wait_ready() {
      sync::backoff backoff;
      while (!ready.load(zero_order::handoff_observe)) backoff.snooze();
      marker.mark_write();  // the owner uses its message or result again from here on
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
    return failed_send(disconnected_.load() ? send_errc::disconnected : send_errc::full, message);
  }

  send_result<T> send(T&& message, const sync::deadline& deadline) {
    std::unique_lock lock(mutex_);
    if (waiter* receiver = receivers_.try_select(); receiver != nullptr) {
      auto* target = static_cast<packet*>(receiver->packet);
      lock.unlock();
      return hand_to(*target, std::move(message));
    }
    if (disconnected_.load()) return failed_send(send_errc::disconnected, message);
    if (sync::has_passed(deadline)) return failed_send(send_errc::timeout, message);

    // Wait, offering our own message through the packet, until a receiver takes it.
    packet offer;
    offer.message = &message;
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
      return failed_send(outcome == selection_aborted ? send_errc::timeout : send_errc::disconnected, message);
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
    return wait_for_sender(lock, deadline);
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
  /// Parks with a packet pointing to `result` until a sender fills it, the deadline passes or
  /// the channel is disconnected. One return statement, so that `result` is the caller's own
  /// result object (named return value optimisation) and the message is moved only once.
  recv_result<T> wait_for_sender(std::unique_lock<sync::mutex>& lock, const sync::deadline& deadline) {
    recv_result<T> result(std::unexpect, recv_error::empty);  // replaced by the sender's message
    packet request;
    request.result = &result;
    context waiting;
    waiter entry(waiting, &request);
    receivers_.register_waiter(entry);
    lock.unlock();

    const selection outcome = waiting.wait_until(deadline);
    if (outcome == selection_aborted || outcome == selection_disconnected) {
      // Our own abort (or the disconnect) won the selection: no sender will touch the packet.
      lock.lock();
      receivers_.unregister(entry);
      lock.unlock();
      result = std::unexpected(outcome == selection_aborted ? recv_error::timeout : recv_error::disconnected);
    } else {
      // Selected by a sender: it moves the message into `result`, then sets ready.
      request.wait_ready();
    }
    return result;
  }

  send_result<T> hand_to(packet& target, T&& message) {
    target.marker.mark_write();
    target.result->emplace(std::move(message));
    target.ready.store(true, zero_order::handoff_done);
    return {};
  }

  recv_result<T> take_from(packet& source) {
    source.marker.mark_write();
    recv_result<T> result(std::in_place, std::move(*source.message));
    source.ready.store(true, zero_order::handoff_done);
    return result;
  }

  mutable sync::mutex mutex_;
  waker senders_;
  waker receivers_;
  sync::plain<bool> disconnected_{false};  // guarded by mutex_
};

}  // namespace rill::detail
