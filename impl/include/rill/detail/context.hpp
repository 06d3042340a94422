// rill/detail/context.hpp - the record of one thread blocked in one channel operation.
//
// Design
// ------
// A thread that must wait (a send on a full channel, a receive on an empty one) creates a
// context in its own stack frame, registers a waiter that points to it with the channel's waker
// (waker.hpp), checks the channel once more, and parks. Whoever makes progress possible (a
// receiver freeing a slot, a sender publishing a message, a disconnection) *selects* the context:
// it moves `selected_` from `waiting` to a value saying why, with a compare-exchange, and then
// unparks the thread. The compare-exchange is the linearisation point of the wake-up: exactly
// one party wins, either a notifier (operation or disconnected) or the owner itself giving up at
// its deadline (aborted). A notifier that loses the race wakes nobody and tries the next waiter.
//
// The context outlives every access from other threads because (1) notifiers select and unpark
// only while holding the waker's lock, and (2) the owner always takes that lock (unregistering
// its waiter) before it leaves the frame. Waiter records living in a returned frame were a real
// bug elsewhere (KB19); the ASan run with detect_stack_use_after_return checks this design.
//
// State of `selected_` (one word):
//   0 waiting        registered, nobody has chosen this thread yet
//   1 aborted        the owner gave up (deadline) before anyone selected it
//   2 disconnected   the channel was disconnected while the owner waited
//   other            the operation id of the waiter that was selected (its address)
//
// Progress: try_select is wait-free; wait_until blocks (spinning briefly, then parking) until
// selected or the deadline passes.
#pragma once

#include "rill/detail/sync/sync.hpp"

#include <cstdint>

namespace rill::detail {

/// What woke a waiting thread.
using selection = std::uintptr_t;
inline constexpr selection selection_waiting = 0;
inline constexpr selection selection_aborted = 1;
inline constexpr selection selection_disconnected = 2;

namespace context_order {
// (C1) acq_rel on success: release publishes what the selecting thread did before choosing this
//      context to the owner's acquire load (C2). The acquire half synchronises with nothing: a
//      successful selection reads the constructor's `waiting`, and an owner's abort that came
//      first would have made it fail. Failure acquire: the loser reads the winner's selection
//      and acts on it (a notifier tries the next waiter; the owner returns the selection).
inline constexpr sync::ordering select =
    sync::ordering_site("context.select", std::memory_order_acq_rel);  // (C1)
inline constexpr sync::ordering select_failure = sync::failure_order_for(select);
// (C2) acquire: synchronises-with (C1); the owner sees the selector's writes once it sees its
//      selection.
// (C1) and (C2) are stronger than needed, select included: no data crosses through the
// selection itself. Which operation won is the selected value, which needs no edge. An owner
// that sees its selection reads what the notifier wrote only after taking the lock under which
// the notifier selected it (the owner unregisters its waiter first: blocking operations, select's
// unregister_all), which orders everything the notifier did before releasing that lock; what
// the notifier writes for the owner (a rendezvous partner's packet address, the unlinking of the
// waiter) it writes after the compare-exchange, where (C1) could not carry it anyway. A
// rendezvous owner selected by its partner does not take the lock: it waits on its packet, and
// the hand-off, done after the partner released the lock, has its own edge (zero.handoff_done /
// handoff_observe). Parking goes through the parker's mutex. The mutation bank shows it (every
// mutant of both survives, verify/mutation/stronger_than_needed.txt says why and how it was
// tried). They are kept so that an owner that some day reads the notifier's writes before taking
// the lock stays correct; a selection happens only when a thread waits, off the fast path.
inline constexpr sync::ordering observe =
    sync::ordering_site("context.observe", std::memory_order_acquire);  // (C2)
}  // namespace context_order

class context {
 public:
  context() : selected_(selection_waiting), thread_(sync::thread_identity()) {}
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  /// Tries to choose this context for `why`; true if this call won.
  bool try_select(selection why) {
    selection expected = selection_waiting;
    return selected_.compare_exchange_strong(expected, why, context_order::select, context_order::select_failure);
  }

  [[nodiscard]] selection selected() const { return selected_.load(context_order::observe); }

  /// Blocks until selected, or until `deadline` passes and the owner's own abort wins.
  /// Returns the selection (never selection_waiting).
  selection wait_until(const sync::deadline& deadline) {
    sync::backoff backoff;
    while (!backoff.is_completed()) {
      if (const selection current = selected(); current != selection_waiting) return current;
      backoff.snooze();
    }
    for (;;) {
      if (const selection current = selected(); current != selection_waiting) return current;
      if (deadline.has_value()) {
        if (sync::has_passed(deadline)) {
          // The deadline is the owner's to enforce: abort unless a notifier got here first.
          return try_select(selection_aborted) ? selection_aborted : selected();
        }
        parker_.park_until(*deadline);
      } else {
        parker_.park();
      }
    }
  }

  void unpark() { parker_.unpark(); }

  [[nodiscard]] std::uintptr_t thread() const noexcept { return thread_; }

 private:
  sync::atomic<selection> selected_;
  sync::parker parker_;
  std::uintptr_t thread_;
};

}  // namespace rill::detail
