// rill/detail/context.hpp - the record of one thread blocked in one channel operation.
//
// Design
// ------
// A thread that must wait (a send on a full channel, a receive on an empty one) creates a
// context in its own stack frame, registers a waiter that points to it with the channel's waker
// (waker.hpp), checks the channel once more, and parks. Whoever makes progress possible (a
// receiver freeing a slot, a sender publishing a message, a disconnection) *selects* the context:
// it moves `selected_` from `waiting` (or `sleeping`) to a value saying why, with a
// compare-exchange, and then unparks the thread. The compare-exchange is the linearisation point
// of the wake-up: exactly one party wins, either a notifier (operation or disconnected) or the
// owner itself giving up at its deadline (aborted). A notifier that loses the race wakes nobody
// and tries the next waiter.
//
// Only the winner ever unparks a context, and at most once: a context receives at most one
// unpark in its life. The owner counts on that (`unparked()`): once it has taken the token, no
// other thread will touch the context again.
//
// The context outlives every access from other threads because either (1) the notifier selects
// and unparks while holding the waker's lock, and the owner always takes that lock (unregistering
// its waiter) before it leaves the frame; or (2), for a rendezvous hand-off, the partner unparks
// only after it has finished the hand-off, and only an owner that announced it sleeps, which then
// does not leave before it has the token (handoff_packet.hpp). Waiter records living in a
// returned frame were a real bug elsewhere (KB19); the ASan run with
// detect_stack_use_after_return checks this design.
//
// State of `selected_` (one word):
//   0 waiting        registered, nobody has chosen this thread yet; the owner is awake
//   3 sleeping       the same, but the owner has parked or is about to: (C3) moved it here before
//                    the owner's first park, and it never moves back to waiting. A selection
//                    that finds it here knows that the owner needs an unpark to notice it.
//   1 aborted        the owner gave up (deadline) before anyone selected it
//   2 disconnected   the channel was disconnected while the owner waited
//   other            the operation id of the waiter that was selected (its address, aligned, so
//                    never 1, 2 or 3)
// Besides, two fields only the owner reads and writes: whether it announced its sleep before it
// was selected (`slept()`), and whether it has taken the one unpark (`unparked()`); and the
// deadline of its last wait, for the rendezvous flavor's accept (zero_flavor.hpp).
//
// Progress: try_select is wait-free; wait_until blocks (spinning briefly, then parking) until
// selected or the deadline passes.
//
// Task contexts (rill/async.hpp)
// ------------------------------
// A coroutine that awaits a channel operation does not park a thread: its context carries a
// *wake action* instead, and unpark() runs that action (which posts the coroutine's continuation
// to its executor) instead of unparking a parker. Such a context
//   * starts in `sleeping`: its owner never spins, so every selector must deliver the one
//     unpark, and a rendezvous partner finishes its hand-off before it does (handoff_packet.hpp:
//     a selection that finds `sleeping` marks the packet (Z6), and the finish posts);
//   * has its own identity instead of the thread's (its address: two coroutines on one thread
//     are two parties of a rendezvous, R35 is about one *waiter* pairing with itself);
//   * is never waited on with wait_until or park_until: the owner only reads selected().
// The wake action is the last access of the unparking party to the context; what it posts runs
// later, on the executor, and may destroy the frame that holds the context.
#pragma once

#include "rill/detail/sync/sync.hpp"

#include <cstdint>

namespace rill::detail {

/// What woke a waiting thread.
using selection = std::uintptr_t;
inline constexpr selection selection_waiting = 0;
inline constexpr selection selection_aborted = 1;
inline constexpr selection selection_disconnected = 2;
inline constexpr selection selection_sleeping = 3;  // still waiting; the owner parks (see above)

// One ordering site per line, as scripts/ordering_guide.py and the mutation bank read them.
// clang-format off
namespace context_order {
// (C1) acq_rel on success: release publishes what the selecting thread did before choosing this
//      context to the owner's acquire load (C2). The acquire half synchronises with nothing: a
//      successful selection reads the constructor's `waiting` (a task context's `sleeping`,
//      published by its registration under the waker's lock) or the owner's relaxed (C3), and
//      an owner's abort that came first would have made it fail. Failure acquire: the loser
//      reads the winner's selection and acts on it (a notifier tries the next waiter; the owner
//      returns the selection).
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
// (C3) relaxed: the owner announces that it is going to park (waiting -> sleeping). It publishes
//      nothing: a selector that reads `sleeping` only learns that it must unpark the owner, and
//      the unpark goes through the parker's own mutex; everything else the selector uses was
//      published by the registration, under the waker's lock. An announcement that fails has met
//      a selection, which the owner then reads with (C2).
inline constexpr sync::ordering announce =
    sync::ordering_site("context.announce", std::memory_order_relaxed);  // (C3)
}  // namespace context_order
// clang-format on

class context {
 public:
  /// Who won a try_claim, and whether the owner was asleep then (it must be unparked to notice).
  enum class claim : unsigned char { lost, owner_awake, owner_asleep };

  context() : selected_(selection_waiting), thread_(sync::thread_identity()) {}

  /// What unpark() does for a task context: `run(argument)`, once.
  struct wake_action {
    void (*run)(void* argument) = nullptr;
    void* argument = nullptr;
  };
  /// A task context (see above): announced `sleeping` from the start, woken by `action`.
  explicit context(wake_action action)
      : selected_(selection_sleeping), thread_(reinterpret_cast<std::uintptr_t>(this)), wake_(action) {}
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  /// Tries to choose this context for `why`; says whether this call won, and if so whether the
  /// owner had announced that it sleeps. The owner never moves `sleeping` back to `waiting`, so a
  /// second attempt from `sleeping` can fail only because someone else won.
  claim try_claim(selection why) {
    selection expected = selection_waiting;
    if (selected_.compare_exchange_strong(expected, why, context_order::select,
                                          context_order::select_failure)) {  // (C1)
      return claim::owner_awake;
    }
    if (expected != selection_sleeping) return claim::lost;
    if (selected_.compare_exchange_strong(expected, why, context_order::select,
                                          context_order::select_failure)) {  // (C1)
      return claim::owner_asleep;
    }
    return claim::lost;
  }

  /// Tries to choose this context for `why`; true if this call won.
  bool try_select(selection why) { return try_claim(why) != claim::lost; }

  /// The selection, with `sleeping` reported as `waiting` (nobody has chosen the owner yet).
  [[nodiscard]] selection selected() const {
    const selection current = selected_.load(context_order::observe);  // (C2)
    return current == selection_sleeping ? selection_waiting : current;
  }

  /// Blocks until selected, or until `deadline` passes and the owner's own abort wins.
  /// Returns the selection (never selection_waiting).
  selection wait_until(const sync::deadline& deadline) {
    deadline_ = deadline;
    sync::backoff backoff;
    while (!backoff.is_completed()) {
      if (const selection current = selected(); current != selection_waiting) return current;
      backoff.snooze();
    }
    // Announce the sleep before the first park: a rendezvous partner unparks only an owner that
    // did (it finishes the hand-off first, handoff_packet.hpp).
    selection expected = selection_waiting;
    if (!selected_.compare_exchange_strong(expected, selection_sleeping, context_order::announce,
                                           sync::failure_order_for(context_order::announce))) {  // (C3)
      return selected();
    }
    slept_ = true;
    for (;;) {
      if (deadline.has_value()) {
        if (sync::has_passed(deadline)) {
          // The deadline is the owner's to enforce: abort unless a notifier got here first.
          return try_select(selection_aborted) ? selection_aborted : selected();
        }
        if (parker_.park_until(*deadline)) unparked_ = true;
      } else {
        parker_.park();
        unparked_ = true;
      }
      // Only the winner of the selection unparks, after its compare-exchange: a token means a
      // selection, and this load, ordered after the unpark by the parker's mutex, sees it.
      if (const selection current = selected(); current != selection_waiting) return current;
    }
  }

  /// Notifiers that select under their waker's lock unpark at once. A task context runs its
  /// wake action instead (reading it first: the action may end the context's life).
  void unpark() {
    if (const wake_action action = wake_; action.run != nullptr) {
      action.run(action.argument);
      return;
    }
    parker_.unpark();
  }

  /// The owner's side of a rendezvous hand-off (handoff_packet.hpp): parks until the one unpark
  /// this context will receive, or until `deadline`; true once it has come.
  bool park_until(const sync::deadline& deadline) {
    if (unparked_) return true;
    if (deadline.has_value()) {
      if (parker_.park_until(*deadline)) unparked_ = true;
    } else {
      parker_.park();
      unparked_ = true;
    }
    return unparked_;
  }

  /// The owner had announced that it sleeps before anyone selected it (so its selector knew).
  [[nodiscard]] bool slept() const noexcept { return slept_; }
  /// The owner has taken the one unpark this context receives.
  [[nodiscard]] bool unparked() const noexcept { return unparked_; }
  /// The deadline of the last wait_until (a select's wake time).
  [[nodiscard]] const sync::deadline& deadline() const noexcept { return deadline_; }

  [[nodiscard]] std::uintptr_t thread() const noexcept { return thread_; }

 private:
  sync::atomic<selection> selected_;
  sync::parker parker_;
  std::uintptr_t thread_;
  wake_action wake_{};                      // set at construction; read by the one unparker
  sync::deadline deadline_ = std::nullopt;  // the owner's only
  bool slept_ = false;                      // the owner's only
  bool unparked_ = false;                   // the owner's only
};

}  // namespace rill::detail
