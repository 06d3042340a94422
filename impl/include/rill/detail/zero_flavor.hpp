// rill/detail/zero_flavor.hpp - the rendezvous channel of capacity 0 (SPEC R1, R18).
//
// Algorithm
// ---------
// There is no buffer. A sender and a receiver meet: whichever arrives first registers a waiter
// with a *packet* (handoff_packet.hpp) in its own stack frame and parks; the second selects that
// waiter under the channel's mutex and, after releasing the mutex, hands the message through the
// packet:
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
// Select (SPEC R30-R39) adds two kinds of participant:
//   select receiver  its packet points to the operation's result storage; it is filled like a
//                    plain receiver's result. A select receiver that finds a waiting plain
//                    sender takes the message at once (receives are completed eagerly).
//   select sender    its message does not exist until the user completes the selected
//                    operation. A receiver that pairs with a waiting select sender stores the
//                    address of a packet of its own in the sender's packet (under the mutex)
//                    and waits on its own packet; a select sender that picks a waiting receiver
//                    keeps that receiver's packet in its token. Either way the message is moved
//                    straight into the receiver's result when the operation is completed; an
//                    abandoned operation marks the packet `declined` and the receiver waits for
//                    another sender, its deadline unchanged (SPEC R34).
// Two selects, one sending and one receiving, pair rather than deadlock (KB24): registration and
// the readiness re-check happen under one mutex, so the second to register sees the first and
// retries its try phase, which selects the first.
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
//   (Z2)/(Z3) the packet's state (handoff_packet.hpp): the hand-off is complete, or declined.
// Everything else is ordered by the mutex. Model-checking scenarios: verify/relacy/ (zero_*).
#pragma once

#include "rill/detail/context.hpp"
#include "rill/detail/handoff_packet.hpp"
#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/detail/waker.hpp"
#include "rill/errors.hpp"

#include <mutex>
#include <optional>
#include <utility>

namespace rill::detail {

template <class T>
class zero_flavor {
 public:
  using message_type = T;

  zero_flavor() = default;
  zero_flavor(const zero_flavor&) = delete;
  zero_flavor& operator=(const zero_flavor&) = delete;

  send_result<T> try_send(T&& message) {
    std::unique_lock lock(mutex_);
    if (waiter* receiver = receivers_.try_select(); receiver != nullptr) {
      handoff_packet& target = *receiver->packet;
      lock.unlock();
      hand_to(target, message);
      return {};
    }
    return failed_send(disconnected_.load() ? send_errc::disconnected : send_errc::full, message);
  }

  send_result<T> send(T&& message, const sync::deadline& deadline) {
    std::unique_lock lock(mutex_);
    if (waiter* receiver = receivers_.try_select(); receiver != nullptr) {
      handoff_packet& target = *receiver->packet;
      lock.unlock();
      hand_to(target, message);
      return {};
    }
    if (disconnected_.load()) return failed_send(send_errc::disconnected, message);
    if (sync::has_passed(deadline)) return failed_send(send_errc::timeout, message);

    // Wait, offering our own message through the packet, until a receiver takes it.
    handoff_packet offer;
    offer.reset(&message, nullptr);
    context waiting;
    waiter entry(waiting, &offer);
    senders_.register_waiter(entry);
    receivers_.notify_observers();
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
    // message out, and only then finished the packet (Z2): after (Z3) it touches neither our
    // packet nor our context, so both may leave scope. Receivers take a waiting sender's message
    // at once (select receivers too), so this packet is never declined.
    offer.wait();
    return {};
  }

  recv_result<T> try_recv() {
    recv_result<T> result(std::unexpect, recv_error::empty);
    std::unique_lock lock(mutex_);
    if (waiter* sender = senders_.try_select(); sender != nullptr) {
      if (take_from(*sender->packet, lock, result)) return result;
      // A select sender gave the pairing up: nothing else was waiting when we looked.
      result = std::unexpected(recv_error::empty);
      return result;
    }
    if (disconnected_.load()) result = std::unexpected(recv_error::disconnected);
    return result;
  }

  recv_result<T> recv(const sync::deadline& deadline) {
    // One result object, returned by name (named return value optimisation): the message is
    // moved once, from the sender's argument into the caller's result.
    recv_result<T> result(std::unexpect, recv_error::empty);
    receive_into(result, deadline);
    return result;
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

  // --- select (select_operation.hpp) -------------------------------------------------------

  bool select_try_send(select_token& token) {
    std::lock_guard lock(mutex_);
    if (waiter* receiver = receivers_.try_select(); receiver != nullptr) {
      token.pointer = receiver->packet;  // finished by complete_send or abandon_send
      return true;
    }
    token.disconnected = disconnected_.load();
    return token.disconnected;
  }

  bool select_register_send(waiter& entry) {
    std::lock_guard lock(mutex_);
    entry.packet->reset(nullptr, nullptr);  // the message comes with completion
    senders_.register_waiter(entry);
    receivers_.notify_observers();
    return disconnected_.load() || receivers_.has_other_thread();
  }

  void select_unregister_send(waiter& entry) {
    std::lock_guard lock(mutex_);
    senders_.unregister(entry);
  }

  /// A receiver selected our waiting select sender and stored the address of its own packet in
  /// ours while it held the mutex; the select has since unregistered (taking the mutex), so that
  /// address is visible here.
  bool select_accept_send(waiter& entry, select_token& token) {
    token.pointer = entry.packet->partner;
    return true;
  }

  send_result<T> select_write(select_token& token, T&& message) {
    if (token.disconnected) return failed_send(send_errc::disconnected, message);
    hand_to(*static_cast<handoff_packet*>(token.pointer), message);
    return {};
  }

  void select_abandon_send(select_token& token) {
    if (!token.disconnected) static_cast<handoff_packet*>(token.pointer)->finish(handoff_packet::declined);
  }

  bool select_try_recv(select_token&, recv_result<T>& result) {
    std::unique_lock lock(mutex_);
    if (waiter* sender = senders_.try_select(); sender != nullptr) return take_from(*sender->packet, lock, result);
    if (!disconnected_.load()) return false;
    result = std::unexpected(recv_error::disconnected);
    return true;
  }

  bool select_register_recv(waiter& entry, recv_result<T>& result) {
    std::lock_guard lock(mutex_);
    entry.packet->reset(nullptr, &result);
    receivers_.register_waiter(entry);
    senders_.notify_observers();
    return disconnected_.load() || senders_.has_other_thread();
  }

  void select_unregister_recv(waiter& entry) {
    std::lock_guard lock(mutex_);
    receivers_.unregister(entry);
  }

  /// A sender selected our waiting select receiver: wait until it has moved the message into
  /// the result (or, if it is a select sender whose operation was abandoned, declined).
  bool select_accept_recv(waiter& entry, select_token&, recv_result<T>&) { return entry.packet->wait(); }

  /// Readiness changes only under the mutex: a waiter registers (each side's count) or the
  /// channel is disconnected. (A waiter chosen by another channel stops counting as ready without
  /// a change here; only the opposite direction must show.)
  readiness_version readiness() const {
    std::lock_guard lock(mutex_);
    return {{senders_.registrations(), receivers_.registrations(), disconnected_.load() ? 1u : 0u, 0}, true};
  }

  bool is_send_ready() {
    std::lock_guard lock(mutex_);
    return disconnected_.load() || receivers_.has_other_thread();
  }
  bool is_recv_ready() {
    std::lock_guard lock(mutex_);
    return disconnected_.load() || senders_.has_other_thread();
  }

  // Readiness observers: a send becomes possible when a receiver starts waiting, and every
  // receiver that registers notifies the observers kept in `senders_` (and vice versa).
  bool watch_send(waiter& entry) {
    std::lock_guard lock(mutex_);
    senders_.register_observer(entry);
    return disconnected_.load() || receivers_.has_other_thread();
  }
  void unwatch_send(waiter& entry) { select_unregister_send(entry); }
  bool watch_recv(waiter& entry) {
    std::lock_guard lock(mutex_);
    receivers_.register_observer(entry);
    return disconnected_.load() || senders_.has_other_thread();
  }
  void unwatch_recv(waiter& entry) { select_unregister_recv(entry); }

 private:
  void receive_into(recv_result<T>& result, const sync::deadline& deadline) {
    for (;;) {
      std::unique_lock lock(mutex_);
      if (waiter* sender = senders_.try_select(); sender != nullptr) {
        if (take_from(*sender->packet, lock, result)) return;
        continue;  // a select sender gave the pairing up (R34): look again
      }
      if (disconnected_.load()) {
        result = std::unexpected(recv_error::disconnected);
        return;
      }
      if (sync::has_passed(deadline)) {
        result = std::unexpected(recv_error::timeout);
        return;
      }

      // Park with a packet pointing to `result` until a sender fills it, the deadline passes or
      // the channel is disconnected.
      handoff_packet request;
      request.reset(nullptr, &result);
      context waiting;
      waiter entry(waiting, &request);
      receivers_.register_waiter(entry);
      senders_.notify_observers();
      lock.unlock();

      const selection outcome = waiting.wait_until(deadline);
      if (outcome == selection_aborted || outcome == selection_disconnected) {
        // Our own abort (or the disconnect) won the selection: no sender will touch the packet.
        lock.lock();
        receivers_.unregister(entry);
        lock.unlock();
        result = std::unexpected(outcome == selection_aborted ? recv_error::timeout : recv_error::disconnected);
        return;
      }
      // Selected by a sender: it moves the message into `result`, then finishes the packet. A
      // select sender whose user abandoned the operation declines instead: wait again.
      if (request.wait()) return;
    }
  }

  /// The sender's half of a hand-off to the receiver waiting on `target`.
  void hand_to(handoff_packet& target, T& message) {
    target.marker.mark_write();
    static_cast<recv_result<T>*>(target.result)->emplace(std::move(message));
    target.finish(handoff_packet::done);
  }

  /// The receiver's half of a hand-off from the sender waiting on `source`, whose waiter this
  /// thread has just selected under `lock`. A plain sender's message is taken at once; a select
  /// sender is told (while the lock is still held) about a packet of ours that points to
  /// `result`, and waited for on that packet. Returns false if that select sender declined.
  bool take_from(handoff_packet& source, std::unique_lock<sync::mutex>& lock, recv_result<T>& result) {
    if (source.message == nullptr) {
      handoff_packet mine;
      mine.reset(nullptr, &result);
      source.partner = &mine;
      lock.unlock();
      return mine.wait();
    }
    lock.unlock();
    source.marker.mark_write();
    result.emplace(std::move(*static_cast<T*>(source.message)));
    source.finish(handoff_packet::done);
    return true;
  }

  mutable sync::mutex mutex_;
  waker senders_;
  waker receivers_;
  sync::plain<bool> disconnected_{false};  // guarded by mutex_
};

}  // namespace rill::detail
