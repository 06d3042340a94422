// rill/detail/select_loop.hpp - choosing one ready operation among several (SPEC R30-R36).
//
// Algorithm
// ---------
// crossbeam-channel's selection, in three phases that repeat until an operation is chosen:
//
//   1. try      Visit the operations in a fresh uniformly random order (biased mode: in the
//               order they were added) and try each without blocking (select_operation.hpp).
//               The first success is the selection. A disconnected channel's operation
//               succeeds too: it is ready to report `disconnected` (R32).
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
// Progress: a select blocks only in phase 3; phases 1 and 2 inherit each flavor's progress
// (lock-free try operations, the rendezvous flavor's mutex).
#pragma once

#include "rill/detail/context.hpp"
#include "rill/detail/select_operation.hpp"
#include "rill/detail/sync/sync.hpp"

#include <cstddef>
#include <span>
#include <utility>

namespace rill::detail {

enum class select_order : unsigned char { unbiased, biased };

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

/// The selection loop. `operations` and `order` have the same length; `blocking` false makes it
/// a single pass of phase 1.
inline select_outcome run_select(std::span<operation* const> operations, std::span<std::size_t> order,
                                 const sync::deadline& deadline, bool blocking, select_order mode) {
  for (;;) {
    choose_order(order, mode);
    for (const std::size_t index : order) {
      operation& op = *operations[index];
      if (op.removed) continue;
      op.token = {};
      if (op.table->try_select(op)) return {select_outcome::selected, index};
    }
    if (!blocking) return {select_outcome::would_block};
    if (sync::has_passed(deadline)) return {select_outcome::timed_out};

    sync::deadline wake = deadline;
    for (operation* op : operations) {
      if (!op->removed) wake = earlier(wake, op->table->ready_at(*op));
    }

    context waiting;
    std::size_t registered = 0;
    bool ready = false;
    for (; registered < order.size() && !ready; ++registered) {
      operation& op = *operations[order[registered]];
      if (op.removed) continue;
      op.entry.owner = &waiting;
      op.entry.packet = &op.packet;
      op.entry.observer = false;
      ready = op.table->register_waiter(op);
    }
    if (ready) waiting.try_select(selection_aborted);  // a notifier may have chosen us already

    const selection outcome = waiting.wait_until(wake);
    for (std::size_t i = 0; i < registered; ++i) {
      operation& op = *operations[order[i]];
      if (!op.removed) op.table->unregister_waiter(op);
    }
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
  for (;;) {
    choose_order(order, mode);
    for (const std::size_t index : order) {
      operation& op = *operations[index];
      if (!op.removed && op.table->is_ready(op)) return {select_outcome::selected, index};
    }
    if (!blocking) return {select_outcome::would_block};
    if (sync::has_passed(deadline)) return {select_outcome::timed_out};

    sync::deadline wake = deadline;
    for (operation* op : operations) {
      if (!op->removed) wake = earlier(wake, op->table->ready_at(*op));
    }

    context waiting;
    std::size_t watched = 0;
    bool ready = false;
    for (; watched < order.size() && !ready; ++watched) {
      operation& op = *operations[order[watched]];
      if (op.removed) continue;
      op.entry.owner = &waiting;
      op.entry.packet = nullptr;
      op.entry.observer = true;
      ready = op.table->watch(op);
    }
    if (ready) waiting.try_select(selection_aborted);
    waiting.wait_until(wake);
    for (std::size_t i = 0; i < watched; ++i) {
      operation& op = *operations[order[i]];
      if (!op.removed) op.table->unwatch(op);
    }
    // Whatever woke us, look again: readiness is a snapshot, and phase 1 re-checks it.
  }
}

}  // namespace rill::detail
