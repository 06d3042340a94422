// rill/detail/waker.hpp - the queue of threads blocked on one side of a channel.
//
// Design
// ------
// A `waiter` is a node in the blocked thread's own stack frame (or, for a select, in the frame
// of the select statement or the rill::selector that owns the operation): the operation it waits
// for (an id), its context (context.hpp) and, for the rendezvous flavor, the packet through which
// the message is handed over (handoff_packet.hpp). Nodes form intrusive doubly linked FIFO
// lists, so registering and unregistering never allocate and never fail.
//
// A waker keeps two lists. *Waiters* want to perform an operation: a notifier selects exactly
// one of them, because one unit of progress (one message, one free slot) serves one operation.
// *Observers* only want to know that an operation has become possible (rill::selector::ready,
// SPEC R36): a notifier wakes all of them, and they never use up a notification that a waiter
// needed (a readiness wait that swallowed the only wake-up would leave a receiver parked next
// to a message).
//
// `waker` is the unsynchronised list; its owner's lock protects it (the rendezvous flavor keeps
// both of its wakers under one channel mutex, and chooses among the waiters itself with
// claim_first: a thread never pairs with itself there, and a try_recv skips select senders). `sync_waker` adds its own
// mutex and an `is_empty` flag so that the hot path of a non-blocking operation (notify with nobody waiting) costs one
// load and no lock.
//
// Why no wake-up is lost (the store-load pattern)
// -----------------------------------------------
//   blocked thread                          notifier
//   (W1) register: is_empty = false          (X) the channel operation that makes progress,
//        (seq_cst store, under the lock)         a seq_cst read-modify-write of head or tail
//   (Y) re-check the channel (seq_cst        (W2) notify: load is_empty (seq_cst)
//       loads of head / tail)
// All four are seq_cst, so they lie in one total order. If (W2) reads `true` (nobody there),
// (W2) precedes (W1), hence (X) precedes (Y), and the re-check (Y) sees the progress and the
// thread does not park. Otherwise (W2) reads `false`, the notifier takes the lock and selects a
// waiter. Weakening either side to acquire/release breaks this (a classic Dekker pattern); the
// mutation bank has the counterexample.
//
// A notifier selects and unparks while holding the lock; the blocked thread always unregisters
// (taking the lock) before its frame ends. So no notifier touches a dead frame (KB19, KB25). The
// rendezvous flavor alone unparks after releasing the lock, once a hand-off is finished, under
// the rule of handoff_packet.hpp.
#pragma once

#include "rill/detail/context.hpp"
#include "rill/detail/debug_assert.hpp"
#include "rill/detail/handoff_packet.hpp"
#include "rill/detail/sync/sync.hpp"

#include <cstdint>

namespace rill::detail {

class sync_waker;

struct waiter {
  waiter() noexcept = default;
  explicit waiter(context& owner_context, handoff_packet* handoff = nullptr) noexcept
      : owner(&owner_context), packet(handoff) {}
  waiter(const waiter&) = delete;
  waiter& operator=(const waiter&) = delete;

  /// The id a notifier stores into the context when it selects this waiter.
  [[nodiscard]] selection operation() const noexcept { return reinterpret_cast<selection>(this); }

  context* owner = nullptr;
  handoff_packet* packet = nullptr;
  /// The sync_waker this waiter was last registered with (nullptr for a plain waker): a
  /// coroutine destroyed after a notifier chose it passes the notification on (rill/async.hpp).
  sync_waker* home = nullptr;
  waiter* previous = nullptr;
  waiter* next = nullptr;
  bool linked = false;
  bool observer = false;  // registered to learn of readiness only (rill::selector::ready)

  // A waker would keep pointing at it: every registration is undone before its owner goes.
  ~waiter() { RILL_DEBUG_ASSERT(!linked, "a waiter is destroyed while a waker still links it"); }
};

/// An intrusive FIFO of waiters; the caller holds the lock that protects it.
class waiter_list {
 public:
  void push_back(waiter& entry) noexcept {
    RILL_DEBUG_ASSERT(!entry.linked, "a waiter is registered twice");
    entry.previous = tail_;
    entry.next = nullptr;
    if (tail_ != nullptr) {
      tail_->next = &entry;
    } else {
      head_ = &entry;
    }
    tail_ = &entry;
    entry.linked = true;
  }

  void unlink(waiter& entry) noexcept {
    RILL_DEBUG_ASSERT(entry.linked, "a waiter is unlinked that no list holds");
    (entry.previous != nullptr ? entry.previous->next : head_) = entry.next;
    (entry.next != nullptr ? entry.next->previous : tail_) = entry.previous;
    entry.previous = entry.next = nullptr;
    entry.linked = false;
  }

  [[nodiscard]] waiter* front() const noexcept { return head_; }
  [[nodiscard]] bool empty() const noexcept { return head_ == nullptr; }

 private:
  waiter* head_ = nullptr;
  waiter* tail_ = nullptr;
};

/// The waiters and observers of one side of a channel; the caller holds the lock that
/// protects it.
class waker {
 public:
  waker() = default;
  waker(const waker&) = delete;
  waker& operator=(const waker&) = delete;
  // A channel goes only when no handle is left, and a waiting thread or coroutine holds one.
  ~waker() { RILL_DEBUG_ASSERT(empty(), "a waker is destroyed with waiters still registered"); }

  void register_waiter(waiter& entry) noexcept {
    waiters_.push_back(entry);
    ++registrations_;
  }
  void register_observer(waiter& entry) noexcept { observers_.push_back(entry); }

  /// How many waiters have ever been registered: a waiter of another thread is the only way
  /// for a rendezvous operation to become ready (short of disconnection), so an unchanged count
  /// means no such operation became ready (zero_flavor.hpp, readiness()).
  [[nodiscard]] std::uint64_t registrations() const noexcept { return registrations_; }

  /// Removes `entry` (a waiter or an observer) if a notifier has not already done so; true if it
  /// was still registered.
  bool unregister(waiter& entry) noexcept {
    if (!entry.linked) return false;
    (entry.observer ? observers_ : waiters_).unlink(entry);
    return true;
  }

  /// A waiter chosen by claim_first, and whether its owner was asleep when it was chosen.
  struct claimed {
    waiter* entry = nullptr;
    bool owner_asleep = false;
  };

  /// Selects the first waiter that `eligible` accepts and whose context can still be selected,
  /// removes it and returns it, without waking it: the caller unparks it, while it still holds
  /// the lock, or (the rendezvous flavor, after a hand-off) once the owner cannot be gone
  /// (handoff_packet.hpp). The returned node stays valid while the lock is held.
  template <class Eligible>
  claimed claim_first(Eligible eligible) {
    for (waiter* entry = waiters_.front(); entry != nullptr; entry = entry->next) {
      if (!eligible(*entry)) continue;
      // A lost compare-exchange means another channel (or the owner's deadline) chose this
      // context first: a select waits on several channels at once. Try the next waiter.
      const context::claim won = entry->owner->try_claim(entry->operation());
      if (won == context::claim::lost) continue;
      waiters_.unlink(*entry);
      return {entry, won == context::claim::owner_asleep};
    }
    return {};
  }

  /// Selects and unparks the first waiter that can still be selected, removes it and returns it
  /// (nullptr if none). The returned node stays valid while the lock is held.
  waiter* try_select() {
    const claimed chosen = claim_first([](const waiter&) { return true; });
    if (chosen.entry != nullptr) chosen.entry->owner->unpark();
    return chosen.entry;
  }

  /// Wakes every observer (each with its own operation id); they unregister themselves.
  void notify_observers() {
    for (waiter* entry = observers_.front(); entry != nullptr; entry = entry->next) {
      if (entry->owner->try_select(entry->operation())) entry->owner->unpark();
    }
  }

  /// Wakes every waiter and observer with `disconnected`; they unregister themselves.
  void disconnect() {
    for (waiter* entry = waiters_.front(); entry != nullptr; entry = entry->next) {
      if (entry->owner->try_select(selection_disconnected)) entry->owner->unpark();
    }
    for (waiter* entry = observers_.front(); entry != nullptr; entry = entry->next) {
      if (entry->owner->try_select(selection_disconnected)) entry->owner->unpark();
    }
  }

  [[nodiscard]] bool empty() const noexcept { return waiters_.empty() && observers_.empty(); }

  /// True if some waiter that `eligible` accepts could be selected now (one that claim_first
  /// could return). A waiter whose context another channel has already selected does not count:
  /// it is on its way out, and counting it would make a select spin on a readiness that is gone.
  template <class Eligible>
  [[nodiscard]] bool has_waiter(Eligible eligible) const {
    for (waiter* entry = waiters_.front(); entry != nullptr; entry = entry->next) {
      if (eligible(*entry) && entry->owner->selected() == selection_waiting) return true;
    }
    return false;
  }

 private:
  waiter_list waiters_;
  waiter_list observers_;
  std::uint64_t registrations_ = 0;
};

// One ordering site per line, as scripts/ordering_guide.py and the mutation bank read them.
// clang-format off
namespace waker_order {
// (W1)/(W2) seq_cst: the store-load pattern described above; they pair with the flavor's seq_cst
//      claim of head or tail (X) and its seq_cst snapshot loads in the re-check (Y). Weakened to
//      acq_rel, a notifier can read "nobody waiting" while the waiter's re-check reads "no
//      progress": a lost wake-up (the mutation bank's counterexample is a deadlock).
inline constexpr sync::ordering announce = sync::ordering_site("waker.announce", std::memory_order_seq_cst);  // (W1)
inline constexpr sync::ordering check = sync::ordering_site("waker.check", std::memory_order_seq_cst);        // (W2)
}  // namespace waker_order
// clang-format on

/// A waker with its own lock and a lock-free "anybody waiting?" check.
class sync_waker {
 public:
  void register_waiter(waiter& entry) {
    sync::lock_guard lock(mutex_);
    entry.home = this;
    inner_.register_waiter(entry);
    is_empty_.store(false, waker_order::announce);
  }

  /// Registers an observer: it is woken by every notify() from now on, and takes no
  /// notification away from a waiter.
  void register_observer(waiter& entry) {
    sync::lock_guard lock(mutex_);
    inner_.register_observer(entry);
    is_empty_.store(false, waker_order::announce);
  }

  void unregister(waiter& entry) {
    sync::lock_guard lock(mutex_);
    inner_.unregister(entry);
    is_empty_.store(inner_.empty(), waker_order::announce);
  }

  /// Wakes one waiter, if any, and every observer. Called after every operation that makes
  /// progress possible.
  void notify() {
    if (is_empty_.load(waker_order::check)) return;
    sync::lock_guard lock(mutex_);
    if (!is_empty_.load(waker_order::check)) {
      inner_.try_select();
      inner_.notify_observers();
      is_empty_.store(inner_.empty(), waker_order::announce);
    }
  }

  /// Wakes every waiter with `disconnected`.
  void disconnect() {
    sync::lock_guard lock(mutex_);
    inner_.disconnect();
  }

 private:
  sync::mutex mutex_;
  waker inner_;
  sync::atomic<bool> is_empty_{true};
};

}  // namespace rill::detail
