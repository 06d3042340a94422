// rill/detail/select_loop.hpp - choosing one ready operation among several (SPEC R30-R36).
//
// Algorithm
// ---------
// crossbeam-channel's selection, in three phases that repeat until an operation is chosen:
//
//   1. try      Visit the operations in a fresh uniformly random order (biased mode: in the
//               order they were added) and try each without blocking (select_operation.hpp).
//               The first success is the selection. A disconnected channel's operation
//               succeeds too: it is ready to report `disconnected` (R32). A non-blocking select
//               stops here, but only once it has proven an instant at which nothing was ready
//               (look_once); so does a timed one whose deadline has passed, whether at the call
//               (a zero or past deadline: "try once", R20) or during phase 3.
//   2. register Create one context (context.hpp) for this thread and register every operation's
//               waiter, pointing to it, on its channel's waker. Each registration re-checks its
//               channel; if one is ready after all, the thread aborts its own context instead
//               of sleeping. This is the store-load pattern of waker.hpp, once per channel.
//   3. wait     Park until a notifier selects the context (with the address of the waiter it
//               chose, which names the operation), the channel disconnects, or the earliest of
//               the caller's deadline and the timers' delivery times passes. Then unregister
//               every waiter (taking each waker's lock, so no notifier can still be touching
//               one when the frame or the operation goes, KB19, KB25) and, if a notifier chose
//               an operation, *accept* it: claim what the notifier offered. A buffered channel's
//               message may already have been taken by another receiver; a rendezvous partner
//               may decline. Either way the loop starts again at phase 1.
//
// The context admits exactly one selection (its compare-exchange, C1), so notifiers of two
// channels never both win: a select completes at most one operation per call (KB16). A
// waiter whose context another channel has already chosen stays linked until its owner
// unregisters it, so a notifier that loses simply tries the next waiter, and every queue is left
// intact (KB15, KB17: the same channel twice in one select is two waiters of one context).
//
// Fairness: the order of phase 1 is a uniformly random permutation (Fisher-Yates over
// sync::random_below), so among the operations that are ready when a select looks, each is
// chosen with equal probability (R31). A rotation from a random start would not do: with three
// operations of which two are ready, it picks one of them twice as often as the other.
//
// Biased mode: phases 1 and 2 go in the order the operations were added, so of the operations
// ready when the select looks, the earliest wins (R31). After phase 3, if a notifier chose an
// operation, that one is accepted even if an earlier one has become ready meanwhile: the
// notifier gave this select its one unit of progress (one message or slot: a waker wakes one
// waiter, waker.hpp), and a rendezvous partner waits for it (R33). Declining would leave that
// progress to no one (a receiver parked next to a message); accepting and then preferring an
// earlier operation would mean abandoning the accepted one, which for a receive destroys a
// message (R34). A wake-up that chose nothing (abort, disconnection, a timer's time) is followed
// by phase 1 again, in order.
//
// Progress: a select blocks only in phase 3; phases 1 and 2 inherit each flavor's progress
// (lock-free try operations, the rendezvous flavor's mutex).
//
// One user at a time (R39): a rill::selector's operations, order and pending operation are its
// caller's, unsynchronised. Every member of rill::selector that adds, removes or selects holds a
// `single_user` for its duration: an exchange of one flag on entry, a store on exit. A second
// thread that enters while the first is inside reads `true` and throws std::logic_error before
// touching anything. Both orderings are relaxed, sites (G1) and (G2) below: the flag detects
// misuse and carries nothing.
#pragma once

#include "rill/detail/context.hpp"
#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"

#include <cstddef>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>

namespace rill::detail {

enum class select_order : unsigned char { unbiased, biased };

// One ordering site per line, as scripts/ordering_guide.py and the mutation bank read them.
// clang-format off
namespace single_user_order {
// (G1) relaxed: the exchange is a read-modify-write, so of two calls whose exchanges both come
//      before either call's (G2) in the flag's modification order, the second reads the first's
//      `true` and throws, having touched nothing. A call that provably runs while another is inside
//      (it learned so through anything that synchronises, as the test does through a channel)
//      reads that `true` by coherence. No data is published through the flag: a selector used by
//      one thread after another is ordered by whatever handed it over, as for any object.
inline constexpr sync::ordering enter = sync::ordering_site("selector.enter", std::memory_order_relaxed);  // (G1)
// (G2) relaxed: clears the flag at the end of a call; nothing is published through it (G1).
inline constexpr sync::ordering leave = sync::ordering_site("selector.leave", std::memory_order_relaxed);  // (G2)
}  // namespace single_user_order
// clang-format on

/// Holds `in_use` for one member call of a rill::selector (R39); throws std::logic_error naming
/// `caller` if another thread holds it. Costs one uncontended read-modify-write (an xchg on x86)
/// and one plain store per call.
class single_user {
 public:
  single_user(sync::atomic<bool>& in_use, const char* caller) : in_use_(in_use) {
    if (in_use_.exchange(true, single_user_order::enter)) {
      throw std::logic_error(std::string("rill::selector::") + caller +
                             ": another thread is using this selector (a selector is used by one thread at a time)");
    }
  }
  single_user(const single_user&) = delete;
  single_user& operator=(const single_user&) = delete;
  ~single_user() { in_use_.store(false, single_user_order::leave); }

 private:
  sync::atomic<bool>& in_use_;
};

struct select_outcome {
  enum kind : unsigned char { selected, would_block, timed_out } status;
  std::size_t index = 0;
};

/// Fills `order` with 0..n-1, shuffled uniformly unless biased.
inline void choose_order(std::span<std::size_t> order, select_order mode) {
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  if (mode == select_order::biased) return;
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[sync::random_below(i)]);
}

inline sync::deadline earlier(const sync::deadline& first, const sync::deadline& second) {
  if (!first.has_value()) return second;
  if (!second.has_value()) return first;
  return *second < *first ? second : first;
}

/// How long phase 3 may sleep: until the caller's deadline or the earliest timer, whichever
/// comes first (a timer has no notifier to wake the selection).
inline sync::deadline wake_time(std::span<operation* const> operations, const sync::deadline& deadline) {
  sync::deadline wake = deadline;
  for (operation* op : operations) {
    if (!op->removed) wake = earlier(wake, op->table->ready_at(*op));
  }
  return wake;
}

/// Phase 2: registers the operations, in `order`, as waiters of `waiting` (observers, for a
/// readiness wait) until one reports that it is ready, in which case the context is aborted
/// (unless a notifier chose it first). Returns how many positions of `order` were visited; the
/// same positions must be passed to unregister_all.
inline std::size_t register_all(std::span<operation* const> operations, std::span<const std::size_t> order,
                                context& waiting, bool observe) {
  std::size_t visited = 0;
  bool ready = false;
  for (; visited < order.size() && !ready; ++visited) {
    operation& op = *operations[order[visited]];
    if (op.removed) continue;
    op.entry.owner = &waiting;
    op.entry.packet = observe ? nullptr : &op.packet;
    op.entry.observer = observe;
    ready = observe ? op.table->watch(op) : op.table->register_waiter(op);
  }
  if (ready) waiting.try_select(selection_aborted);
  return visited;
}

inline void unregister_all(std::span<operation* const> operations, std::span<const std::size_t> order,
                           std::size_t visited, bool observe) {
  for (std::size_t i = 0; i < visited; ++i) {
    operation& op = *operations[order[i]];
    if (op.removed) continue;
    if (observe) {
      op.table->unwatch(op);
    } else {
      op.table->unregister_waiter(op);
    }
  }
}

/// Phase 1: one try of every operation, in `order`; the index of the one that succeeded.
inline std::optional<std::size_t> try_each(std::span<operation* const> operations, std::span<const std::size_t> order) {
  for (const std::size_t index : order) {
    operation& op = *operations[index];
    if (op.removed) continue;
    op.token = {};
    if (op.table->try_select(op)) return index;
  }
  return std::nullopt;
}

/// A non-blocking select (R30): succeeds, or reports would_block only if there was an instant
/// during the call at which none of its operations was ready. Trying each operation once is not
/// enough: each try looks at its channel at a different moment, and a message can move from a
/// channel not yet tried to one already tried (Go's TestNonblockSelectRace). So the tries are
/// bracketed by two readings of every channel's readiness version (select_operation.hpp), the
/// "double collect" of snapshot algorithms: if every operation reads the same stable version
/// before and after the tries, and the second look (which reads the clock, for timers) finds it
/// not ready, then nothing became ready between the end of the first collect and the start of
/// the second, and at every instant of that interval each operation was as its try found it.
/// Otherwise something changed: try again. This is lock-free, not wait-free: a repeat means
/// another thread completed an operation on one of these channels, or is midway through a step
/// that leaves a version unstable (giving back the slot of an abandoned selected send). That step
/// is bounded but the other thread must run to finish it, so a repeat snoozes (spins, then
/// yields the processor) rather than looking again at once: without it a selection spun for
/// ever on a processor it shared with that thread (R19, found by the schedule fuzzer).
/// `attempt(index)` is a try_select (a select) or an is_ready (a readiness wait).
template <class Attempt>
select_outcome look_once(std::span<operation* const> operations, std::span<std::size_t> order, select_order mode,
                         Attempt attempt) {
  sync::backoff retry;
  for (bool first = true;; first = false) {
    if (!first) retry.snooze();
    for (operation* op : operations) {
      if (!op->removed) op->seen = op->table->version(*op);
    }
    choose_order(order, mode);
    for (const std::size_t index : order) {
      if (!operations[index]->removed && attempt(index)) return {select_outcome::selected, index};
    }
    bool unchanged = true;
    for (operation* op : operations) {
      if (op->removed) continue;
      if (!op->seen.stable || op->table->is_ready(*op) || op->table->version(*op) != op->seen) {
        unchanged = false;
        break;
      }
    }
    if (unchanged) return {select_outcome::would_block};
  }
}

/// A timed selection whose deadline has passed: the same proof as a non-blocking one (R20: a
/// deadline that has passed means "try once"), reported as a timeout.
inline select_outcome last_look(select_outcome outcome) {
  if (outcome.status == select_outcome::would_block) outcome.status = select_outcome::timed_out;
  return outcome;
}

/// The selection loop. `operations` and `order` have the same length.
///
/// A blocking selection reports a timeout only through look_once, never after a single pass of
/// tries: the deadline is looked at before each pass, and once it has passed (at the call, for a
/// deadline of zero or in the past, or during the wait) the loop ends with the non-blocking
/// selection's double collect. So a timeout, like would_block, means that there was an instant
/// during the call, after the deadline, at which no operation was ready (R20, R30).
inline select_outcome run_select(std::span<operation* const> operations, std::span<std::size_t> order,
                                 const sync::deadline& deadline, bool blocking, select_order mode) {
  auto try_one = [&](std::size_t index) {
    operation& op = *operations[index];
    op.token = {};
    return op.table->try_select(op);
  };
  if (!blocking) return look_once(operations, order, mode, try_one);
  for (;;) {
    if (sync::has_passed(deadline)) return last_look(look_once(operations, order, mode, try_one));
    choose_order(order, mode);
    if (auto index = try_each(operations, order)) return {select_outcome::selected, *index};

    context waiting;
    const std::size_t visited = register_all(operations, order, waiting, false);
    const selection outcome = waiting.wait_until(wake_time(operations, deadline));
    unregister_all(operations, order, visited, false);
    if (outcome == selection_aborted || outcome == selection_disconnected) continue;
    for (std::size_t index = 0; index < operations.size(); ++index) {
      operation& op = *operations[index];
      if (op.removed || op.entry.operation() != outcome) continue;
      op.token = {};
      if (op.table->accept(op)) return {select_outcome::selected, index};
      break;
    }
  }
}

/// Readiness only (R36): like run_select, but no operation is started; returns an operation
/// that was ready when looked at.
inline select_outcome run_ready(std::span<operation* const> operations, std::span<std::size_t> order,
                                const sync::deadline& deadline, bool blocking, select_order mode) {
  auto ready = [&](std::size_t index) { return operations[index]->table->is_ready(*operations[index]); };
  if (!blocking) return look_once(operations, order, mode, ready);
  for (;;) {
    if (sync::has_passed(deadline)) return last_look(look_once(operations, order, mode, ready));
    choose_order(order, mode);
    for (const std::size_t index : order) {
      if (!operations[index]->removed && ready(index)) return {select_outcome::selected, index};
    }

    context waiting;
    const std::size_t visited = register_all(operations, order, waiting, true);
    waiting.wait_until(wake_time(operations, deadline));
    unregister_all(operations, order, visited, true);
    // Whatever woke us, look again: readiness is a snapshot, and phase 1 re-checks it.
  }
}

}  // namespace rill::detail
