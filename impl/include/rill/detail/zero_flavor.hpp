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
//                   receiver moves it straight into its result and finishes the packet (Z2).
//                   The sender returns only after it sees that (Z3), so a rendezvous send
//                   completes only once a receiver has the message (R18, KB23).
//   receiver first: the receiver's packet points to the receiver's own result; the sender
//                   moves the message straight into it and finishes the packet; the receiver
//                   waits for that and returns that result.
//
// Either way the message is moved exactly once, from the sender's argument into the receiver's
// result: no copy of it is ever staged in a packet (a 1 MiB message must not cost 1 MiB of every
// waiting thread's stack, KB11). A sender whose wait ends without a receiver (timeout,
// disconnect) still owns its untouched argument and hands it back. The waiting side is unparked
// only after the hand-off is finished, and only if it sleeps (handoff_packet.hpp says why: a
// waiter of higher real-time priority woken earlier would spin on its partner for ever).
//
// Once the channel is disconnected nothing pairs any more (R12): every path looks at the
// disconnected flag before it looks for a partner, under the mutex that close() takes, and a
// select's registration on a disconnected channel links nothing and reports the operation ready
// (R32), so no operation that starts after close() returned can find a partner.
//
// Select (SPEC R30-R39) adds two kinds of participant:
//   select receiver  its packet points to the operation's result storage; it is filled like a
//                    plain receiver's result. A select receiver that finds a waiting plain
//                    sender takes the message at once (receives are completed eagerly).
//   select sender    its message does not exist until the user completes the selected
//                    operation. It pairs with a receiver in two ways: its try phase selects a
//                    waiting receiver and keeps that receiver's packet address in its token; or
//                    a receiver selects the waiting select sender, stores the address of a
//                    packet of its own in the sender's packet (under the mutex) and waits on
//                    that packet, and the sender copies the address into its token when it
//                    accepts. Either way the message is moved straight into the receiver's
//                    result when the operation is completed; an abandoned operation declines,
//                    and the receiver waits for another sender, its deadline unchanged (R34).
//
// Who may commit to a select sender (SPEC R19, R30, R38). A receive that commits to a select
// sender waits for a completion that may come much later, or never. So:
//   * try_recv, a select's try phase (the whole of a non-blocking select), and a timed receive
//     whose deadline has passed ("try once", R20) never do: they skip select senders and report
//     `empty` (or `timeout`) if no plain sender waits, as try operations at a slot held by a
//     selected send do in the bounded flavor. A select sender does not make a receive ready
//     (is_recv_ready, watch_recv), for the same reason.
//   * a blocking receive does: recv, and recv_for / recv_until before their deadline, pair with
//     a waiting select sender; so does a blocking select's receive when it registers (it selects
//     the select sender and its own operation together, under the mutex, and goes straight to
//     accepting). Two selects, one sending and one receiving, therefore pair rather than
//     deadlock (KB24): registration and the readiness re-check happen under one mutex, so the
//     second to register sees the first, and a receive pairs there while a send reports itself
//     ready and selects the registered receive in its next try phase.
//   * a receiver paired with a select sender keeps its deadline (R8, R20): when it passes before
//     the select sender has claimed the hand-off, the receiver withdraws (under the mutex,
//     handoff_packet.hpp) and reports `timeout` (a select: accept fails, and the select goes on
//     to its own timeout or another operation). A select statement claims the hand-off
//     (select_claim_send) as soon as its selection returns; if the receiver withdrew before
//     that, the statement selected nothing and looks again, so a statement with a default never
//     waits for a receiver (R19, R30). A held selection's completion (rill::selector) that finds
//     its receiver gone behaves as a plain blocking send of its message: it pairs with another
//     receiver, waits for one, or hands the message back with `disconnected`. No message is lost,
//     duplicated or sent to nobody. An abandonment finds no receiver and does nothing (R34).
//
// The mutex protects both wakers, the disconnected flag, and the `partner` and `link` words of
// packets; the hand-off itself is done outside it, by exactly two threads, ordered by the
// packet's state. A thread never pairs with itself: every choice of a waiter skips the calling
// thread's own (a select sending and receiving on one rendezvous channel must not meet itself,
// R35; sync::thread_identity is unique among running threads). A registration skips its owner's
// own instead: a coroutine's task context has an identity of its own, not its thread's, so that
// its select does not meet its own case while two coroutines on one thread still pair.
//
// Linearisation points
// --------------------
//   send / recv succeed       the selection of the partner's context under the mutex (C1); for
//                             a receiver paired with a select sender, the sender's claim
//   try_send sees full        the mutex-protected check that no receiver of another thread waits
//   try_recv sees empty       the same check for plain senders of another thread
//   timeout after withdrawal  the withdrawal, under the mutex
//   disconnected              the flag, read under the mutex
//
// Progress
// --------
// try_send / try_recv take the channel mutex (blocking on it only for the few instructions of
// another operation's critical section) and never park; they never wait for a partner. After a
// successful selection, the selected side waits for its partner to finish the packet: a bounded
// number of the partner's instructions, the message move included, spinning briefly and then
// parking (the partner unparks it). A receiver paired with a select sender waits for the
// completion, parked, until its deadline.
//
// Synchronisation edges
//   (C1)-(C3) the selection (context.hpp); (Z2)-(Z6) the packet (handoff_packet.hpp).
// Everything else is ordered by the mutex. Model-checking scenarios: verify/relacy/ (handoff_zero,
// timed_handoff_zero, close_races_send_zero, select_send_meets_select_recv, zero_*).
#pragma once

#include "rill/detail/context.hpp"
#include "rill/detail/handoff_packet.hpp"
#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"
#include "rill/detail/waker.hpp"
#include "rill/errors.hpp"

#include <cstdint>
#include <optional>
#include <utility>

namespace rill::detail {

template <class T>
class zero_flavor {
 public:
  using message_type = T;
  /// Messages pass from sender to receiver directly (select_operation.hpp, operation_table).
  static constexpr bool is_rendezvous = true;

  zero_flavor() = default;
  zero_flavor(const zero_flavor&) = delete;
  zero_flavor& operator=(const zero_flavor&) = delete;

  // A failed send hands its message back after releasing the mutex: moving it runs the user's
  // code, which must not run inside the channel's critical section (R19 bounds waits for the lock
  // by the length of that section).
  send_result<T> try_send(T&& message) {
    sync::unique_lock lock(mutex_);
    if (disconnected_.load()) return refuse(lock, send_errc::disconnected, message);
    if (const waker::claimed receiver = receivers_.claim_first(of_another_thread()); receiver.entry != nullptr) {
      handoff_packet& target = selected_packet(receiver);
      lock.unlock();
      hand_to(target, message);
      return {};
    }
    return refuse(lock, send_errc::full, message);
  }

  send_result<T> send(T&& message, const sync::deadline& deadline) {
    sync::unique_lock lock(mutex_);
    if (disconnected_.load()) return refuse(lock, send_errc::disconnected, message);
    if (const waker::claimed receiver = receivers_.claim_first(of_another_thread()); receiver.entry != nullptr) {
      handoff_packet& target = selected_packet(receiver);
      lock.unlock();
      hand_to(target, message);
      return {};
    }
    if (sync::has_passed(deadline)) return refuse(lock, send_errc::timeout, message);

    // Wait, offering our own message through the packet, until a receiver takes it.
    context waiting;
    handoff_packet offer;
    offer.reset(&message, nullptr, &waiting);
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
    // Selected by a receiver, which takes a waiting plain sender's message at once (select
    // receivers too) and never withdraws from it: wait for that, without a deadline.
    (void)await_handoff(offer, waiting, std::nullopt);
    return {};
  }

  recv_result<T> try_recv() {
    recv_result<T> result(std::unexpect, recv_error::empty);
    sync::unique_lock lock(mutex_);
    if (disconnected_.load()) {
      result = std::unexpected(recv_error::disconnected);
      return result;
    }
    if (const waker::claimed sender = senders_.claim_first(plain_sender_of_another_thread()); sender.entry != nullptr) {
      take_from(sender, lock, result);
    }
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
    sync::lock_guard lock(mutex_);
    return disconnected_.load();
  }

  /// Marks the channel disconnected and wakes everyone. True if this call did it.
  bool disconnect() {
    sync::lock_guard lock(mutex_);
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
    sync::lock_guard lock(mutex_);
    if (disconnected_.load()) {
      token.disconnected = true;
      return true;
    }
    if (const waker::claimed receiver = receivers_.claim_first(of_another_thread()); receiver.entry != nullptr) {
      // Committed to this receiver, which waits (parked, if it sleeps) until the completion or
      // the abandonment finishes its packet, or until its deadline, when it may withdraw.
      handoff_packet& target = selected_packet(receiver);
      token.pointer = &target;
      target.link = &token.pointer;
      return true;
    }
    return false;
  }

  bool select_register_send(waiter& entry) {
    sync::lock_guard lock(mutex_);
    if (disconnected_.load()) return true;  // ready to report `disconnected`; nothing is linked
    // The next try phase pairs; not with a receive of this same statement (R35: the owner's
    // identity, which for a coroutine's task context is not its thread's).
    if (receivers_.has_waiter(of_another_thread(entry.owner->thread()))) return true;
    entry.packet->reset(nullptr, nullptr, entry.owner);  // the message comes with completion
    senders_.register_waiter(entry);
    receivers_.notify_observers();
    return false;
  }

  void select_unregister_send(waiter& entry) {
    sync::lock_guard lock(mutex_);
    senders_.unregister(entry);
  }

  /// A receiver selected our waiting select sender and stored the address of its own packet in
  /// ours, under the mutex. It may have withdrawn since (at its deadline): then there is nothing
  /// to accept, and the select looks again. Otherwise the token holds the receiver's packet from
  /// now on, and the receiver's link points to the token.
  bool select_accept_send(waiter& entry, select_token& token) {
    sync::lock_guard lock(mutex_);
    auto* receiver = static_cast<handoff_packet*>(entry.packet->partner);
    if (receiver == nullptr) return false;
    entry.packet->partner = nullptr;
    token.pointer = receiver;
    receiver->link = &token.pointer;
    return true;
  }

  /// A select statement claims the hand-off to the receiver its try phase (or accept) paired
  /// with, before it makes the message: from here on the receiver cannot withdraw. If it has
  /// withdrawn already (its deadline passed), nothing was selected: the statement looks again
  /// rather than send as a blocking send would, which a statement with a default or a passed
  /// deadline may not do (R19, R30). A held selection (rill::selector) does not claim early: its
  /// completion may come much later, and the receiver keeps its deadline until then (R8, R33).
  bool select_claim_send(select_token& token) {
    if (token.disconnected) return true;
    sync::lock_guard lock(mutex_);
    auto* receiver = static_cast<handoff_packet*>(token.pointer);
    if (receiver == nullptr) return false;
    receiver->link = nullptr;  // claimed: withdraw() now fails, and the receiver waits for us
    return true;
  }

  send_result<T> select_write(select_token& token, T&& message) {
    if (token.disconnected) return failed_send(send_errc::disconnected, message);
    sync::unique_lock lock(mutex_);
    auto* receiver = static_cast<handoff_packet*>(token.pointer);
    if (receiver == nullptr) {
      // The receiver withdrew at its deadline: send the message as a plain send would.
      lock.unlock();
      return send(std::move(message), std::nullopt);
    }
    token.pointer = nullptr;
    receiver->link = nullptr;  // claimed: the receiver can no longer withdraw
    lock.unlock();
    hand_to(*receiver, message);
    return {};
  }

  void select_abandon_send(select_token& token) {
    if (token.disconnected) return;
    sync::unique_lock lock(mutex_);
    auto* receiver = static_cast<handoff_packet*>(token.pointer);
    if (receiver == nullptr) return;  // the receiver withdrew: nothing to undo
    token.pointer = nullptr;
    receiver->link = nullptr;
    lock.unlock();
    receiver->finish(handoff_packet::declined);
  }

  bool select_try_recv(select_token&, recv_result<T>& result) {
    sync::unique_lock lock(mutex_);
    if (disconnected_.load()) {
      result = std::unexpected(recv_error::disconnected);
      return true;
    }
    if (const waker::claimed sender = senders_.claim_first(plain_sender_of_another_thread()); sender.entry != nullptr) {
      take_from(sender, lock, result);
      return true;
    }
    return false;
  }

  bool select_register_recv(waiter& entry, recv_result<T>& result) {
    sync::lock_guard lock(mutex_);
    if (disconnected_.load()) return true;              // ready to report `disconnected`; nothing is linked
    const std::uintptr_t self = entry.owner->thread();  // R35: never a send of this same statement
    if (senders_.has_waiter(plain_sender_of_another_thread(self))) return true;  // the next try phase takes it
    entry.packet->reset(nullptr, &result, entry.owner);
    // A blocking select's receive pairs with a waiting select sender here, not in its try phase
    // (which a non-blocking select shares): it selects the sender and its own operation, and the
    // select goes straight to accepting, which waits for the completion.
    if (const waker::claimed sender = senders_.claim_first(select_sender_of_another_thread(self));
        sender.entry != nullptr) {
      // Our own context may have been chosen by another channel meanwhile: then the sender
      // finds no partner when it accepts, and looks again.
      if (entry.owner->try_select(entry.operation())) {
        sender.entry->packet->partner = entry.packet;
        entry.packet->link = &sender.entry->packet->partner;
      }
      sender.entry->owner->unpark();  // under the mutex: the select sender unregisters under it
      return true;
    }
    receivers_.register_waiter(entry);
    senders_.notify_observers();
    return false;
  }

  void select_unregister_recv(waiter& entry) {
    sync::lock_guard lock(mutex_);
    receivers_.unregister(entry);
  }

  /// A sender selected our waiting select receiver (or the registration paired us with a select
  /// sender): wait until it has moved the message into the result. False if a select sender
  /// declined, or if the select's wake time passed and we withdrew first: the select looks again.
  bool select_accept_recv(waiter& entry, select_token&, recv_result<T>&) {
    return await_handoff(*entry.packet, *entry.owner, entry.owner->deadline()) == handoff_packet::done;
  }

  /// Readiness changes only under the mutex: a waiter registers (each side's count) or the
  /// channel is disconnected. (A waiter chosen by another channel stops counting as ready without
  /// a change here; only the opposite direction must show.)
  readiness_version readiness() const {
    sync::lock_guard lock(mutex_);
    return {{senders_.registrations(), receivers_.registrations(), disconnected_.load() ? 1u : 0u, 0}, true};
  }

  /// A send is ready when a receiver of another thread waits; a receive, when a plain sender of
  /// another thread waits (a select sender's message does not exist yet). Either, when the
  /// channel is disconnected.
  bool is_send_ready() {
    sync::lock_guard lock(mutex_);
    return disconnected_.load() || receivers_.has_waiter(of_another_thread());
  }
  bool is_recv_ready() {
    sync::lock_guard lock(mutex_);
    return disconnected_.load() || senders_.has_waiter(plain_sender_of_another_thread());
  }

  // Readiness observers: a send becomes possible when a receiver starts waiting, and every
  // receiver that registers notifies the observers kept in `senders_` (and vice versa).
  bool watch_send(waiter& entry) {
    sync::lock_guard lock(mutex_);
    if (disconnected_.load()) return true;
    senders_.register_observer(entry);
    return receivers_.has_waiter(of_another_thread());
  }
  void unwatch_send(waiter& entry) { select_unregister_send(entry); }
  bool watch_recv(waiter& entry) {
    sync::lock_guard lock(mutex_);
    if (disconnected_.load()) return true;
    receivers_.register_observer(entry);
    return senders_.has_waiter(plain_sender_of_another_thread());
  }
  void unwatch_recv(waiter& entry) { select_unregister_recv(entry); }

 private:
  /// Whom a choice of a waiter may return: never a waiter of the calling thread (R35). A
  /// registration passes its owner's identity instead: a coroutine's task context has its own
  /// (context.hpp), and a select statement must not pair with a case of its own, while two
  /// coroutines on one thread may pair with each other.
  static auto of_another_thread(std::uintptr_t self = sync::thread_identity()) {
    return [self](const waiter& entry) { return entry.owner->thread() != self; };
  }
  static auto plain_sender_of_another_thread(std::uintptr_t self = sync::thread_identity()) {
    return [self](const waiter& entry) { return entry.owner->thread() != self && entry.packet->message != nullptr; };
  }
  static auto select_sender_of_another_thread(std::uintptr_t self = sync::thread_identity()) {
    return [self](const waiter& entry) { return entry.owner->thread() != self && entry.packet->message == nullptr; };
  }
  /// A blocking receive may pair with a select sender only before its deadline.
  static auto sender_of_another_thread(bool select_senders_too) {
    return [self = sync::thread_identity(), select_senders_too](const waiter& entry) {
      return entry.owner->thread() != self && (select_senders_too || entry.packet->message != nullptr);
    };
  }

  static send_result<T> refuse(sync::unique_lock& lock, send_errc reason, T& message) {
    lock.unlock();
    return failed_send(reason, message);
  }

  /// The packet of a waiter just chosen under the mutex; if its owner sleeps, the packet says so
  /// (Z6), and the hand-off's finish unparks it.
  static handoff_packet& selected_packet(const waker::claimed& chosen) {
    handoff_packet& packet = *chosen.entry->packet;
    if (chosen.owner_asleep) packet.owner_sleeps();
    return packet;
  }

  void receive_into(recv_result<T>& result, const sync::deadline& deadline) {
    for (;;) {
      sync::unique_lock lock(mutex_);
      if (disconnected_.load()) {
        result = std::unexpected(recv_error::disconnected);
        return;
      }
      const bool may_wait = !sync::has_passed(deadline);
      if (const waker::claimed sender = senders_.claim_first(sender_of_another_thread(may_wait));
          sender.entry != nullptr) {
        if (sender.entry->packet->message != nullptr) {
          take_from(sender, lock, result);
          return;
        }
        // A select sender: it must accept before it can complete, so wake it now (under the
        // mutex: it unregisters under it before it goes), and wait on a packet of our own.
        context waiting;
        handoff_packet mine;
        mine.reset(nullptr, &result, &waiting);
        sender.entry->packet->partner = &mine;
        mine.link = &sender.entry->packet->partner;
        sender.entry->owner->unpark();
        lock.unlock();
        if (await_handoff(mine, waiting, deadline) == handoff_packet::done) return;
        continue;  // declined (R34) or withdrawn at the deadline: look again, once if it passed
      }
      if (!may_wait) {
        result = std::unexpected(recv_error::timeout);
        return;
      }

      // Park with a packet pointing to `result` until a sender fills it, the deadline passes or
      // the channel is disconnected.
      context waiting;
      handoff_packet request;
      request.reset(nullptr, &result, &waiting);
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
      // select sender may decline instead, or not complete before our deadline: look again.
      if (await_handoff(request, waiting, deadline) == handoff_packet::done) return;
    }
  }

  /// The owner's wait for its partner to finish `packet` (handoff_packet.hpp): done, declined,
  /// or, for a receiver paired with a select sender whose `deadline` passed first, withdrawn
  /// (reported as `pending`). Never spins for long: a partner that is slow to finish finds the
  /// owner asleep, and unparks it once finished.
  int await_handoff(handoff_packet& packet, context& owner, const sync::deadline& deadline) {
    if (!owner.slept()) {
      // Awake when selected: the partner unparks only if we announce that we sleep.
      sync::backoff backoff;
      while (!backoff.is_completed()) {
        if (const int state = packet.current(); state != handoff_packet::pending)
          return finished(packet, state);  // (Z3)
        backoff.snooze();
      }
      if (!packet.announce_sleep()) return finished(packet, packet.current());  // (Z5), then (Z3)
    }
    // The partner unparks us once it has finished, and only then (a context receives one unpark).
    while (!owner.park_until(deadline)) {
      if (!sync::has_passed(deadline)) continue;
      if (withdraw(packet)) return handoff_packet::pending;
      (void)owner.park_until(std::nullopt);  // claimed, or a partner that cannot be left: finishing now
      break;
    }
    return finished(packet, packet.current());  // (Z3)
  }

  /// The owner uses its message or result again from here on.
  static int finished(handoff_packet& packet, int state) {
    packet.marker.mark_write();
    return state;
  }

  /// A receiver paired with a select sender gives the pairing up, unless the sender has claimed
  /// the hand-off already (or the partner is no select sender). Under the mutex: see
  /// handoff_packet.hpp.
  bool withdraw(handoff_packet& packet) {
    sync::lock_guard lock(mutex_);
    if (packet.link == nullptr) return false;
    *packet.link = nullptr;
    packet.link = nullptr;
    return true;
  }

  /// The sender's half of a hand-off to the receiver waiting on `target`.
  void hand_to(handoff_packet& target, T& message) {
    target.marker.mark_write();
    static_cast<recv_result<T>*>(target.result)->emplace(std::move(message));
    target.finish(handoff_packet::done);  // (Z2); unparks the receiver if it sleeps
  }

  /// The receiver's half of a hand-off from the plain sender just chosen under `lock`: its
  /// message is taken at once.
  void take_from(const waker::claimed& sender, sync::unique_lock& lock, recv_result<T>& result) {
    handoff_packet& source = selected_packet(sender);
    lock.unlock();
    source.marker.mark_write();
    result.emplace(std::move(*static_cast<T*>(source.message)));
    source.finish(handoff_packet::done);  // (Z2); unparks the sender if it sleeps
  }

  mutable sync::mutex mutex_;
  waker senders_;
  waker receivers_;
  sync::plain<bool> disconnected_{false};  // guarded by mutex_
};

}  // namespace rill::detail
